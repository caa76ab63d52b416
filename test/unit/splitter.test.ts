import { describe, expect, it } from 'vitest';
import { SqlSplitter, splitStatements, type SqlDialect, type SqlStatement } from '../../src/sql/splitter.js';

async function* chunks(input: Buffer, size: number): AsyncIterable<Buffer> {
  for (let i = 0; i < input.length; i += size) yield input.subarray(i, i + size);
}

async function split(input: string | Buffer, dialect: SqlDialect = 'mysql', size = 1 << 20): Promise<SqlStatement[]> {
  const buffer = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const out: SqlStatement[] = [];
  for await (const statement of splitStatements(chunks(buffer, size), dialect)) out.push(statement);
  return out;
}

/** Synchronous split with given chunk size (fast enough to try every size on a sample). */
function splitSync(input: Buffer, dialect: SqlDialect, size: number): SqlStatement[] {
  const splitter = new SqlSplitter(dialect);
  const out: SqlStatement[] = [];
  for (let i = 0; i < input.length; i += size) {
    splitter.push(input.subarray(i, i + size));
    out.push(...splitter.drain(false));
  }
  out.push(...splitter.drain(true));
  return out;
}

const texts = (statements: SqlStatement[]) => statements.map((s) => s.text.toString('utf8'));

describe('splitStatements', () => {
  it('splits simple statements and reports offsets', async () => {
    const input = 'SELECT 1;\n  SELECT 2 ;\nSELECT 3';
    const result = await split(input);
    expect(texts(result)).toEqual(['SELECT 1', 'SELECT 2', 'SELECT 3']);
    expect(result.map((s) => s.offset)).toEqual([0, 12, 23]);
    expect(result.map((s) => s.delimiter)).toEqual([';', ';', '']);
  });

  it('keeps delimiters inside quotes, with doubled quotes and backslash escapes (mysql)', async () => {
    const input = [
      "INSERT INTO t VALUES ('a;b','it''s;',\"x;\"\"y\",'back\\';slash','\\\\');",
      'SELECT `we;ird``name` FROM `t;`;',
      "SELECT 'end';",
    ].join('\n');
    expect(texts(await split(input))).toEqual([
      "INSERT INTO t VALUES ('a;b','it''s;',\"x;\"\"y\",'back\\';slash','\\\\')",
      'SELECT `we;ird``name` FROM `t;`',
      "SELECT 'end'",
    ]);
  });

  it('does not treat backslash as an escape in sqlite, and knows [identifiers]', async () => {
    const input = "SELECT 'a\\'; SELECT [odd;name] FROM \"t;\"; SELECT 'x''y;'";
    expect(texts(await split(input, 'sqlite'))).toEqual(["SELECT 'a\\'", 'SELECT [odd;name] FROM "t;"', "SELECT 'x''y;'"]);
  });

  it('skips comments and drops empty and comment-only statements', async () => {
    const input = [
      '-- a comment; with a semicolon',
      '# hash comment;',
      '/* block ; comment */',
      ';;',
      '/* only a comment */;',
      'SELECT 1 -- trailing; comment',
      ', 2 /* inner; */ , 3 # more;',
      ';',
      'SELECT 5--1;',
      '--',
      'SELECT 6;',
    ].join('\n');
    expect(texts(await split(input))).toEqual([
      'SELECT 1 -- trailing; comment\n, 2 /* inner; */ , 3 # more;',
      'SELECT 5--1',
      'SELECT 6',
    ]);
  });

  it('treats # as an ordinary byte and any -- as a comment in sqlite', async () => {
    expect(texts(await split('SELECT 1--x;\n;SELECT #a;', 'sqlite'))).toEqual(['SELECT 1--x;', 'SELECT #a']);
  });

  it('keeps conditional comments as statements and skips the sandbox line', async () => {
    const input = [
      '/*M!999999\\- enable the sandbox mode */ ',
      '-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB',
      '/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;',
      '/*!40101 SET NAMES utf8mb4 */;',
      "/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */;",
      "/*!40000 ALTER TABLE `t` DISABLE KEYS */;",
      "/*!50001 CREATE VIEW `v` AS SELECT 1 AS `a;b`, ';*/' AS c */;",
    ].join('\n');
    expect(texts(await split(input))).toEqual([
      '/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */',
      '/*!40101 SET NAMES utf8mb4 */',
      '/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */',
      '/*!40000 ALTER TABLE `t` DISABLE KEYS */',
      "/*!50001 CREATE VIEW `v` AS SELECT 1 AS `a;b`, ';*/' AS c */",
    ]);
  });

  it('follows DELIMITER changes (any delimiter, case-insensitive command)', async () => {
    const input = [
      'SET @a = 1;',
      'DELIMITER ;;',
      '/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `trg` BEFORE INSERT ON `t` FOR EACH ROW BEGIN',
      '  SET NEW.a = 1;',
      "  SET NEW.b = ';;';",
      'END */;;',
      'delimiter $$',
      'CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END$$',
      '  DeLiMiTeR //',
      'CREATE FUNCTION f() RETURNS INT RETURN 1 //',
      'DELIMITER ;',
      'SELECT 3;',
    ].join('\n');
    const result = await split(input);
    expect(texts(result)).toEqual([
      'SET @a = 1',
      "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `trg` BEFORE INSERT ON `t` FOR EACH ROW BEGIN\n  SET NEW.a = 1;\n  SET NEW.b = ';;';\nEND */",
      'CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END',
      'CREATE FUNCTION f() RETURNS INT RETURN 1',
      'SELECT 3',
    ]);
    expect(result.map((s) => s.delimiter)).toEqual([';', ';;', '$$', '//', ';']);
  });

  it('recognises DELIMITER only as a command at the start of a line and of a statement', async () => {
    const input = 'CREATE TABLE t (\ndelimiter varchar(10)\n);\nSELECT 1; DELIMITER ;;\n';
    expect(texts(await split(input))).toEqual(['CREATE TABLE t (\ndelimiter varchar(10)\n)', 'SELECT 1', 'DELIMITER']);
  });

  it('reads Magento-style trigger blocks', async () => {
    const input = [
      'SET FOREIGN_KEY_CHECKS=0;',
      '',
      'delimiter ;;',
      'CREATE TRIGGER trg_catalog_product_entity_after_insert AFTER INSERT ON catalog_product_entity FOR EACH ROW',
      'BEGIN',
      'INSERT IGNORE INTO `catalog_product_entity_cl` (`entity_id`) VALUES (NEW.`entity_id`);',
      'END;;',
      'delimiter ;',
      'SET FOREIGN_KEY_CHECKS=1;',
    ].join('\n');
    const result = await split(input);
    expect(result).toHaveLength(3);
    expect(result[1].text.toString()).toMatch(/^CREATE TRIGGER .*VALUES \(NEW.`entity_id`\);\nEND$/s);
  });

  it('keeps sqlite trigger bodies (with CASE ... END) whole', async () => {
    const input = [
      'CREATE TABLE a(x);',
      'CREATE TRIGGER tr AFTER INSERT ON a WHEN new.x > 0 BEGIN',
      '  INSERT INTO b VALUES (new.x);',
      "  UPDATE c SET y = CASE WHEN new.x = 1 THEN 'one;' ELSE 'end' END;",
      '  SELECT RAISE(IGNORE);',
      'END;',
      'create temp trigger "t2" before delete on a begin delete from b; end;',
      'CREATE TABLE "end"(begin, "case");',
      'SELECT 1;',
    ].join('\n');
    expect(texts(await split(input, 'sqlite'))).toEqual([
      'CREATE TABLE a(x)',
      "CREATE TRIGGER tr AFTER INSERT ON a WHEN new.x > 0 BEGIN\n  INSERT INTO b VALUES (new.x);\n  UPDATE c SET y = CASE WHEN new.x = 1 THEN 'one;' ELSE 'end' END;\n  SELECT RAISE(IGNORE);\nEND",
      'create temp trigger "t2" before delete on a begin delete from b; end',
      'CREATE TABLE "end"(begin, "case")',
      'SELECT 1',
    ]);
  });

  it('reads begin and end as names inside sqlite trigger bodies', async () => {
    const input = [
      'CREATE TABLE y(begin, x);',
      'CREATE TRIGGER tr AFTER INSERT ON y BEGIN UPDATE y SET begin = 1 WHERE x = new.x; END;',
      'CREATE TRIGGER tr2 AFTER INSERT ON z BEGIN SELECT end FROM (SELECT 1 AS end); END -- done',
      ';',
      'INSERT INTO y VALUES(1,2);',
    ].join('\n');
    expect(texts(await split(input, 'sqlite'))).toEqual([
      'CREATE TABLE y(begin, x)',
      'CREATE TRIGGER tr AFTER INSERT ON y BEGIN UPDATE y SET begin = 1 WHERE x = new.x; END',
      'CREATE TRIGGER tr2 AFTER INSERT ON z BEGIN SELECT end FROM (SELECT 1 AS end); END -- done',
      'INSERT INTO y VALUES(1,2)',
    ]);
  });

  it('does not apply trigger body rules in mysql (the client does not either)', async () => {
    expect(texts(await split('CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW SET NEW.x = 1; SELECT 1;'))).toEqual([
      'CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW SET NEW.x = 1',
      'SELECT 1',
    ]);
  });

  it('preserves raw binary bytes exactly (mysqldump without --hex-blob)', async () => {
    const raw = Buffer.alloc(256 * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 7 + (i >> 8)) & 0xff;
    // mysqldump's escaping: NUL, \n, \r, ', ", \ and ^Z are backslash-escaped, every other byte is raw.
    const escaped: number[] = [];
    for (const b of raw) {
      const map: Record<number, string> = { 0: '0', 10: 'n', 13: 'r', 39: "'", 34: '"', 92: '\\', 26: 'Z' };
      if (map[b] !== undefined) escaped.push(0x5c, map[b].charCodeAt(0));
      else escaped.push(b);
    }
    const statement = Buffer.concat([Buffer.from("INSERT INTO `b` VALUES (1,'"), Buffer.from(escaped), Buffer.from("');")]);
    const input = Buffer.concat([Buffer.from('SET NAMES binary;\n'), statement, Buffer.from('\nSELECT 2;')]);
    for (const size of [1, 2, 3, 5, 64, 4096]) {
      const result = await split(input, 'mysql', size);
      expect(result).toHaveLength(3);
      expect(result[1].text.equals(statement.subarray(0, statement.length - 1))).toBe(true);
      expect(result[1].offset).toBe(18);
    }
  });

  it('gives the same result for every chunk size (mysql sample)', () => {
    const sample = Buffer.concat([
      Buffer.from(
        [
          '/*M!999999\\- enable the sandbox mode */ ',
          '-- MariaDB dump',
          '/*!40101 SET NAMES utf8mb4 */;',
          'DROP TABLE IF EXISTS `t`;',
          'CREATE TABLE `t` (`id` int, `s` text, `délimiter` varchar(3)) /* c;*/;',
          "INSERT INTO `t` VALUES (1,'héllo; wörld 😀','a''b'),(2,'x\\'y\\\\','\"');",
          '# hash; comment',
          'DELIMITER ;;',
          '/*!50003 CREATE*/ /*!50003 TRIGGER `tr` BEFORE INSERT ON `t` FOR EACH ROW BEGIN SET NEW.s = \';\'; END */;;',
          'DELIMITER $$',
          'CREATE PROCEDURE p() BEGIN SELECT 1; END$$',
          'DELIMITER xy',
          "INSERT INTO `c` VALUES (1,2.5e3,NULL,'x\\\\y'),(-1,0,'',\"xy\")XY",
          'DELIMITER ;',
          'SELECT 1--1;',
          '/* end */ SELECT 2 -- x',
          ';',
          "INSERT INTO `b` VALUES ('",
        ].join('\n'),
        'utf8',
      ),
      Buffer.from([0xff, 0x00, 0x80, 0xc3, 0x27, 0x27, 0xe2, 0x82]),
      Buffer.from("');\nSELECT 'unterminated"),
    ]);
    const expected = splitSync(sample, 'mysql', sample.length);
    expect(expected.map((s) => s.delimiter)).toEqual([';', ';', ';', ';', ';;', '$$', 'xy', ';', ';', ';', '']);
    for (const s of expected) expect(sample.subarray(s.offset, s.offset + s.text.length).equals(s.text)).toBe(true);
    for (let size = 1; size <= sample.length; size++) {
      const got = splitSync(sample, 'mysql', size);
      expect(got.length, `chunk size ${size}`).toBe(expected.length);
      for (let i = 0; i < got.length; i++) {
        expect(got[i].offset, `chunk size ${size}, statement ${i}`).toBe(expected[i].offset);
        expect(got[i].delimiter).toBe(expected[i].delimiter);
        expect(got[i].text.equals(expected[i].text), `chunk size ${size}, statement ${i}`).toBe(true);
      }
    }
  });

  it('finds the end of strings of every length, escapes anywhere in them, whatever the chunks', () => {
    // Short strings are scanned byte by byte, longer ones searched; the buffer keeps its capacity, so
    // bytes of an earlier, longer statement lie after the ones in use and must not be taken for a quote.
    const slash = '\\';
    const strings = [0, 1, 46, 47, 48, 49, 50, 95, 96, 97, 300, 5000].flatMap((length) => [
      'a'.repeat(length),
      `${'b'.repeat(length)}${slash}${slash}`,
      `${slash}'${'c'.repeat(length)}`,
      `${'d'.repeat(length >> 1)}${slash}'${'e'.repeat(length >> 1)}`,
    ]);
    const statements = strings.map((value, i) => `INSERT INTO \`t\` VALUES (${i},'${value}',"${value.replace(/'/g, '"')}")`);
    const last = `SELECT 'unterminated ${'z'.repeat(60)}`;
    const sample = Buffer.from(`${statements.join(';\n')};\nSELECT 'x';\n${last}`, 'utf8');
    const expected = splitSync(sample, 'mysql', sample.length);
    expect(expected.map((s) => s.text.toString('utf8'))).toEqual([...statements, "SELECT 'x'", last]);
    for (const size of [1, 2, 3, 7, 16, 47, 48, 49, 64, 100, 1000, 4096]) {
      const got = splitSync(sample, 'mysql', size);
      expect(got.map((s) => [s.offset, s.delimiter, s.text.toString('utf8')]), `chunk size ${size}`).toEqual(expected.map((s) => [s.offset, s.delimiter, s.text.toString('utf8')]));
    }
  });

  it('gives the same result for every chunk size (sqlite sample)', () => {
    const sample = Buffer.from(
      [
        'PRAGMA foreign_keys=OFF;',
        'BEGIN TRANSACTION;',
        'CREATE TABLE [a;b](x, "y;");',
        "INSERT INTO \"a;b\" VALUES('it''s -- not a comment; ok', X'00ff');",
        '-- comment; here',
        'CREATE TRIGGER tr AFTER UPDATE ON "a;b" BEGIN UPDATE c SET z = CASE new.x WHEN 1 THEN 2 END; /* ; */ DELETE FROM d; END;',
        'COMMIT;',
      ].join('\n'),
      'utf8',
    );
    const expected = splitSync(sample, 'sqlite', sample.length);
    expect(expected).toHaveLength(6);
    for (let size = 1; size <= sample.length; size++) {
      const got = splitSync(sample, 'sqlite', size);
      expect(got.map((s) => [s.offset, s.text.toString('latin1')]), `chunk size ${size}`).toEqual(
        expected.map((s) => [s.offset, s.text.toString('latin1')]),
      );
    }
  });

  it('does not rescan long words across chunks (hex literals)', () => {
    const hex = '0x' + 'ab'.repeat(2_000_000);
    const input = Buffer.from(`INSERT INTO t VALUES (${hex});SELECT 1;`);
    const started = Date.now();
    const got = splitSync(input, 'mysql', 1024);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(got).toHaveLength(2);
    expect(got[0].text.length).toBe(input.length - 'SELECT 1;'.length - 1);
  });

  it('does not keep comments between statements in memory', () => {
    const splitter = new SqlSplitter('mysql');
    const comment = Buffer.from('-- ' + 'x'.repeat(1000) + '\n');
    for (let i = 0; i < 2000; i++) {
      splitter.push(comment);
      expect(splitter.drain(false)).toEqual([]);
    }
    splitter.push(Buffer.from('SELECT 1;'));
    const [statement] = splitter.drain(false);
    expect(statement.offset).toBe(comment.length * 2000);
    expect((splitter as unknown as { buf: Buffer }).buf.length).toBeLessThan(1 << 20);
  });
});
