// Lifeboat's own MySQL/MariaDB dump against the real server: every corner case round-trips through the
// stock client, table data ranges replay on their own, large rows load, writers are not blocked, the
// snapshot is consistent, definers are stripped, progress and abort work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dumpMysql, statementLimitFor } from '../../src/engines/mysql/dump.js';
import { chooseDelimiter, clientSafe, orderViews, stripDefiner } from '../../src/engines/mysql/schema-ddl.js';
import { escapeStringLiteral } from '../../src/engines/mysql/values.js';
import type { DumpResult, Progress, SqlSink } from '../../src/engines/engine.js';
import type { MysqlTarget } from '../../src/engines/target.js';
import { createTestSchema, fingerprint, loadWithStockClient, withConnection, type SchemaFingerprint } from '../helpers/mysql.js';
import { MemorySqlSink } from '../helpers/sink.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/mysql-corner-cases.sql', import.meta.url));

type Schema = Awaited<ReturnType<typeof createTestSchema>>;
const schemas: Schema[] = [];
let tmp = '';

async function schema(prefix: string): Promise<MysqlTarget> {
  const created = await createTestSchema(prefix);
  schemas.push(created);
  return created.target;
}

async function query<T = Record<string, unknown>>(target: MysqlTarget, sql: string, params: unknown[] = []): Promise<T[]> {
  return withConnection(target, async (conn) => {
    const [rows] = await conn.query(sql, params);
    return rows as T[];
  });
}

/** Dumps `source` and loads the file with the stock client into a fresh schema. */
async function roundTrip(source: MysqlTarget, prefix: string, options = {}): Promise<{ result: DumpResult; dump: Buffer; restored: MysqlTarget }> {
  const sink = new MemorySqlSink();
  const result = await dumpMysql(source, sink, options);
  const file = path.join(tmp, `${prefix}.sql`);
  await sink.saveTo(file);
  const restored = await schema(`${prefix}_r`);
  await loadWithStockClient(restored, file);
  return { result, dump: sink.toBuffer(), restored };
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-mysql-dump-'));
});

afterAll(async () => {
  for (const s of schemas) await s.drop();
  await rm(tmp, { recursive: true, force: true });
});

