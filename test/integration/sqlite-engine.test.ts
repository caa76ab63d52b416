// The SQLite engine on real files: a corner-case database is dumped, loaded with the stock sqlite3
// shell and restored in place over damaged copies, and every table, object and counter must match.
import { DatabaseSync as Database } from 'node:sqlite';
import { column, rowArrays, rowArraysExact, value } from '../helpers/sqlite.js';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DumpResult } from '../../src/engines/engine.js';
import { dumpSqlite } from '../../src/engines/sqlite/dump.js';
import { restoreSqlite, SqliteRestoreError } from '../../src/engines/sqlite/restore.js';
import { chunked, MemorySqlSink } from '../helpers/sink.js';

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/sqlite-corner-cases.sql');
const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
const target = (file: string) => ({ kind: 'sqlite' as const, path: file });

/** A value as an exact string: storage class plus bytes (REAL as its IEEE bits, so -0.0 counts). */
function exact(type: unknown, value: unknown): string {
  if (typeof value === 'number') {
    const bits = Buffer.alloc(8);
    bits.writeDoubleBE(value);
    return `${type}:${bits.toString('hex')}`;
  }
  return `${type}:${String(value)}`;
}

interface Fingerprint {
  header: unknown[];
  schema: string[];
  rows: Record<string, string[]>;
  sequence: unknown[];
}

/** Everything that must survive a dump and a restore: objects' SQL, every row of every table, counters. */
function fingerprint(file: string): Fingerprint {
  const db = new Database(file, { readOnly: true });
  try {
    const header = [value(db, 'PRAGMA user_version'), value(db, 'PRAGMA application_id')];
    const schema = column<string>(db, "SELECT type || ' ' || name || ' ON ' || tbl_name || ': ' || sql FROM sqlite_schema WHERE sql NOT NULL ORDER BY type, name");
    const tables = rowArrays(db, "SELECT name, wr FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'virtual') AND name NOT LIKE 'sqlite%'").map(
      ([name, wr]) => ({ name: name as string, wr: wr as number }),
    );
    const rows: Record<string, string[]> = {};
    for (const { name, wr } of tables) {
      const columns = column<string>(db, 'SELECT name FROM pragma_table_xinfo(?) WHERE hidden != 1', name);
      const rowid = wr ? undefined : ['rowid', '_rowid_', 'oid'].find((r) => !columns.some((c) => c.toLowerCase() === r));
      const all = rowid ? [rowid, ...columns] : columns;
      const select = all.map((c) => `typeof(${q(c)}), CASE WHEN typeof(${q(c)}) IN ('text', 'blob') THEN hex(${q(c)}) ELSE ${q(c)} END`);
      rows[name] = rowArraysExact(db, `SELECT ${select.join(', ')} FROM ${q(name)}${rowid ? ` ORDER BY ${q(rowid)}` : ''}`).map((r) =>
        r.flatMap((v, i) => (i % 2 ? [exact(r[i - 1], v)] : [])).join(' | '),
      );
    }
    const hasSequence = schema.some((s) => s.startsWith('table sqlite_sequence '));
    const sequence = hasSequence ? rowArrays(db, 'SELECT name, seq FROM sqlite_sequence ORDER BY name') : [];
    return { header, schema, rows, sequence };
  } finally {
    db.close();
  }
}

function createFixture(file: string, journalMode = 'wal'): void {
  const db = new Database(file);
  db.exec(`PRAGMA journal_mode = ${journalMode}`);
  db.exec(readFileSync(FIXTURE, 'utf8'));
  db.close();
}

async function dumpToBuffer(file: string): Promise<{ sql: Buffer; result: DumpResult }> {
  const sink = new MemorySqlSink();
  const result = await dumpSqlite(target(file), sink);
  return { sql: sink.toBuffer(), result };
}

