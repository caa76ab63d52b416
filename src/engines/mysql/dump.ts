// Lifeboat's own MySQL/MariaDB dump, written over the mysql2 driver: a consistent, non-blocking snapshot
// of one database as a SQL file that the stock `mariadb`/`mysql` client loads into any database.
//
// Consistency: REPEATABLE READ and START TRANSACTION WITH CONSISTENT SNAPSHOT; with `threads` > 1, several
// connections share one snapshot and read tables in parallel (dump-parallel.ts). Writers
// are never blocked (no FLUSH TABLES WITH READ LOCK, no SERIALIZABLE); metadata locks are released table
// by table with a savepoint, as mysqldump --single-transaction does. Tables of non-transactional engines
// (MyISAM, Aria, MEMORY ...) are not part of the snapshot: each is read at its own moment (a warning says
// which).
//
// Layout of the file: header; sequences; per table: structure, data (one range of INSERTs, recorded in
// DumpResult.tables), its triggers; placeholder views; events; routines; final views in dependency
// order; trailer. FOREIGN_KEY_CHECKS=0 makes table order and foreign key cycles irrelevant.
//
// Rows: the server only selects the columns (a plain SELECT, as mysqldump's) and each row is formatted
// as a `(…)` tuple in JavaScript straight from the bytes of the text protocol's row packets
// (row-tuples.ts; types whose literal needs the server, such as hex for bytes, still get an SQL
// expression from values.ts), read raw without a driver object per row (raw-rows.ts) from sockets that
// read into one buffer of their own (socket-reads.ts). Building each row as one literal on the server
// (QUOTE and CONCAT) cost it about 60% more CPU, and the server's formatting on one connection was then
// the bound; tables are still dumped over parallel connections in one consistent snapshot.
import type { DumpOptions, DumpResult, Progress, SpoolSink, SqlSink, TableDumpInfo } from '../engine.js';
import type { EngineInfo, FakeKind, ObjectCounts } from '../../shared/types.js';
import type { MysqlTarget } from '../target.js';
import { openConnection, type MysqlConnection } from './connect.js';
import { columnsMatchDefinition } from './column-check.js';
import { dumpTablesInParallel, openSharedSnapshot } from './dump-parallel.js';
import { dumpTableData, type DumpedTable, type TableDataResult } from './dump-table.js';
import {
  encodeForClient,
  listColumns,
  listEvents,
  listGeometrySrids,
  listRoutines,
  listTables,
  listTriggers,
  listViews,
  readSequence,
  showCreateTable,
  type ObjectDefinition,
  type TableInfo,
} from './schema-catalog.js';
import {
  dumpHeader,
  dumpTrailer,
  objectBlock,
  orderViews,
  sequenceStructure,
  stripDefiner,
  tableDataHeading,
  tableStructure,
  viewPlaceholder,
  withGeometrySrids,
} from './schema-ddl.js';
import { triggerWithoutSchemaQualifier, withoutSchemaQualifier } from './schema-qualifiers.js';
import { quoteIdentifier, type ColumnInfo } from './values.js';
import { newSalt, withFakeValues } from './fake-values.js';
import { definerKey, type DefinerMap } from './definers.js';

/** Largest INSERT we write (rows permitting): well under max_allowed_packet, big enough to load fast. */
const MAX_STATEMENT = 4 * 1024 * 1024;
const STATEMENT_MARGIN = 4 * 1024;
const PROGRESS_INTERVAL_MS = 200;
/** Engines whose rows live elsewhere (or nowhere): structure only. */
const NO_DATA_ENGINES = new Set(['MRG_MYISAM', 'FEDERATED', 'FEDERATEDX', 'SPIDER', 'BLACKHOLE']);

/** Statement size limit for a server's max_allowed_packet: min(half of it, 4 MiB) minus a margin. */
export function statementLimitFor(maxAllowedPacket: number): number {
  return Math.max(64 * 1024, Math.min(Math.floor(maxAllowedPacket / 2), MAX_STATEMENT) - STATEMENT_MARGIN);
}