describe('dumpMysql on the corner-case schema', () => {
  let source: MysqlTarget;
  let dump: Buffer;
  let result: DumpResult;
  let restored: MysqlTarget;

  beforeAll(async () => {
    source = await schema('dump_src');
    await loadWithStockClient(source, FIXTURE);
    // Objects whose text the stock client would alter (comments, CR LF): created over the driver, which
    // sends them untouched; the dump must bring them back identical.
    await withConnection(source, async (conn) => {
      await conn.query(
        "CREATE PROCEDURE commented(IN p INT)\r\nBEGIN\r\n  -- a line comment; with ;; inside\r\n  /* a block comment */ SELECT p + 1; # hash comment\r\n  SELECT 'string -- not a comment';\r\nEND",
      );
      await conn.query(
        "CREATE TRIGGER checked_before_insert BEFORE INSERT ON checked FOR EACH ROW\nBEGIN\n  -- clamp the quantity\n  SET NEW.qty = GREATEST(NEW.qty, 0); /* never negative */\nEND",
      );
    });
    ({ result, dump, restored } = await roundTrip(source, 'dump_corner'));
  });

  it('loads with the stock client into identical tables and objects', async () => {
    const [before, after] = await Promise.all([fingerprint(source), fingerprint(restored)]);
    expect(Object.keys(before.tables).length).toBeGreaterThan(25);
    expect(after).toEqual(before);
  });

  it('reports engine, objects, tables in dump order and the non-transactional tables', async () => {
    const [version] = await query<{ v: string }>(source, 'SELECT VERSION() AS v');
    expect(result.engine).toEqual({ kind: 'mysql', serverVersion: version.v, database: source.database });
    const baseTables = await query<{ name: string }>(
      source,
      "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
      [source.database],
    );
    expect(result.tables.map((t) => t.name)).toEqual(baseTables.map((t) => t.name));
    expect(result.objects).toEqual({ tables: baseTables.length, views: 4, triggers: 7, routines: 6, events: 2, sequences: 2 });
    const counts = await query<{ n: number }>(source, 'SELECT COUNT(*) AS n FROM numbers');
    expect(result.tables.find((t) => t.name === 'numbers')?.rows).toBe(Number(counts[0].n));
    expect(result.tables.find((t) => t.name === 'empty_table')).toMatchObject({ rows: 0, dataLength: 0 });
    const warning = result.warnings.find((w) => w.includes('non-transactional'));
    expect(warning).toContain('legacy_myisam (MyISAM)');
    expect(warning).toContain('aria_log (Aria)');
  });

  it('writes a mysqldump-style header and trailer, no CREATE DATABASE or USE, and strips definers', () => {
    const text = dump.toString('latin1');
    for (const line of [
      '/*!40101 SET NAMES utf8mb4 */;',
      "/*!40103 SET TIME_ZONE='+00:00' */;",
      '/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;',
      '/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;',
      "/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;",
      '/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;',
      '/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;',
    ]) {
      expect(text).toContain(line);
    }
    expect(text).not.toMatch(/^\s*(CREATE DATABASE|USE )/im);
    expect(text).not.toMatch(/DEFINER\s*=/i);
    expect(text).toContain('DELIMITER ;;\nCREATE TRIGGER order_before_update BEFORE UPDATE ON sales_order');
    expect(text).toContain('DELIMITER $$\nCREATE TRIGGER item_before_insert');
    expect(text).toMatch(/EXECUTE IMMEDIATE 'CREATE PROCEDURE `commented`/);
    expect(text).toMatch(/DO SETVAL\(`invoice_seq`, \d+, 0, \d+\);|DO SETVAL\(`invoice_seq`, \d+, 0\);/);
  });

  it('keeps what SHOW CREATE does not compare: trigger order, session of routines, sequence values, SRIDs', async () => {
    const triggerSql =
      'SELECT TRIGGER_NAME, ACTION_ORDER, SQL_MODE, CHARACTER_SET_CLIENT, COLLATION_CONNECTION FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY TRIGGER_NAME';
    expect(await query(restored, triggerSql, [restored.database])).toEqual(await query(source, triggerSql, [source.database]));
    const routineSql =
      'SELECT ROUTINE_NAME, SQL_MODE, CHARACTER_SET_CLIENT, COLLATION_CONNECTION, SECURITY_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY ROUTINE_NAME';
    expect(await query(restored, routineSql, [restored.database])).toEqual(await query(source, routineSql, [source.database]));
    const eventSql =
      'SELECT EVENT_NAME, TIME_ZONE, STATUS, ON_COMPLETION, SQL_MODE, CHARACTER_SET_CLIENT FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY EVENT_NAME';
    expect(await query(restored, eventSql, [restored.database])).toEqual(await query(source, eventSql, [source.database]));
    const calls = 'SELECT latin1_fn() AS a, no_sql_fn() AS b, ansi_fn(\'x\') AS c, order_total(10) AS d';
    expect(await query(restored, calls)).toEqual(await query(source, calls));
    const sridSql =
      'SELECT G_TABLE_NAME, G_GEOMETRY_COLUMN, SRID FROM information_schema.GEOMETRY_COLUMNS WHERE G_TABLE_SCHEMA = ? ORDER BY 1, 2';
    const srids = await query(source, sridSql, [source.database]);
    expect(srids.length).toBeGreaterThan(0);
    expect(await query(restored, sridSql, [restored.database])).toEqual(srids);
    // A sequence continues after the last value the source had reserved (its cache is not carried over,
    // exactly as after a server restart): no value can be handed out twice.
    const reserved = await query<{ a: string; b: string }>(
      source,
      'SELECT (SELECT next_not_cached_value FROM invoice_seq) AS a, (SELECT next_not_cached_value FROM plain_seq) AS b',
    );
    expect(await query(restored, 'SELECT NEXTVAL(invoice_seq) AS a, NEXTVAL(plain_seq) AS b')).toEqual(reserved);
    // Invisible columns were dumped (not left to their defaults).
    const hidden = 'SELECT id, secret FROM generated_cols ORDER BY id';
    expect(await query(restored, hidden)).toEqual(await query(source, hidden));
  });

  it('records per-table data ranges that hold only that table\'s INSERTs and replay on their own', async () => {
    const replay = await schema('dump_replay');
    let previousEnd = 0;
    for (const table of result.tables) {
      expect(table.frameOffset).toBe(table.dataOffset); // MemorySqlSink: a member starts where we are
      expect(table.dataOffset).toBeGreaterThanOrEqual(previousEnd);
      previousEnd = table.dataOffset + table.dataLength;
      const range = dump.subarray(table.dataOffset, table.dataOffset + table.dataLength);
      const before = dump.subarray(0, table.dataOffset).toString('utf8');
      // The table's structure comes before its data range.
      expect(before.lastIndexOf(`CREATE TABLE \`${table.name}\``)).toBeGreaterThan(-1);
      if (table.rows === 0) {
        expect(range.length).toBe(0);
        continue;
      }
      const text = range.toString('utf8');
      const prefix = `INSERT INTO \`${table.name.replace(/`/g, '``')}\` (`;
      expect(text.startsWith(prefix) || text.startsWith('/*M!100201 SET @LIFEBOAT_OLD_CHECKS')).toBe(true);
      expect(text.endsWith(';\n')).toBe(true);
      // Newlines in values are escaped, so every line is a statement start or one row, or (after the
      // rows) an UPDATE appending a piece of a long value, with CHECK constraints off around them.
      const lines = text.slice(0, -1).split('\n');
      let tuples = 0;
      for (const line of lines) {
        if (line.startsWith('/*M!100201 SET ')) continue;
        if (line.startsWith(`UPDATE \`${table.name.replace(/`/g, '``')}\` SET `)) {
          expect(line).toMatch(/ WHERE .*;$/);
          continue;
        }
        expect(line.startsWith(prefix) || line.startsWith('(')).toBe(true);
        expect(line.endsWith(',') || line.endsWith(');')).toBe(true);
        tuples++;
      }
      expect(tuples).toBe(table.rows);

      // Replay just this range into an empty copy of the table (no triggers, no other tables).
      await withConnection(replay, async (conn) => {
        await conn.query("SET NAMES utf8mb4, time_zone = '+00:00', sql_mode = 'NO_AUTO_VALUE_ON_ZERO', foreign_key_checks = 0");
        const [create] = await conn.query(`SHOW CREATE TABLE \`${source.database}\`.\`${table.name}\``);
        await conn.query((create as Record<string, string>[])[0]['Create Table'].replace(/ DEFAULT nextval\([^)]*\)/gi, ''));
        await conn.query(text);
        const [a] = await conn.query(`CHECKSUM TABLE \`${table.name}\` EXTENDED`);
        const [b] = await conn.query(`CHECKSUM TABLE \`${source.database}\`.\`${table.name}\` EXTENDED`);
        expect((a as { Checksum: unknown }[])[0].Checksum, table.name).toEqual((b as { Checksum: unknown }[])[0].Checksum);
      });
    }
  });

  it('keeps definers when asked', async () => {
    const sink = new MemorySqlSink();
    await dumpMysql(source, sink, { keepDefiners: true });
    const text = sink.toBuffer().toString('latin1');
    expect(text).toContain('DEFINER=`lifeboat_definer`@`%`');
    expect(text).toContain('DEFINER=`root`@`localhost`');
    const restoredWithDefiners = await schema('dump_definers');
    const file = path.join(tmp, 'definers.sql');
    await sink.saveTo(file);
    await loadWithStockClient(restoredWithDefiners, file);
    const sql = 'SELECT ROUTINE_NAME, DEFINER FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY 1';
    expect(await query(restoredWithDefiners, sql, [restoredWithDefiners.database])).toEqual(await query(source, sql, [source.database]));
  });

  it('loads, with definers stripped, as a user with privileges on its own database only', async () => {
    const target = await schema('dump_user');
    const user = `lbt_${Math.random().toString(36).slice(2, 10)}`;
    const password = 'Lifeboat-test-1';
    await query(target, `CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
    await query(target, `CREATE USER '${user}'@'localhost' IDENTIFIED BY '${password}'`);
    try {
      for (const host of ['%', 'localhost']) await query(target, `GRANT ALL PRIVILEGES ON \`${target.database}\`.* TO '${user}'@'${host}'`);
      const file = path.join(tmp, 'dump_corner.sql');
      await loadWithStockClient({ ...target, user, password }, file);
      // fingerprint() normalises backtick-quoted definers only; ANSI_QUOTES routines show them in "".
      const withoutDefiners = (fp: SchemaFingerprint) => ({
        ...fp,
        objects: Object.fromEntries(Object.entries(fp.objects).map(([k, v]) => [k, v.replace(/ DEFINER="[^"]*"@"[^"]*"/, '')])),
      });
      expect(withoutDefiners(await fingerprint(target))).toEqual(withoutDefiners(await fingerprint(restored)));
    } finally {
      for (const host of ['%', 'localhost']) await query(target, `DROP USER IF EXISTS '${user}'@'${host}'`);
    }
  });

  it('reports progress at most every ~200 ms and stops on abort', async () => {
    const progress: Progress[] = [];
    const sink = new MemorySqlSink();
    await dumpMysql(source, sink, { onProgress: (p) => progress.push({ ...p }) });
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p.phase === 'dump')).toBe(true);
    expect(progress[progress.length - 1].bytes).toBe(sink.bytesWritten);

    const controller = new AbortController();
    let written = 0;
    const aborting: SqlSink = {
      get bytesWritten() {
        return written;
      },
      async write(chunk) {
        written += Buffer.byteLength(chunk);
        if (written > 100_000) controller.abort(new Error('stop now'));
      },
      async cut() {
        return { frameOffset: Promise.resolve(written) };
      },
    };
    await expect(dumpMysql(source, aborting, { signal: controller.signal })).rejects.toThrow('stop now');
  });
});

