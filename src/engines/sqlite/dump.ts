// SQLite dump in the style of `sqlite3 .dump`, readable by the stock sqlite3 shell and by restoreSqlite.
// One read transaction gives one snapshot (in WAL mode writers go on meanwhile); rows are streamed.
//
// Layout:
//   PRAGMA foreign_keys=OFF; BEGIN TRANSACTION; PRAGMA user_version=N; PRAGMA application_id=N;
//   per table: CREATE TABLE; then its INSERTs (a range of their own, starting a compression frame)
//   virtual tables: CREATE VIRTUAL TABLE in creation order, their rows after all regular tables
//   DELETE FROM sqlite_sequence; INSERT INTO sqlite_sequence ...
//   indexes, views, triggers (in creation order; triggers last so that loading does not fire them)
//   COMMIT;
import type { DumpOptions, DumpResult, SqlSink, TableDumpInfo } from '../engine.js';
import type { SqliteTarget } from '../target.js';
import { UsageError } from '../../shared/errors.js';
import { blobLiteral, decodeUtf16, quoteIdent, realLiteral, storedTextLiteral, textLiteral, type TextEncoding } from './literals.js';
import { openSqlite, scalar } from '../../sql/sqlite.js';
import { columnList, readSchema, type Db, type TableShape } from './schema.js';

const BATCH_CHARS = 64 * 1024;
const PROGRESS_MS = 200;
const BUSY_TIMEOUT_MS = 30_000;

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('dump aborted');
}

/** Writes SQL text in ~64 KiB pieces and reports progress at most every 200 ms. */
class Writer {
  private pending = '';
  private lastProgress = 0;
  rows = 0;
  table: string | undefined;
  totalRows: number | undefined;

  constructor(
    private readonly sink: SqlSink,
    private readonly options: DumpOptions,
  ) {}

  async add(text: string): Promise<void> {
    this.pending += text;
    if (this.pending.length >= BATCH_CHARS) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.options.signal?.aborted) throw abortError(this.options.signal);
    if (this.pending !== '') {
      const text = this.pending;
      this.pending = '';
      await this.sink.write(text);
    }
    const now = Date.now();
    if (this.options.onProgress && now - this.lastProgress >= PROGRESS_MS) {
      this.lastProgress = now;
      const total = this.totalRows !== undefined ? { totalRows: this.totalRows } : {};
      this.options.onProgress({ phase: 'dump', table: this.table, rows: this.rows, bytes: this.sink.bytesWritten, ...total });
    }
  }
}

/**
 * A SELECT that returns every value in a form whose JavaScript type tells the storage class apart:
 * NULL → null, INTEGER → bigint, REAL → number, BLOB → its hex (string), TEXT → its bytes (Uint8Array),
 * so that text that is not valid UTF-8 is not altered on the way.
 */
function selectFor(table: TableShape): string {
  const names = table.rowid ? [table.rowid, ...table.columns] : table.columns;
  const values = names.map((n) => {
    const c = quoteIdent(n);
    return `CASE typeof(${c}) WHEN 'text' THEN CAST(${c} AS BLOB) WHEN 'blob' THEN hex(${c}) ELSE ${c} END`;
  });
  const order = table.orderBy ? ` ORDER BY ${quoteIdent(table.orderBy)}` : '';
  return `SELECT ${values.join(', ')} FROM main.${quoteIdent(table.name)}${order}`;
}

function valueLiteral(value: unknown, encoding: TextEncoding, lossy: { count: number }): string {
  if (value === null) return 'NULL';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return realLiteral(value);
  if (typeof value === 'string') return blobLiteral(value);
  const raw = value as Uint8Array;
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const literal = storedTextLiteral(bytes, encoding);
  if (literal !== undefined) return literal;
  lossy.count++;
  return textLiteral(decodeUtf16(bytes, encoding as 'UTF-16le' | 'UTF-16be'));
}

async function dumpRows(db: Db, table: TableShape, encoding: TextEncoding, writer: Writer, sink: SqlSink, warnings: string[]): Promise<TableDumpInfo> {
  writer.table = table.name;
  const prefix = `INSERT INTO ${quoteIdent(table.name)}(${columnList(table)}) VALUES(`;
  const select = db.prepare(selectFor(table));
  select.setReturnArrays(true);
  select.setReadBigInts(true);
  const rows = select.iterate() as unknown as IterableIterator<unknown[]>;
  const lossy = { count: 0 };
  await writer.flush(); // the CREATE TABLE before it is not part of the table's range
  const info: TableDumpInfo = { name: table.name, rows: 0, dataOffset: sink.bytesWritten, dataLength: 0 };
  try {
    let next = rows.next();
    if (!next.done) {
      info.frameOffset = await (await sink.cut()).frameOffset;
      info.dataOffset = sink.bytesWritten;
    }
    for (; !next.done; next = rows.next()) {
      const values = next.value.map((v) => valueLiteral(v, encoding, lossy));
      info.rows++;
      writer.rows++;
      await writer.add(`${prefix}${values.join(',')});\n`);
    }
  } finally {
    rows.return?.();
  }
  await writer.flush();
  info.dataLength = sink.bytesWritten - info.dataOffset;
  if (lossy.count > 0) {
    warnings.push(`${lossy.count} TEXT value(s) in table ${quoteIdent(table.name)} are not valid UTF-16; written with U+FFFD replacements`);
  }
  return info;
}

