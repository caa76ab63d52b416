// Values longer than one statement of the dump (value-pieces.ts): the INSERT carries a first piece and
// UPDATEs append the rest, so that no statement of the dump, and nothing the dump or the restore holds,
// grows with the size of one value. Against the real MariaDB: the restored tables must equal the source
// (checksums, and an MD5 of every long value), through Lifeboat's restore and the stock client alike.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseBackup } from '../../src/core/backup/database.js';
import { rollbackDatabase } from '../../src/core/rollback/database.js';
import { dumpMysql, statementLimitFor } from '../../src/engines/mysql/dump.js';
import { restoreMysql } from '../../src/engines/mysql/restore.js';
import { fingerprint, loadWithStockClient, queryRows, schemaRegistry, withConnection, type SchemaFingerprint } from '../helpers/mysql.js';
import { chunked, MemorySqlSink } from '../helpers/sink.js';
import type { MysqlTarget } from '../../src/engines/target.js';

const MiB = 1024 * 1024;

// Every long value repeats a pattern with what escaping, hex and character cutting must get right:
// multi-byte characters (2, 3 and 4 bytes), quotes, backslashes, CR, LF, NUL and ^Z.
const SOURCE_SQL = `
CREATE TABLE doc (
  id INT NOT NULL PRIMARY KEY,
  body LONGTEXT CHARACTER SET utf8mb4,
  data LONGBLOB,
  attrs LONGTEXT CHECK (attrs IS NULL OR JSON_VALID(attrs)),
  legacy MEDIUMTEXT CHARACTER SET latin1,
  kanji MEDIUMTEXT CHARACTER SET sjis,
  note VARCHAR(20),
  changed TIMESTAMP NOT NULL DEFAULT '2001-02-03 04:05:06' ON UPDATE CURRENT_TIMESTAMP,
  UNIQUE KEY uk_body (body(64))
) ENGINE=InnoDB;
INSERT INTO doc (id, body, data, attrs, legacy, kanji, note) VALUES
  (1, REPEAT(CONCAT('ü€😀 it''s a \\\\ back\\r\\nslash', CHAR(0), CHAR(26), '\\t'), 190000),
      REPEAT(UNHEX('00FF5C270A0D1A22'), 1300000),
      CONCAT('{"list": [', REPEAT('"😀 \\\\u00e9 x", ', 300000), '1]}'),
      REPEAT(CONCAT('Caf', CHAR(233), ' ''', CHAR(10)), 900000),
      REPEAT(CONVERT('日本語テキスト、' USING sjis), 400000),
      'first'),
  (2, CONCAT('a different start ', REPEAT('ß', 3000000)), REPEAT(UNHEX('0102'), 3000000), NULL, NULL, NULL, 'second'),
  (3, 'short', UNHEX('00'), '{}', 'short', 'short', 'third'),
  (4, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE pair (a VARCHAR(20) NOT NULL, b INT NOT NULL, big LONGBLOB, PRIMARY KEY (a, b)) ENGINE=InnoDB;
INSERT INTO pair VALUES (CONCAT('it''s', CHAR(10), 'x\\\\'), 7, REPEAT(UNHEX('ABCDEF'), 2500000)), ('plain', 1, 'small');
CREATE TABLE loose (big LONGBLOB) ENGINE=InnoDB;
INSERT INTO loose VALUES (REPEAT(UNHEX('5A'), 5000000));
`;

/** An MD5 of every value of the long columns, per row: a restored value must be byte for byte the same. */
async function valueDigests(target: MysqlTarget): Promise<unknown[]> {
  return queryRows(
    target,
    `SELECT id, MD5(body) b, MD5(data) d, MD5(attrs) a, MD5(legacy) l, MD5(kanji) k, note, changed FROM doc
     UNION ALL SELECT HEX(a), MD5(big), b, NULL, NULL, NULL, NULL, NULL FROM pair
     UNION ALL SELECT 'loose', MD5(big), NULL, NULL, NULL, NULL, NULL, NULL FROM loose ORDER BY 1`,
  );
}

describe('values longer than a statement', () => {
  const schemas = schemaRegistry();
  let dir: string;
  let source: MysqlTarget;
  let sourcePrint: SchemaFingerprint;
  let sourceValues: unknown[];
  let dump: Buffer;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-long-'));
    source = await schemas.create('longsrc');
    await withConnection(source, (conn) => conn.query(SOURCE_SQL));
    sourcePrint = await fingerprint(source);
    sourceValues = await valueDigests(source);
    const sink = new MemorySqlSink();
    await dumpMysql(source, sink);
    dump = sink.toBuffer();
  });

  afterAll(async () => {
    await schemas.dropAll();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes no statement longer than the statement limit, but for a table without a primary key', async () => {
    const [row] = await queryRows<{ p: number }>(source, 'SELECT @@max_allowed_packet AS p');
    const limit = statementLimitFor(Number(row.p));
    // One row per line: the only line beyond the limit is the keyless table's row, whole.
    const long = dump.toString('latin1').split('\n').filter((line) => line.length > limit);
    expect(long.map((line) => line.slice(0, 36))).toEqual(['INSERT INTO `loose` (`big`) VALUES (']);
    // body, data, attrs, legacy and kanji of row 1, body and data of row 2, big of pair: appended.
    const appended = dump.toString('latin1').split('\n').filter((line) => line.startsWith('UPDATE '));
    for (const column of ['body', 'data', 'attrs', 'legacy', 'kanji', 'big']) {
      expect(appended.some((s) => s.includes(`SET \`${column}\`=CONCAT(`)), column).toBe(true);
    }
    // The ON UPDATE column keeps its value: every UPDATE sets it to itself.
    expect(appended.filter((s) => s.includes('`doc`')).every((s) => s.includes(',`changed`=`changed` WHERE `id`='))).toBe(true);
    expect(dump.toString('latin1')).toContain('CHECK_CONSTRAINT_CHECKS=0');
  });

  it('loads back exactly, through Lifeboat over one and two sessions', async () => {
    for (const threads of [1, 2]) {
      const target = await schemas.create(`longown${threads}`);
      await restoreMysql(target, chunked(dump, 1 * MiB), { threads });
      expect(await fingerprint(target), `${threads} session(s)`).toEqual(sourcePrint);
      expect(await valueDigests(target)).toEqual(sourceValues);
    }
  });

  it('loads back exactly with the stock client', async () => {
    const file = path.join(dir, 'dump.sql');
    await writeFile(file, dump);
    const target = await schemas.create('longstock');
    await loadWithStockClient(target, file);
    expect(await fingerprint(target)).toEqual(sourcePrint);
    expect(await valueDigests(target)).toEqual(sourceValues);
  });

  it('rolls a backup back read as two streams, and one table of it alone', async () => {
    const backupDir = path.join(dir, 'backups');
    const record = await createDatabaseBackup(source, backupDir);
    const target = await schemas.create('longroll');
    await rollbackDatabase(target, backupDir, record);
    expect(await fingerprint(target)).toEqual(sourcePrint);
    expect(await valueDigests(target)).toEqual(sourceValues);
    // One table: its range of the archive holds its appended pieces too.
    await withConnection(target, (conn) => conn.query("UPDATE doc SET body = 'changed', data = NULL WHERE id = 1"));
    await rollbackDatabase(target, backupDir, record, { tables: ['doc'] });
    expect(await valueDigests(target)).toEqual(sourceValues);
  });
});