describe('dumpMysql with large rows', () => {
  it('writes values above the statement limit in pieces, no statement above the limit', async () => {
    const source = await schema('dump_big');
    const [packet] = await query<{ p: string }>(source, 'SELECT @@max_allowed_packet AS p');
    const maxAllowedPacket = Number(packet.p);
    const limit = statementLimitFor(maxAllowedPacket);
    expect(limit).toBeLessThanOrEqual(4 * 1024 * 1024);
    const allBytes = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0')).join('');
    await withConnection(source, async (conn) => {
      await conn.query('CREATE TABLE big_server (id INT NOT NULL PRIMARY KEY, b LONGBLOB)');
      await conn.query('CREATE TABLE big_js (id INT NOT NULL PRIMARY KEY, b LONGBLOB, t LONGTEXT) DEFAULT CHARSET=utf8mb4');
      await conn.query('CREATE TABLE many (id INT NOT NULL PRIMARY KEY, s VARCHAR(255))');
      await conn.query(`SET @bytes = UNHEX('${allBytes}')`);
      // 6 MiB: over the statement limit, though its hex would fit max_allowed_packet.
      await conn.query('INSERT INTO big_server VALUES (1, REPEAT(@bytes, 6 * 4096))');
      await conn.query("INSERT INTO big_server VALUES (2, ''), (3, NULL), (4, 'small')");
      // 9 MiB of bytes and ~9 MB of text: beyond what the server may format in one row.
      await conn.query('INSERT INTO big_js VALUES (1, REPEAT(@bytes, 9 * 4096), NULL)');
      await conn.query(
        "INSERT INTO big_js VALUES (2, NULL, REPEAT(CONCAT('quote '' backslash \\\\ crlf \\r\\n nul ', CHAR(0), ' emoji 😀 ^Z ', CHAR(26), ' end'), 170000))",
      );
      await conn.query("INSERT INTO big_js VALUES (3, '', ''), (4, NULL, NULL), (5, 'small', 'small')");
      await conn.query("INSERT INTO many SELECT seq, REPEAT(CONCAT('row ', seq, ' '), 20) FROM seq_1_to_60000");
    });
    const [sizes] = await query<{ b: string; t: string }>(source, 'SELECT MAX(LENGTH(b)) AS b, MAX(LENGTH(t)) AS t FROM big_js');
    expect(Number(sizes.b)).toBeGreaterThan(maxAllowedPacket / 2);
    expect(Number(sizes.t)).toBeGreaterThan(maxAllowedPacket / 2);

    const sink = new MemorySqlSink();
    const result = await dumpMysql(source, sink);
    const dump = sink.toBuffer();
    const statementsOf = (name: string) => {
      const table = result.tables.find((t) => t.name === name)!;
      const range = dump.subarray(table.dataOffset, table.dataOffset + table.dataLength).toString('latin1');
      return range.split(/;\n/).filter((s) => s !== '');
    };
    // No statement beyond the limit, however long a value: long ones are appended in pieces.
    for (const name of ['big_server', 'big_js', 'many']) {
      for (const statement of statementsOf(name)) expect(statement.length).toBeLessThan(limit + 1024);
    }
    // Rows per statement (values never hold a raw newline): the rows together, each with a first piece of
    // its long values, then an UPDATE per further piece.
    const [serverRows, ...serverPieces] = statementsOf('big_server');
    expect(serverRows).toMatch(/^INSERT INTO `big_server` \(`id`,`b`\) VALUES \(1,0x000102/);
    expect(serverRows.split('\n')).toHaveLength(4);
    expect(serverPieces.length).toBeGreaterThanOrEqual(2);
    for (const piece of serverPieces) expect(piece).toMatch(/^UPDATE `big_server` SET `b`=CONCAT\(`b`,0x[0-9A-F]+\) WHERE `id`=1$/);
    const [jsRows, ...jsPieces] = statementsOf('big_js');
    expect(jsRows.split('\n')).toHaveLength(5);
    expect(new Set(jsPieces.map((piece) => /^UPDATE `big_js` SET (`\w+`)=CONCAT/.exec(piece)?.[1]))).toEqual(new Set(['`b`', '`t`']));
    const many = statementsOf('many');
    expect(many.length).toBeGreaterThan(1);
    for (const s of many) expect(s.length + 2).toBeLessThanOrEqual(limit);
    expect(result.tables.find((t) => t.name === 'many')?.rows).toBe(60000);

    const file = path.join(tmp, 'big.sql');
    await writeFile(file, dump);
    const restored = await schema('dump_big_r');
    await loadWithStockClient(restored, file);
    expect(await fingerprint(restored)).toEqual(await fingerprint(source));
  });
});

describe('dumpMysql on a live database', () => {
  it('does not block writers and sees one consistent snapshot', async () => {
    const source = await schema('dump_live');
    await withConnection(source, async (conn) => {
      await conn.query('CREATE TABLE a_ledger (id INT NOT NULL PRIMARY KEY, balance BIGINT NOT NULL)');
      await conn.query('CREATE TABLE z_ledger (id INT NOT NULL PRIMARY KEY, balance BIGINT NOT NULL)');
      await conn.query('INSERT INTO a_ledger VALUES (1, 1000000), (2, 0)');
      await conn.query('INSERT INTO z_ledger VALUES (1, 0), (2, 0)');
      await conn.query(
        'CREATE TABLE m_orders (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, customer VARCHAR(100), total DECIMAL(12,4), note TEXT, created DATETIME(6))',
      );
      await conn.query(
        "INSERT INTO m_orders (customer, total, note, created) SELECT CONCAT('customer ', seq), seq / 7, REPEAT('note ', seq % 20), '2024-01-01' + INTERVAL seq SECOND FROM seq_1_to_300000",
      );
    });

    let stop = false;
    let maxLatency = 0;
    let writes = 0;
    let dumpStarted = false;
    let writesDuringDump = 0;
    const writer = withConnection(source, async (conn) => {
      while (!stop) {
        const started = performance.now();
        // A transfer between the first and the last table: their sum is invariant in every snapshot.
        await conn.query('START TRANSACTION');
        await conn.query('UPDATE a_ledger SET balance = balance - 1 WHERE id = 1');
        await conn.query('UPDATE z_ledger SET balance = balance + 1 WHERE id = 1');
        await conn.query("INSERT INTO m_orders (customer, total, note, created) VALUES ('live', 1, 'written during the dump', NOW(6))");
        await conn.query('UPDATE m_orders SET total = total + 1 WHERE id = 1');
        await conn.query('COMMIT');
        maxLatency = Math.max(maxLatency, performance.now() - started);
        writes++;
        if (dumpStarted) writesDuringDump++;
      }
    });

    try {
      while (writes < 5) await new Promise((resolve) => setTimeout(resolve, 10));
      const sink = new MemorySqlSink();
      // A slow sink: the dump holds its snapshot for longer while the writer keeps going.
      const slow: SqlSink = {
        get bytesWritten() {
          return sink.bytesWritten;
        },
        async write(chunk) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          await sink.write(chunk);
        },
        cut: () => sink.cut(),
      };
      dumpStarted = true;
      const result = await dumpMysql(source, slow);
      dumpStarted = false;
      stop = true;
      await writer;
      expect(writesDuringDump).toBeGreaterThan(10);
      expect(maxLatency).toBeLessThan(2000);

      const file = path.join(tmp, 'live.sql');
      await sink.saveTo(file);
      const restored = await schema('dump_live_r');
      await loadWithStockClient(restored, file);
      const [sums] = await query<{ total: string }>(
        restored,
        'SELECT (SELECT SUM(balance) FROM a_ledger) + (SELECT SUM(balance) FROM z_ledger) AS total',
      );
      expect(Number(sums.total)).toBe(1000000);
      // The orders table holds exactly the rows committed at the snapshot: as many 'live' rows as transfers.
      const [moved] = await query<{ n: string }>(restored, 'SELECT balance AS n FROM z_ledger WHERE id = 1');
      const [live] = await query<{ n: string }>(restored, "SELECT COUNT(*) AS n FROM m_orders WHERE customer = 'live'");
      expect(Number(live.n)).toBe(Number(moved.n));
      expect(result.tables.find((t) => t.name === 'm_orders')?.rows).toBe(300000 + Number(live.n));
    } finally {
      stop = true;
      await writer;
    }
  });
});

