// Rows near the server's max_allowed_packet: a value that fits the server can need a longer INSERT than
// the packet allows (hex or escapes make it up to twice as long). With a primary key the value is written
// in pieces (value-pieces.ts) and loads back; without one such an INSERT could never be loaded back, so
// the backup must fail at once, leaving no archive. A dump holding such a statement must fail its restore
// with a message that names the limit. Against the real MariaDB.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseBackup } from '../../src/core/backup/database.js';
import { rollbackDatabase } from '../../src/core/rollback/database.js';
import { restoreMysql } from '../../src/engines/mysql/restore.js';
import { fingerprint, queryRows, schemaRegistry, withConnection } from '../helpers/mysql.js';
import { chunked } from '../helpers/sink.js';
import type { MysqlTarget } from '../../src/engines/target.js';

describe('rows near max_allowed_packet', () => {
  const schemas = schemaRegistry();
  let dir: string;
  let shop: MysqlTarget;
  let limit: number;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-packet-'));
    shop = await schemas.create('packet');
    const [row] = await queryRows<{ p: number }>(shop, 'SELECT @@max_allowed_packet AS p');
    limit = Number(row.p);
    // Bytes that need escaping (NUL, quote, backslash) or hex: the literal is ~1.75 times the value.
    const quarter = Math.floor((limit * 0.7) / 4);
    await withConnection(shop, (conn) =>
      conn.query(`CREATE TABLE media (id INT PRIMARY KEY, data LONGBLOB);
        INSERT INTO media VALUES (1, REPEAT(UNHEX('00FF5C27'), ${quarter})), (2, 'small');
        CREATE TABLE keyless (data LONGBLOB);`),
    );
  });

  afterAll(async () => {
    await schemas.dropAll();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a value whose literal would not fit a packet is backed up in pieces and rolled back exactly', async () => {
    const backupDir = path.join(dir, 'pieces');
    const before = await fingerprint(shop);
    const record = await createDatabaseBackup(shop, backupDir);
    const target = await schemas.create('packetback');
    await rollbackDatabase(target, backupDir, record);
    expect(await fingerprint(target)).toEqual(before);
  });

  it('a backup whose row could not be loaded back (no primary key) fails in one line and leaves no archive', async () => {
    await withConnection(shop, (conn) => conn.query('INSERT INTO keyless SELECT data FROM media WHERE id = 1'));
    const backupDir = path.join(dir, 'backups');
    await expect(createDatabaseBackup(shop, backupDir)).rejects.toThrow(
      new RegExp(`^a row of table keyless needs a \\d+-byte INSERT, more than max_allowed_packet \\(${limit} bytes\\).*raise max_allowed_packet`),
    );
    expect(await readdir(backupDir).catch(() => [])).toEqual([]);
  });

  it('a dump with a statement over the limit fails its restore naming the limit, the database unchanged', async () => {
    const before = await fingerprint(shop);
    const statement = `INSERT INTO media VALUES (3, 0x${'AB'.repeat(Math.ceil(limit / 2))});\n`;
    const dump = Buffer.from(`CREATE TABLE media (id INT PRIMARY KEY, data LONGBLOB);\n${statement}`);
    await expect(restoreMysql(shop, chunked(dump, 1 << 20))).rejects.toThrow(
      new RegExp(`the statement is ${statement.length - 2} bytes, more than the server's max_allowed_packet \\(${limit} bytes\\); raise it .*the database was not changed`),
    );
    expect(await fingerprint(shop)).toEqual(before);
  });

  it('a value that its pieces would make longer than max_allowed_packet fails the restore (it would become NULL)', async () => {
    const before = await fingerprint(shop);
    const piece = `0x${'AB'.repeat(3 * 1024 * 1024)}`;
    const appends = Math.ceil(limit / (3 * 1024 * 1024));
    const dump = Buffer.from(
      `/*!40101 SET SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;\nCREATE TABLE media (id INT PRIMARY KEY, data LONGBLOB);\nINSERT INTO media VALUES (1, ${piece});\n` +
        `UPDATE media SET data = CONCAT(data, ${piece}) WHERE id = 1;\n`.repeat(appends),
    );
    await expect(restoreMysql(shop, chunked(dump, 1 << 20), { ownDump: true })).rejects.toThrow(
      /a value of table media would be longer than the server's max_allowed_packet \(Warning 1301: Result of concat\(\) was larger than max_allowed_packet.*the database was not changed/,
    );
    expect(await fingerprint(shop)).toEqual(before);
  });
});