function loadWithShell(sql: Buffer, file: string): void {
  const run = spawnSync('sqlite3', ['-bail', file], { input: sql, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
}

const stagingFiles = (dir: string) => readdirSync(dir).filter((f) => f.includes('.lifeboat-stage-') || f.startsWith('.lifeboat-rollback-'));

describe('SQLite engine', () => {
  let dir: string;
  let original: string;
  let dump: Buffer;
  let dumped: DumpResult;
  let expected: Fingerprint;
  let n = 0;
  const fresh = (name: string) => path.join(dir, `${++n}-${name}.db`);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-sqlite-'));
    original = path.join(dir, 'shop.db');
    createFixture(original);
    expected = fingerprint(original);
    ({ sql: dump, result: dumped } = await dumpToBuffer(original));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('dumps in sqlite3 .dump style and reports tables, objects and the engine', () => {
    const text = dump.toString('utf8');
    expect(text.startsWith('PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nPRAGMA user_version=42;\nPRAGMA application_id=1819305582;\n')).toBe(true);
    expect(text.endsWith('COMMIT;\n')).toBe(true);
    expect(text).not.toContain('\0');
    expect(text).toContain('INSERT INTO "my ""quoted"" table"("rowid","col with space","it\'s","semi;colon","br[acket")');
    expect(text).toContain('INSERT INTO "items"("id","price","qty") VALUES(1,2.5,4);'); // no generated columns
    expect(text).toContain(`'nul'||char(0)||'inside'||char(0)`);
    expect(text).toContain('-9223372036854775808,0.0,-0.0');
    expect(text).toContain('9.0e+999,-9.0e+999');
    expect(text).toContain("CAST(X'C328FF41' AS TEXT)");
    expect(text).toContain("DELETE FROM sqlite_sequence;\nINSERT INTO sqlite_sequence(name,seq) VALUES('orders',5);");
    expect(dumped.engine).toEqual({ kind: 'sqlite', serverVersion: expect.stringMatching(/^3\.\d+\.\d+$/), database: original });
    expect(dumped.objects).toEqual({ tables: 15, views: 2, triggers: 3, routines: 0, events: 0, sequences: 0 });
    expect(dumped.warnings).toEqual([]);
    const rowCounts = Object.fromEntries(dumped.tables.map((t) => [t.name, t.rows]));
    expect(rowCounts).toMatchObject({ customers: 3, orders: 3, order_lines: 4, 'my "quoted" table': 8, notes: 3, docs: 2, zones: 2, empty_t: 0 });
  });

  it("records each table's data range: only that table's INSERTs, one per row", () => {
    for (const table of dumped.tables) {
      const range = dump.subarray(table.dataOffset, table.dataOffset + table.dataLength).toString('utf8');
      const lines = range.split('\n').slice(0, -1);
      expect(lines).toHaveLength(table.rows);
      for (const line of lines) expect(line.startsWith(`INSERT INTO ${q(table.name)}(`)).toBe(true);
      if (table.rows > 0) expect(table.frameOffset).toBe(table.dataOffset); // MemorySqlSink: offsets coincide
    }
  });

  it('loads with the stock sqlite3 shell into an identical database', () => {
    const copy = fresh('shell');
    loadWithShell(dump, copy);
    expect(fingerprint(copy)).toEqual(expected);
  });

  it('restores into a database file that does not exist yet', async () => {
    const file = fresh('new');
    const result = await restoreSqlite(target(file), chunked(dump));
    expect(fingerprint(file)).toEqual(expected);
    expect(result).toMatchObject({ tables: 15, objects: { tables: 15, views: 2, triggers: 3 }, warnings: [] });
    expect(result.rows).toBe(dumped.tables.reduce((sum, t) => sum + t.rows, 0));
    expect(stagingFiles(dir)).toEqual([]);
  });

  it('restores a damaged database in place: data, schema and counters back, extra objects gone', async () => {
    const file = fresh('damaged');
    copyFileSync(original, file);
    const db = new Database(file);
    db.exec(`DROP TABLE order_lines; DROP VIEW "v big; spenders"; DROP INDEX idx_orders_customer;
      UPDATE customers SET name = 'changed'; DELETE FROM notes; INSERT INTO orders (customer_id, total) VALUES (1, 5);
      UPDATE "my ""quoted"" table" SET "it's" = NULL; DELETE FROM docs; PRAGMA user_version = 43;
      CREATE TABLE junk (x); CREATE TRIGGER junk_t AFTER INSERT ON customers BEGIN SELECT 1; END;
      CREATE VIEW junk_v AS SELECT 1; CREATE INDEX junk_i ON items (qty);`);
    db.close();
    expect(fingerprint(file)).not.toEqual(expected);
    await restoreSqlite(target(file), chunked(dump));
    expect(fingerprint(file)).toEqual(expected);
    expect(stagingFiles(dir)).toEqual([]);
  });

  it('fails on a broken dump with the byte offset, leaving the target untouched and no staging file', async () => {
    const file = fresh('broken');
    copyFileSync(original, file);
    const at = dump.indexOf('INSERT INTO "notes"');
    const bad = Buffer.from('INSERT INTO no_such_table VALUES (1);\n');
    const broken = Buffer.concat([dump.subarray(0, at), bad, dump.subarray(at)]);
    const before = readFileSync(file);
    const error = await restoreSqlite(target(file), chunked(broken)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SqliteRestoreError);
    expect((error as SqliteRestoreError).offset).toBe(at);
    expect((error as Error).message).toContain(`byte offset ${at}`);
    expect((error as Error).message).toContain('no such table: no_such_table');
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(stagingFiles(dir)).toEqual([]);

    const truncated = dump.subarray(0, dump.indexOf('CREATE INDEX'));
    await expect(restoreSqlite(target(file), chunked(truncated))).rejects.toThrow(/incomplete: it does not end with COMMIT/);
    const attach = Buffer.concat([dump.subarray(0, at), Buffer.from("ATTACH '/tmp/elsewhere.db' AS x;\n"), dump.subarray(at)]);
    await expect(restoreSqlite(target(file), chunked(attach))).rejects.toThrow(`statement at byte offset ${at} is not allowed in a dump`);
    const missing = fresh('never-created');
    await expect(restoreSqlite(target(missing), chunked(broken))).rejects.toThrow(SqliteRestoreError);
    expect(readdirSync(dir).filter((f) => f.startsWith(path.basename(missing)))).toEqual([]);
    expect(fingerprint(file)).toEqual(expected);
  });

  it('restores only the named tables (definition, rows, indexes, triggers, counter) with options.tables', async () => {
    const file = fresh('partial');
    copyFileSync(original, file);
    const db = new Database(file);
    db.exec(`PRAGMA foreign_keys = OFF; DROP TABLE orders; CREATE TABLE orders (id INTEGER PRIMARY KEY, other TEXT); INSERT INTO orders VALUES (1, 'x');
      UPDATE customers SET name = 'kept'; CREATE TABLE junk (x); INSERT INTO order_lines VALUES (99, 1, 'no such order', 1);`);
    db.close();
    const damaged = fingerprint(file);
    const result = await restoreSqlite(target(file), chunked(dump), { tables: ['ORDERS'] });
    expect(result).toMatchObject({ tables: 1, rows: 3, objects: { tables: 1, triggers: 2 } });
    expect(result.warnings).toEqual([expect.stringMatching(/^1 row\(s\) violate foreign keys/)]);
    const after = fingerprint(file);
    expect(after.rows.orders).toEqual(expected.rows.orders);
    expect(after.sequence).toEqual(expected.sequence);
    expect(after.rows.customers).toEqual(damaged.rows.customers);
    expect(after.rows.junk).toEqual([]);
    const ofOrders = (f: Fingerprint) => f.schema.filter((s) => / ON orders: /.test(s));
    expect(ofOrders(after)).toEqual(ofOrders(expected));
    await expect(restoreSqlite(target(file), chunked(dump), { tables: ['nope'] })).rejects.toThrow(/not in the dump: "nope"/);
  });

  it('fails clearly when another connection keeps the database locked', async () => {
    const file = fresh('locked');
    copyFileSync(original, file);
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    try {
      await expect(restoreSqlite(target(file), chunked(dump), { busyTimeoutMs: 200 })).rejects.toThrow(/is locked by another connection/);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(fingerprint(file)).toEqual(expected);
    expect(stagingFiles(dir)).toEqual([]);
  });

  it('dumps one snapshot without blocking writers (WAL), streaming in batches', async () => {
    const file = fresh('snapshot');
    copyFileSync(original, file);
    const writer = new Database(file, { timeout: 0 });
    let wrote = false;
    const sink = new MemorySqlSink();
    const write = sink.write.bind(sink);
    sink.write = async (chunk) => {
      if (!wrote) {
        writer.exec("UPDATE customers SET name = 'during the dump'; DELETE FROM notes; CREATE TABLE later (x)");
        wrote = true;
      }
      return write(chunk);
    };
    const progress: unknown[] = [];
    const result = await dumpSqlite(target(file), sink, { onProgress: (p) => progress.push(p) });
    writer.close();
    expect(wrote).toBe(true);
    expect(result.tables.map((t) => t.name)).not.toContain('later');
    const copy = fresh('snapshot-copy');
    loadWithShell(sink.toBuffer(), copy);
    expect(fingerprint(copy)).toEqual(expected);
    expect(progress[0]).toMatchObject({ phase: 'dump' });
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    const sink = new MemorySqlSink();
    const write = sink.write.bind(sink);
    sink.write = async (chunk) => {
      controller.abort(new Error('stop here'));
      return write(chunk);
    };
    await expect(dumpSqlite(target(original), sink, { signal: controller.signal })).rejects.toThrow('stop here');
  });

  it('writes REAL values that read back bit for bit, in the stock shell and in restore', async () => {
    const file = fresh('reals');
    const db = new Database(file);
    db.exec('CREATE TABLE r (v)');
    const insert = db.prepare('INSERT INTO r VALUES (?)');
    const bits = new DataView(new ArrayBuffer(8));
    db.exec('BEGIN');
    for (let i = 0; i < 20000; i++) {
      bits.setUint32(0, (Math.random() * 2 ** 32) >>> 0);
      bits.setUint32(4, (Math.random() * 2 ** 32) >>> 0);
      const random = bits.getFloat64(0);
      if (Number.isFinite(random)) insert.run(random);
      insert.run(Number((Math.random() * 10 ** (i % 9)).toFixed(i % 7)));
    }
    db.exec('COMMIT');
    db.close();
    const want = fingerprint(file);
    const { sql } = await dumpToBuffer(file);
    const viaShell = fresh('reals-shell');
    loadWithShell(sql, viaShell);
    expect(fingerprint(viaShell)).toEqual(want);
    const viaRestore = fresh('reals-restore');
    await restoreSqlite(target(viaRestore), chunked(sql));
    expect(fingerprint(viaRestore)).toEqual(want);
  });

  describe.each(['wal', 'delete'])('while the shop has the database open (journal_mode=%s)', (journalMode) => {
    it('other connections see the old state until the swap commits, then the new one, never a half state', async () => {
      const file = fresh(`busy-${journalMode}`);
      const db = new Database(file);
      db.exec(`PRAGMA journal_mode = ${journalMode}`);
      db.exec('CREATE TABLE stock (sku TEXT PRIMARY KEY, qty INTEGER); CREATE TABLE log (msg TEXT)');
      db.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150000) INSERT INTO stock SELECT 'sku' || i, 2 FROM n");
      db.close();
      const { sql } = await dumpToBuffer(file);
      const changed = new Database(file);
      changed.exec("UPDATE stock SET qty = 1; DELETE FROM stock WHERE rowid % 3 = 0; CREATE TABLE junk (x); INSERT INTO log VALUES ('old')");
      changed.close();

      const signature =
        "SELECT (SELECT count(*) || '/' || total(qty) FROM stock) || ' ' || (SELECT count(*) FROM log) || ' ' || " +
        "(SELECT group_concat(name) FROM (SELECT name FROM sqlite_schema ORDER BY name))";
      const holder = new Database(file);
      const read = holder.prepare(signature);
      read.setReturnArrays(true);
      const old = (read.get() as unknown as unknown[])[0];
      const watcher = watch(file, signature);
      await watcher.ready;
      let inSwap = 0; // a moment inside the swap's write transaction: after its first table, before COMMIT
      await restoreSqlite(target(file), chunked(sql, 1 << 16), {
        onProgress: (p) => {
          if (p.phase === 'swap' && !inSwap) inSwap = Date.now();
        },
      });
      const committed = Date.now();
      const seen = await watcher.stop();
      const now = (read.get() as unknown as unknown[])[0]; // the connection opened before the restore, same prepared statement
      holder.close();
      expect(old).toBe('100000/100000.0 1 junk,log,sqlite_autoindex_stock_1,stock');
      expect(now).toBe('150000/300000.0 0 log,sqlite_autoindex_stock_1,stock');
      expect(seen.states.map((s) => s.state)).toEqual([old, now]);
      expect(seen.states[1].first).toBeGreaterThanOrEqual(inSwap);
      expect(seen.states[0].last).toBeLessThanOrEqual(committed);
      // In WAL mode readers are never blocked: they went on reading the old state during the swap.
      if (journalMode === 'wal') expect(seen.states[0].last).toBeGreaterThanOrEqual(inSwap);
    });
  });
});

interface Seen {
  state: string;
  /** Date.now() of the first and last read that returned this state. */
  first: number;
  last: number;
}

/** A worker thread that reads `query` in a loop and records every distinct result (or error) in order. */
function watch(file: string, query: string): { ready: Promise<void>; stop: () => Promise<{ states: Seen[]; reads: number }> } {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { DatabaseSync } = require('node:sqlite');
    const db = new DatabaseSync(workerData.file, { timeout: 60000 });
    const read = db.prepare(workerData.query);
    read.setReturnArrays(true);
    const states = [];
    let reads = 0, stop = false;
    parentPort.on('message', () => { stop = true; });
    const loop = () => {
      // Stamped when the read starts: a read that began before the commit may end after it and still
      // (rightly) see the old state; what must hold is that no read started after the commit sees it.
      const now = Date.now();
      let state;
      try { state = read.get()[0]; } catch (e) { state = 'error: ' + e.message; }
      reads++;
      const current = states[states.length - 1];
      if (current && current.state === state) current.last = now;
      else states.push({ state, first: now, last: now });
      if (reads === 1) parentPort.postMessage('ready');
      if (stop) { db.close(); parentPort.postMessage({ states, reads }); } else setImmediate(loop);
    };
    loop();`;
  const worker = new Worker(code, { eval: true, workerData: { file, query } });
  const ready = new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  const stop = () =>
    new Promise<{ states: Seen[]; reads: number }>((resolve, reject) => {
      worker.once('message', (m: { states: Seen[]; reads: number }) => {
        void worker.terminate();
        resolve(m);
      });
      worker.once('error', reject);
      worker.postMessage('stop');
    });
  return { ready, stop };
}