describe('dumpMysql and DDL running meanwhile', () => {
  it('lets DDL proceed on tables already dumped and leaves out tables dropped before their turn', async () => {
    const source = await schema('dump_ddl');
    await withConnection(source, async (conn) => {
      for (const name of ['a_first', 'm_middle', 'y_changed', 'z_last']) {
        // InnoDB refuses to read a table altered after the snapshot began (error 1412, the dump fails
        // and says so); a MyISAM table is read as it is when its turn comes.
        const engine = name === 'y_changed' ? 'MyISAM' : 'InnoDB';
        await conn.query(`CREATE TABLE ${name} (id INT NOT NULL PRIMARY KEY, v VARCHAR(20) NOT NULL) ENGINE=${engine}`);
        await conn.query(`INSERT INTO ${name} SELECT seq, CONCAT('v', seq) FROM seq_1_to_100`);
      }
    });
    const memory = new MemorySqlSink();
    let alterMs = -1;
    const sink: SqlSink = {
      get bytesWritten() {
        return memory.bytesWritten;
      },
      async write(chunk) {
        if (alterMs < 0 && chunk.toString().includes('Table structure for table `m_middle`')) {
          // a_first is dumped: altering it must not wait for the dump; z_last goes before its turn.
          await withConnection(source, async (conn) => {
            await conn.query('SET SESSION lock_wait_timeout = 5');
            const started = performance.now();
            await conn.query('ALTER TABLE a_first ADD COLUMN added INT');
            alterMs = performance.now() - started;
            await conn.query('DROP TABLE z_last');
            // Altered after the dump read its columns: a new first column, and NULLs where there were none.
            await conn.query('ALTER TABLE y_changed ADD COLUMN w INT NOT NULL DEFAULT 7 FIRST, MODIFY v VARCHAR(20) NULL');
            await conn.query('UPDATE y_changed SET w = id * 3, v = IF(id % 2 = 0, NULL, v)');
          });
        }
        await memory.write(chunk);
      },
      cut: () => memory.cut(),
    };
    const result = await dumpMysql(source, sink);
    expect(alterMs).toBeGreaterThanOrEqual(0);
    expect(alterMs).toBeLessThan(2000);
    expect(result.tables.map((t) => t.name)).toEqual(['a_first', 'm_middle', 'y_changed']);
    expect(result.warnings.join('\n')).toContain('z_last was dropped');
    const file = path.join(tmp, 'ddl.sql');
    await memory.saveTo(file);
    const restored = await schema('dump_ddl_r');
    await loadWithStockClient(restored, file);
    const [counts] = await query<{ a: string; m: string }>(restored, 'SELECT (SELECT COUNT(*) FROM a_first) AS a, (SELECT COUNT(*) FROM m_middle) AS m');
    expect([Number(counts.a), Number(counts.m)]).toEqual([100, 100]);
    const changed = "SELECT COUNT(*) AS n, SUM(w) AS w, SUM(v IS NULL) AS nulls, MD5(GROUP_CONCAT(id, ':', w, ':', IFNULL(v, '-') ORDER BY id)) AS md5 FROM y_changed";
    const [want] = await query(source, changed);
    expect(want).toMatchObject({ n: '100', w: '15150', nulls: '50' });
    expect(await query(restored, changed)).toEqual([want]);
  });
});