/** Writes a complete, consistent dump of the SQLite database `target.path` into `sink`. */
export async function dumpSqlite(target: SqliteTarget, sink: SqlSink, options: DumpOptions = {}): Promise<DumpResult> {
  if (options.signal?.aborted) throw abortError(options.signal);
  if (options.fakeValues) throw new UsageError('--anonymize works on MySQL and MariaDB databases; this shop runs on SQLite: use --strip to leave personal data out');
  let db: Db;
  try {
    db = openSqlite(target.path, { mustExist: true, timeoutMs: BUSY_TIMEOUT_MS });
  } catch (error) {
    throw new Error(`cannot open SQLite database ${target.path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    const serverVersion = String(scalar(db, 'SELECT sqlite_version()'));
    db.exec('BEGIN');
    // The first read starts the snapshot; everything below reads from it.
    const schema = readSchema(db);
    const warnings = schema.unreadable.map((t) => `skipped table ${quoteIdent(t.name)}: ${t.reason} (neither its definition nor its rows are in the dump)`);
    const writer = new Writer(sink, options);
    // Exact row counts for the progress ETA; cheap next to the dump itself, and read in the same snapshot.
    if (options.onProgress) {
      writer.totalRows = schema.tables
        .filter((t) => !t.virtual)
        .reduce((sum, t) => sum + Number(scalar(db, `SELECT count(*) FROM ${quoteIdent(t.name)}`)), 0);
    }
    const tables: TableDumpInfo[] = [];

    await writer.add('PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n');
    // Always written (also when 0): applications keep their schema version here, and a restore must reset it.
    await writer.add(`PRAGMA user_version=${schema.userVersion};\nPRAGMA application_id=${schema.applicationId};\n`);
    // A table stripped by the backup keeps its definition and gets no rows.
    const rowsOf = async (table: TableShape): Promise<TableDumpInfo> =>
      options.withoutRows?.(table.name) === true
        ? { name: table.name, rows: 0, dataOffset: sink.bytesWritten, dataLength: 0, stripped: true }
        : dumpRows(db, table, schema.encoding, writer, sink, warnings);
    for (const table of schema.tables) {
      await writer.add(`${table.sql};\n`);
      if (table.virtual) continue;
      tables.push(await rowsOf(table));
    }
    // Virtual tables' rows come after all regular tables: an external-content FTS index reads its table.
    for (const table of schema.tables.filter((t) => t.virtual)) {
      if (/\bcontent\s*=\s*(''|"")/i.test(table.sql)) {
        warnings.push(`virtual table ${quoteIdent(table.name)} is contentless: only its definition is dumped, rebuild its index after a restore`);
        continue;
      }
      tables.push(await rowsOf(table));
    }
    await dumpSequences(db, schema.tables, writer);
    for (const object of [...schema.indexes, ...schema.views, ...schema.triggers]) await writer.add(`${object.sql};\n`);
    await writer.add('COMMIT;\n');
    writer.table = undefined;
    await writer.flush();
    db.exec('COMMIT');
    return {
      engine: { kind: 'sqlite', serverVersion, database: target.path },
      tables,
      objects: { tables: schema.tables.length, views: schema.views.length, triggers: schema.triggers.length, routines: 0, events: 0, sequences: 0 },
      warnings,
    };
  } finally {
    if (db.isTransaction) db.exec('ROLLBACK');
    db.close();
  }
}

/** AUTOINCREMENT counters; sqlite_sequence exists in the new database only if such a table is created. */
async function dumpSequences(db: Db, tables: TableShape[], writer: Writer): Promise<void> {
  const autoincrement = new Set(tables.filter((t) => t.autoincrement).map((t) => t.name));
  if (autoincrement.size === 0) return;
  const exists = db.prepare("SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = 'sqlite_sequence'").get();
  if (!exists) return;
  const select = db.prepare('SELECT name, seq FROM main.sqlite_sequence ORDER BY rowid');
  select.setReadBigInts(true);
  const rows = select.all() as { name: unknown; seq: unknown }[];
  const kept = rows.filter((r) => typeof r.name === 'string' && autoincrement.has(r.name));
  if (kept.length === 0) return;
  await writer.add('DELETE FROM sqlite_sequence;\n');
  for (const row of kept) {
    const seq = typeof row.seq === 'bigint' ? row.seq.toString() : typeof row.seq === 'number' ? realLiteral(row.seq) : 'NULL';
    await writer.add(`INSERT INTO sqlite_sequence(name,seq) VALUES(${textLiteral(row.name as string)},${seq});\n`);
  }
}