export async function dumpMysql(target: MysqlTarget, sink: SqlSink, options: DumpOptions = {}): Promise<DumpResult> {
  const { signal } = options;
  signal?.throwIfAborted();
  const connections: MysqlConnection[] = [];
  // Abort interrupts whatever the connections are waiting for; the dump then throws the abort reason.
  let killing: Promise<void> | undefined;
  const onAbort = () => {
    killing = killQueries(target, [...connections]);
    connections.forEach((c) => c.destroy());
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  let ok = false;
  try {
    const conn = await openConnection(target, { readingSocket: true });
    connections.push(conn);
    const result = await runDump(target, conn, sink, options, (c) => connections.push(c));
    ok = true;
    return result;
  } catch (error) {
    signal?.throwIfAborted();
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    for (const conn of connections) {
      if (ok) await conn.end();
      else conn.destroy();
    }
    await killing;
  }
}

/**
 * Stops the queries the dump's connections run, from a connection of its own (a user may always kill
 * its own queries). The driver's destroy() only half-closes a socket: a query streaming a big table's
 * rows went on being read to its end, so a cancelled dump kept the command running for as long as the
 * rest of the table took (4 to 5 s for 300 MB on a busy machine, after the job had said "cancelled").
 */
async function killQueries(target: MysqlTarget, connections: MysqlConnection[]): Promise<void> {
  try {
    const killer = await openConnection(target, { noDatabase: true });
    try {
      for (const conn of connections) await killer.query(`KILL QUERY ${Number(conn.threadId)}`).catch(() => undefined);
    } finally {
      killer.destroy();
    }
  } catch {
    // The server is unreachable: the queries end with their connections.
  }
}

async function scalar(conn: MysqlConnection, sql: string, values: unknown[] = []): Promise<string> {
  const [rows] = await conn.query({ sql, values, rowsAsArray: true });
  return String((rows as unknown[][])[0][0]);
}

/** Session settings that make the dump exact and keep it alive; optional ones are tried one by one. */
async function prepareSession(conn: MysqlConnection, isMariaDb: boolean): Promise<void> {
  // sql_mode '' so that SHOW CREATE prints plain backtick-quoted definitions and CHAR is not padded.
  await conn.query("SET SESSION sql_mode = '', SESSION sql_quote_show_create = 1, time_zone = '+00:00'");
  // A slow sink (compression, upload) may leave the server waiting to send rows for a while.
  await conn.query('SET SESSION net_write_timeout = 3600, SESSION net_read_timeout = 3600');
  for (const sql of [
    isMariaDb ? 'SET SESSION max_statement_time = 0' : 'SET SESSION max_execution_time = 0',
    'SET SESSION sql_select_limit = DEFAULT',
  ]) {
    try {
      await conn.query(sql);
    } catch {
      // not supported by this server: nothing to undo
    }
  }
}

async function startSnapshot(conn: MysqlConnection): Promise<void> {
  await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
}

/** What every unit of work needs: the snapshot's connection, the sink, the options and what is reported. */
interface DumpSession {
  conn: MysqlConnection;
  sink: SqlSink;
  database: string;
  isMariaDb: boolean;
  maxAllowedPacket: number;
  keepDefiners: boolean;
  /** Tables whose rows are left out (DumpOptions.withoutRows). */
  withoutRows?: (table: string) => boolean;
  /** Columns dumped with fake values (DumpOptions.fakeValues), and this dump's salt for them. */
  fakeValues?: { kinds: (table: string) => ReadonlyMap<string, FakeKind> | undefined; salt: string };
  signal?: AbortSignal;
  warnings: string[];
  progress: ProgressReporter;
  /** Spools of parallel workers: their bytes count for progress before they reach the sink. */
  spools: SpoolSink[];
  /** Every table's columns, read once at the start; checked against each table when it is dumped. */
  columns: Map<string, ColumnInfo[]>;
}

/** Cumulative rows and bytes of the whole dump, reported at most every PROGRESS_INTERVAL_MS. */
class ProgressReporter {
  rows = 0;
  table: string | undefined;
  /** The server's estimate (information_schema.TABLES.TABLE_ROWS), for the ETA. */
  totalRows: number | undefined;
  private last = 0;

  constructor(
    private readonly sink: SqlSink,
    private readonly spools: SpoolSink[],
    private readonly listener: DumpOptions['onProgress'],
  ) {}

  report(force = false): void {
    if (!this.listener) return;
    const now = Date.now();
    if (!force && now - this.last < PROGRESS_INTERVAL_MS) return;
    this.last = now;
    const bytes = this.spools.reduce((sum, spool) => sum + spool.bytesWritten, this.sink.bytesWritten);
    const progress: Progress = { phase: 'dump', rows: this.rows, bytes };
    if (this.table !== undefined) progress.table = this.table;
    if (this.totalRows !== undefined) progress.totalRows = this.totalRows;
    this.listener(progress);
  }
}

async function runDump(
  target: MysqlTarget,
  conn: MysqlConnection,
  sink: SqlSink,
  options: DumpOptions,
  track: (conn: MysqlConnection) => void,
): Promise<DumpResult> {
  const database = target.database;
  const serverVersion = await scalar(conn, 'SELECT VERSION()');
  const isMariaDb = /mariadb/i.test(serverVersion);
  await prepareSession(conn, isMariaDb);
  const threads = options.openSpool ? Math.max(1, Math.floor(options.threads ?? 1)) : 1;
  const snapshot = await openSharedSnapshot(target, conn, isMariaDb, threads, {
    prepare: (c) => prepareSession(c, isMariaDb),
    start: startSnapshot,
    track,
  });
  const spools: SpoolSink[] = [];
  const session: DumpSession = {
    conn,
    sink,
    database,
    isMariaDb,
    maxAllowedPacket: Number(await scalar(conn, 'SELECT @@max_allowed_packet')),
    keepDefiners: options.keepDefiners ?? false,
    ...(options.withoutRows ? { withoutRows: options.withoutRows } : {}),
    ...(options.fakeValues ? { fakeValues: { kinds: options.fakeValues, salt: newSalt() } } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    warnings: snapshot.warning === undefined || options.threadsAsked === false ? [] : [snapshot.warning],
    progress: new ProgressReporter(sink, spools, options.onProgress),
    spools,
    columns: new Map(),
  };
  const { signal } = options;
  const startedAt = new Date();

  const { tables, sequences } = await listTables(conn, database);
  const views = await listViews(conn, database);
  // The archive loads into any schema: its definitions must not name this one (schema-qualifiers.ts).
  const triggers = (await listTriggers(conn, database)).map((t) => ({ ...t, createStatement: triggerWithoutSchemaQualifier(t.createStatement, database) }));
  const routines = await listRoutines(conn, database);
  const events = await listEvents(conn, database);
  const srids = await listGeometrySrids(conn, database);
  session.columns = await listColumns(conn, database);
  session.warnings.push(...snapshotWarnings(tables));
  if (options.onProgress) {
    session.progress.totalRows = Number(
      await scalar(conn, "SELECT COALESCE(SUM(TABLE_ROWS), 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'", [database]),
    );
  }

  await sink.write(dumpHeader({ database, serverVersion, startedAt }));

  // Metadata locks taken after this savepoint are released by rolling back to it (mysqldump does the same).
  await conn.query('SAVEPOINT lifeboat_table');
  // Sequences first: table defaults may call NEXTVAL on them.
  for (const name of sequences) {
    signal?.throwIfAborted();
    await sink.write(sequenceStructure(await readSequence(conn, name)));
  }
  await conn.query('ROLLBACK TO SAVEPOINT lifeboat_table');

  const triggersOf = (table: string) => triggers.filter((t) => t.table === table);
  const dumpOne = (worker: MysqlConnection, into: SqlSink, table: TableInfo, stop?: AbortSignal) =>
    dumpTable({ ...session, conn: worker, sink: into, ...(stop ? { signal: stop } : {}) }, table, triggersOf(table.name), srids.get(table.name));
  let dumped: DumpedTable[] = [];
  if (snapshot.connections.length > 1 && options.openSpool) {
    for (const worker of snapshot.connections.slice(1)) await worker.query('SAVEPOINT lifeboat_table');
    dumped = await dumpTablesInParallel({
      tables: [...tables].sort((a, b) => b.dataBytes - a.dataBytes),
      connections: snapshot.connections,
      sink,
      openSpool: options.openSpool,
      dumpTable: dumpOne,
      spools,
      ...(signal ? { signal } : {}),
    });
  } else {
    for (const table of tables) {
      signal?.throwIfAborted();
      const info = await dumpOne(conn, sink, table);
      if (info !== null) dumped.push(info);
    }
  }
  const triggersWritten = dumped.reduce((sum, info) => sum + triggersOf(info.name).length, 0);
  session.progress.table = undefined;

  const validViews = views.filter((v) => v.columns.length > 0);
  for (const view of views) {
    if (view.columns.length === 0) session.warnings.push(`view ${view.definition.name} is invalid (it refers to something missing) and was not dumped`);
  }
  for (const view of validViews) await sink.write(viewPlaceholder(view.definition.name, view.columns));
  for (const event of events) await writeObject(session, event);
  for (const routine of routines) await writeObject(session, routine);
  const sameNamedObject = [...tables.map((t) => t.name), ...sequences, ...views.map((v) => v.definition.name)].includes(database);
  const portableViews = validViews.map((v) => ({ ...v.definition, createStatement: withoutSchemaQualifier(v.definition.createStatement, database, sameNamedObject) }));
  for (const view of orderViews(portableViews)) await writeObject(session, view);
  if (!isMariaDb) {
    // Without EXECUTE IMMEDIATE the stock client's comment stripping cannot be avoided.
    const altered = [...triggers, ...routines, ...events].filter((d) => /--|#|\/\*|\r/.test(d.createStatement));
    if (altered.length > 0) session.warnings.push(`comments in ${altered.map((d) => d.name).join(', ')} may be dropped by the mysql client on load`);
  }

  await sink.write(dumpTrailer(new Date()));
  // ROLLBACK, not COMMIT: on a replica that logs its own updates, a COMMIT of a transaction that set a
  // savepoint is written to its binary log under the replica's server id, and in GTID strict mode the
  // primary's next event then stops replication (error 1950). A ROLLBACK logs nothing.
  for (const worker of snapshot.connections) await worker.query('ROLLBACK');
  session.progress.report(true);

  const tableResults: TableDumpInfo[] = await Promise.all(dumped.map(async (info) => ({ ...info, frameOffset: await info.frameOffset })));
  const engine: EngineInfo = { kind: 'mysql', serverVersion, database };
  const objects: ObjectCounts = {
    tables: tableResults.length,
    views: validViews.length,
    triggers: triggersWritten,
    routines: routines.length,
    events: events.length,
    sequences: sequences.length,
  };
  const definers = definersOf([...dumped.flatMap((info) => triggersOf(info.name)), ...validViews.map((v) => v.definition), ...routines, ...events]);
  return { engine, tables: tableResults, sequences, objects, definers, warnings: session.warnings };
}

/** The owner of every object the dump holds: the record a restore gives them back from (definers.ts). */
function definersOf(objects: ObjectDefinition[]): DefinerMap {
  return Object.fromEntries(objects.map((o) => [definerKey(o.kind, o.name), o.definer]));
}

/**
 * The unit of work: one table's structure, rows and triggers. Returns null when the table was dropped
 * after the dump listed it. Parallel dumps run it on several connections sharing the snapshot, each with
 * its own session copy (connection and sink: the main sink or the worker's spool).
 */
async function dumpTable(
  session: DumpSession,
  table: TableInfo,
  triggers: ObjectDefinition[],
  srids: Map<string, number> | undefined,
): Promise<DumpedTable | null> {
  const { conn, sink, database } = session;
  session.progress.table = table.name;
  session.progress.report();
  // Take the table's metadata lock first (held until the rollback to the savepoint): its structure,
  // column list and rows then describe the same table even while DDL runs elsewhere.
  if (!(await lockDefinition(conn, table.name))) {
    session.warnings.push(`table ${table.name} was dropped while the dump ran and is not in it`);
    return null;
  }
  const rawCreate = await showCreateTable(conn, table.name);
  const create = withGeometrySrids(withoutSchemaQualifier(rawCreate, database), srids);
  await sink.write(tableStructure(table.name, create));
  await sink.write(tableDataHeading(table.name));
  let data: TableDataResult;
  let anonymized: string[] = [];
  const stripped = session.withoutRows?.(table.name) === true;
  if (stripped || NO_DATA_ENGINES.has(table.engine.toUpperCase())) {
    data = await emptyData(sink);
  } else {
    // MyISAM/Aria load faster with non-unique indexes built after the rows (outside the data range).
    const keys = (on: boolean) => `ALTER TABLE ${quoteIdentifier(table.name)} ${on ? 'ENABLE' : 'DISABLE'} KEYS;\n`;
    if (!table.transactional) await sink.write(keys(false));
    const listed = session.columns.get(table.name);
    // Read again when the table was altered since the dump listed its columns (column-check.ts).
    const current = listed !== undefined && columnsMatchDefinition(listed, rawCreate) ? listed : ((await listColumns(conn, database, table.name)).get(table.name) ?? []);
    const kinds = session.fakeValues?.kinds(table.name);
    const faked = kinds && session.fakeValues ? withFakeValues(current, kinds, session.fakeValues.salt) : { columns: current, anonymized: [] };
    const columns = faked.columns;
    anonymized = faked.anonymized;
    const context = {
      conn,
      sink,
      maxAllowedPacket: session.maxAllowedPacket,
      statementLimit: statementLimitFor(session.maxAllowedPacket),
      // MySQL cannot switch CHECK constraints off for the partial values; a versioned table would keep
      // every piece as history; a non-transactional table is outside the snapshot, so its value could
      // change between two pieces (value-pieces.ts).
      valuePieces: session.isMariaDb && table.transactional && table.type !== 'SYSTEM VERSIONED',
      constraintChecks: /\bCHECK \(/.test(create),
      ...(session.signal ? { signal: session.signal } : {}),
      onRows: (n: number) => {
        session.progress.rows += n;
        session.progress.report();
      },
    };
    data = await dumpTableData(context, table.name, columns).catch((error: unknown) => {
      throw alteredMeanwhile(error, table.name);
    });
    if (!table.transactional) await sink.write(keys(true));
  }
  // Triggers after the data, so that loading the rows does not fire them.
  for (const trigger of triggers) await writeObject(session, trigger);
  // Releases the metadata lock on this table: DDL elsewhere need not wait for the whole dump.
  await conn.query('ROLLBACK TO SAVEPOINT lifeboat_table');
  return { name: table.name, ...data, ...(stripped ? { stripped: true as const } : {}), ...(anonymized.length > 0 ? { anonymized } : {}) };
}

/** A trigger, routine, event or view, definer stripped unless kept, in its own character set. */
async function writeObject(session: DumpSession, def: ObjectDefinition): Promise<void> {
  const statement = session.keepDefiners ? def.createStatement : stripDefiner(def.createStatement);
  const encoded = await encodeForClient(session.conn, statement, def.characterSetClient);
  const block = objectBlock(def, encoded, statement, { executeImmediate: session.isMariaDb });
  await session.sink.write(block.before);
  await session.sink.write(block.statement);
  await session.sink.write(block.after);
}

/**
 * InnoDB cannot read a table from the snapshot when it was altered after the snapshot began (error 1412,
 * "Table definition has changed, please retry transaction"): say which table, and what to do.
 */
function alteredMeanwhile(error: unknown, table: string): unknown {
  if ((error as { errno?: number }).errno !== 1412) return error; // ER_TABLE_DEF_CHANGED
  return new Error(`table ${table} was altered while the backup ran, so its rows could not be read as of the backup's start; run the backup again`, { cause: error });
}

/** Opens the table (taking its metadata lock); false when it no longer exists. */
async function lockDefinition(conn: MysqlConnection, table: string): Promise<boolean> {
  try {
    await conn.query(`SELECT 1 FROM ${quoteIdentifier(table)} LIMIT 0`);
    return true;
  } catch (error) {
    if ((error as { errno?: number }).errno === 1146) return false; // ER_NO_SUCH_TABLE
    throw error;
  }
}

async function emptyData(sink: SqlSink): Promise<TableDataResult> {
  const { frameOffset } = await sink.cut();
  return { rows: 0, dataOffset: sink.bytesWritten, dataLength: 0, frameOffset };
}

function snapshotWarnings(tables: TableInfo[]): string[] {
  const warnings: string[] = [];
  const outside = tables.filter((t) => !t.transactional && !NO_DATA_ENGINES.has(t.engine.toUpperCase()));
  if (outside.length > 0) {
    const list = outside.map((t) => `${t.name} (${t.engine})`).join(', ');
    warnings.push(`non-transactional tables are not in the consistent snapshot; each was read at its own moment: ${list}`);
  }
  const noData = tables.filter((t) => NO_DATA_ENGINES.has(t.engine.toUpperCase()));
  if (noData.length > 0) warnings.push(`structure only (their rows live elsewhere): ${noData.map((t) => `${t.name} (${t.engine})`).join(', ')}`);
  const versioned = tables.filter((t) => t.type === 'SYSTEM VERSIONED');
  if (versioned.length > 0) warnings.push(`system-versioned tables: current rows dumped, history not: ${versioned.map((t) => t.name).join(', ')}`);
  return warnings;
}