describe('dumpMysql and an InnoDB table altered after the snapshot began', () => {
  it('fails with one line naming the table and what to do', async () => {
    const source = await schema('dump_alter');
    await withConnection(source, async (conn) => {
      for (const name of ['a_first', 'b_altered']) {
        await conn.query(`CREATE TABLE ${name} (id INT NOT NULL PRIMARY KEY, v VARCHAR(20) NOT NULL) ENGINE=InnoDB`);
        await conn.query(`INSERT INTO ${name} SELECT seq, CONCAT('v', seq) FROM seq_1_to_10`);
      }
    });
    const memory = new MemorySqlSink();
    let altered = false;
    const sink: SqlSink = {
      get bytesWritten() {
        return memory.bytesWritten;
      },
      async write(chunk) {
        if (!altered && chunk.toString().includes('Table structure for table `a_first`')) {
          altered = true;
          // A rebuild (an instant ALTER, like adding a last column, can still be read from the snapshot).
          await withConnection(source, (conn) => conn.query('ALTER TABLE b_altered MODIFY v VARCHAR(30) NOT NULL, FORCE'));
        }
        await memory.write(chunk);
      },
      cut: () => memory.cut(),
    };
    await expect(dumpMysql(source, sink)).rejects.toThrow(/^table b_altered was altered while the backup ran, so its rows could not be read as of the backup's start; run the backup again$/);
    expect(altered).toBe(true);
  });
});

describe('dump text helpers', () => {
  it('strips only the leading DEFINER clause', () => {
    expect(stripDefiner("CREATE DEFINER=`root`@`localhost` TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET @a = 'DEFINER=`x`@`y`'")).toBe(
      "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET @a = 'DEFINER=`x`@`y`'",
    );
    expect(stripDefiner('CREATE ALGORITHM=UNDEFINED DEFINER=`a``b`@`%` SQL SECURITY DEFINER VIEW `v` AS select 1')).toBe(
      'CREATE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW `v` AS select 1',
    );
    expect(stripDefiner('CREATE DEFINER=`role_only` PROCEDURE p() SELECT 1')).toBe('CREATE PROCEDURE p() SELECT 1');
    // Routines created under ANSI_QUOTES are shown with double quotes.
    expect(stripDefiner('CREATE DEFINER="root"@"127.0.0.1" FUNCTION "f"() RETURNS int RETURN 1')).toBe('CREATE FUNCTION "f"() RETURNS int RETURN 1');
  });

  it('picks a delimiter absent from the body and spots text the client would alter', () => {
    expect(chooseDelimiter('BEGIN SELECT 1; END')).toBe(';;');
    expect(chooseDelimiter("BEGIN SELECT ';;'; END")).toBe('$$');
    expect(clientSafe("BEGIN SELECT '-- # /* \\' ;;'; END")).toBe(true);
    expect(clientSafe('BEGIN -- note\nSELECT 1; END')).toBe(false);
    expect(clientSafe('BEGIN SELECT 1; /* note */ END')).toBe(false);
    expect(clientSafe('BEGIN\r\nSELECT 1; END')).toBe(false);
  });

  it('orders views after the views they use', () => {
    const views = [
      { name: 'a', createStatement: 'CREATE VIEW `a` AS select `m`.`x` AS `x` from `m`' },
      { name: 'm', createStatement: 'CREATE VIEW `m` AS select `z`.`x` AS `x` from `z`' },
      { name: 'z', createStatement: 'CREATE VIEW `z` AS select 1 AS `x`' },
    ];
    expect(orderViews(views).map((v) => v.name)).toEqual(['z', 'm', 'a']);
  });

  it('escapes string literals like mysql_real_escape_string', () => {
    expect(escapeStringLiteral(Buffer.from("a'b\\c\0d\ne\rf\x1ag")).toString()).toBe("'a\\'b\\\\c\\0d\\ne\\rf\\Zg'");
  });
});
