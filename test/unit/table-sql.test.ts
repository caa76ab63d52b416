// Reading some tables' SQL from parts of a .sql.gz archive (src/core/rollback/table-sql.ts), on an archive laid out
// as the MySQL dump writes it (header; per table structure, a cut, data, triggers; trailer), where the
// definition of the table read shares a multi-MiB gzip member with the previous table's last statement:
// the SQL given back is exactly the right slices of the dump, and the large tables are mostly not read.
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FrameWriter } from '../../src/archive/codec/frame-writer.js';
import { gzip as gzipCodec } from '../../src/archive/codec/gzip.js';
import { planTableSql, readTableSql } from '../../src/core/rollback/table-sql.js';
import type { Manifest, TableEntry } from '../../src/shared/types.js';

interface Dump {
  sql: Buffer;
  archive: Buffer;
  manifest: Manifest;
}

/**
 * A dump of tables `big_a` and `big_z` (3 statements of 3 MiB each) around `small` (with a trigger).
 * big_a's last statement and small's definition are written at once: one gzip member of more than 1 MiB
 * compressed, whose start has to be found more than 1 MiB before small's data.
 */
async function makeDump(): Promise<Dump> {
  const members: Buffer[] = [];
  const gzip = new FrameWriter({ write: async (b) => void members.push(b) }, gzipCodec);
  const tables: TableEntry[] = [];
  await gzip.write('-- header\nSET NAMES utf8mb4;\n');
  let carry = '';
  for (const name of ['big_a', 'small', 'big_z']) {
    await gzip.write(`${carry}DROP TABLE IF EXISTS \`${name}\`;\nCREATE TABLE \`${name}\` (id INT, data LONGTEXT);\n-- Data for ${name}\n`);
    carry = '';
    const gzipOffset = await (await gzip.cut()).frameOffset;
    const dataOffset = gzip.bytesWritten;
    const statements = name === 'small' ? 1 : 3;
    const size = name === 'small' ? 64 : 1536 << 10; // random bytes; their hex is twice as long
    for (let i = 0; i < statements; i++) {
      const statement = `INSERT INTO \`${name}\` VALUES (${i}, '${randomBytes(size).toString('hex')}');\n`;
      if (name === 'big_a' && i === statements - 1) carry = statement;
      else await gzip.write(statement);
    }
    tables.push({ name, rows: statements, dataOffset, dataLength: gzip.bytesWritten + carry.length - dataOffset, gzipOffset });
    if (name === 'small') await gzip.write('CREATE TRIGGER small_bi BEFORE INSERT ON `small` FOR EACH ROW SET NEW.id = NEW.id;\n');
  }
  await gzip.write('-- trailer\n');
  const sqlBytes = await gzip.finish();
  const archive = Buffer.concat(members);
  const sql = gunzipSync(archive);
  expect(sql.length).toBe(sqlBytes);
  const manifest = {
    type: 'db',
    engine: { kind: 'mysql', serverVersion: 'test', database: 'shop' },
    archive: { size: archive.length, sha256: '', compression: 'gzip' },
    sqlBytes,
    tables,
  } as unknown as Manifest; // only what planTableSql reads
  return { sql, archive, manifest };
}

async function readTables(dump: Dump, tables: string[]): Promise<{ sql: Buffer; bytesRead: number }> {
  const plan = planTableSql(dump.manifest, tables);
  if (!plan) throw new Error('no plan');
  let bytesRead = 0;
  const read = async (start: number, end: number) => {
    bytesRead += end - start;
    return [dump.archive.subarray(start, end)];
  };
  const parts: Buffer[] = [];
  for await (const part of readTableSql(read, plan)) parts.push(part);
  const sql = Buffer.concat(parts);
  expect(sql.length).toBe(plan.sqlBytes);
  return { sql, bytesRead };
}

let made: Promise<Dump> | undefined;
const dumpOnce = () => (made ??= makeDump());

describe('reading some tables of a .sql.gz archive by parts', () => {
  it("gives the header, the table's definition after the previous table's data, and its own data, reading little", async () => {
    const dump = await dumpOnce();
    const [bigA, small, bigZ] = dump.manifest.tables;
    const { sql, bytesRead } = await readTables(dump, ['small']);
    const expected = Buffer.concat([
      dump.sql.subarray(0, bigA.dataOffset), // header and big_a's definition
      dump.sql.subarray(bigA.dataOffset + bigA.dataLength, small.dataOffset), // small's definition
      dump.sql.subarray(small.dataOffset, bigZ.dataOffset), // small's data, its trigger, big_z's definition
    ]);
    expect(sql.equals(expected)).toBe(true);
    expect(sql.toString()).toContain('CREATE TABLE `small`');
    expect(sql.toString()).toContain('CREATE TRIGGER small_bi');
    expect(bytesRead).toBeLessThan(dump.archive.length / 2);
  });

  it('reads neighbouring tables as one part, and the last table to the end of the archive', async () => {
    const dump = await dumpOnce();
    const [bigA, small, bigZ] = dump.manifest.tables;
    expect(planTableSql(dump.manifest, ['big_a', 'small'])?.parts).toHaveLength(1);
    expect((await readTables(dump, ['big_a', 'small'])).sql.equals(dump.sql.subarray(0, bigZ.dataOffset))).toBe(true);
    const last = await readTables(dump, ['big_z']);
    const expected = Buffer.concat([
      dump.sql.subarray(0, bigA.dataOffset),
      dump.sql.subarray(small.dataOffset + small.dataLength, bigZ.dataOffset),
      dump.sql.subarray(bigZ.dataOffset),
    ]);
    expect(last.sql.equals(expected)).toBe(true);
    expect(last.sql.toString()).toMatch(/-- trailer\n$/);
  });

  it('declines archives it cannot read by parts: SQLite dumps, dumps without per-table offsets', async () => {
    const dump = await dumpOnce();
    expect(planTableSql({ ...dump.manifest, engine: { kind: 'sqlite', serverVersion: '3', database: 'main' } }, ['small'])).toBeUndefined();
    const withoutOffsets = dump.manifest.tables.map(({ gzipOffset: _dropped, ...rest }) => rest);
    expect(planTableSql({ ...dump.manifest, tables: withoutOffsets }, ['small'])).toBeUndefined();
  });
});
