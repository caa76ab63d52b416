// Replays a dump into the staging schema, statement by statement and in order, on a session whose
// default schema is the staging schema. What would leave the staging schema is neutralised:
// - USE and CREATE/DROP DATABASE are skipped (the first one names the dumped database);
// - a schema qualifier naming the dumped database or the shop's database is removed (the statement then
//   applies to the default schema: staging), ALTER DATABASE `x` becomes ALTER DATABASE (default schema);
// - any other schema qualifier on the object a statement writes fails the restore;
// - a dump Lifeboat did not make is screened statement by statement (dump-screen.ts): a statement that
//   reaches outside the shop's database or the server's files stops the restore before it runs;
// - in Lifeboat's own dumps, SET GLOBAL, account and replication statements (which its dumps do not
//   write) are skipped with a warning; a dump's own LOAD DATA fails.
// DEFINER clauses naming another user are removed and recorded (the swap gives the owners back where it
// may: restore-owners.ts); a trigger or function the binary log's rules refuse stops the load with what
// to do (restore-preflight.ts). `SET NAMES utf8` is widened to utf8mb4. Events are captured right after
// their creation and disabled in staging, so the event scheduler cannot run them against the staged data.
// On the way: statements go over several sessions (replay-lanes.ts), secondary indexes and foreign keys
// wait for the rows (key-builds.ts), plain INSERTs go as LOAD DATA LOCAL (load-data.ts), and a dump may
// come as several streams of its tables, one session each (ReplayOptions.streams).
// Here: the streams and their lanes; what each statement becomes is replay-prepare.ts's, running it
// replay-execute.ts's.
import { splitStatements, type SqlStatement } from '../../sql/splitter.js';
import type { Progress, ProgressListener } from '../engine.js';
import type { StatementInfo } from './restore-parse.js';
import type { RawConnection } from './restore-session.js';
import { loadPlan, RowBuffers, SessionCharset, toLoadData, type LoadData, type LoadPlan } from './load-data.js';
import type { ObjectDefinition } from './restore-inventory.js';
import type { CurrentUser } from './swap-objects.js';
import { MAX_QUEUED_BYTES, ReplayLanes } from './replay-lanes.js';
import { fewRowsBy, KeyBuilds } from './key-builds.js';
import type { DefinerMap } from './definers.js';
import type { DumpScreen } from './dump-screen.js';
import { abortReason } from './replay-errors.js';
import { StatementPreparer, type StreamFilter } from './replay-prepare.js';
import { StatementRunner } from './replay-execute.js';

export { abortReason, StatementError } from './replay-errors.js';

export interface ReplayOptions {
  conn: RawConnection;
  /** More sessions on the staging schema, set up as `conn`: tables are then loaded in parallel (see replay-lanes.ts). */
  moreConns?: RawConnection[];
  stage: string;
  shop: string;
  current: CurrentUser;
  tables?: Set<string>;
  /** The dump is Lifeboat's own: the server's warnings about its rows are not reported (RestoreOptions.ownDump). */
  exactValues?: boolean;
  /** Checks each statement of a dump Lifeboat did not make before it runs (absent for Lifeboat's own). */
  screen?: DumpScreen;
  /** The SQL bytes of each table's rows, from the backup's manifest (RestoreOptions.tableBytes). */
  tableBytes?: Record<string, number>;
  /** Send plain INSERTs as LOAD DATA LOCAL (load-data.ts); the server must allow local_infile. */
  loadData?: boolean;
  /** The server's max_allowed_packet: a longer statement fails with a message that says so. */
  maxAllowedPacket?: number;
  /**
   * Streams replayed at the same time as the main one, each on its own session (`moreConns` then serve
   * them, one each, and the main stream has `conn` alone): each holds the dump's header and exactly its
   * `tables` (structure, rows, triggers), which the main stream skips. Views in the main stream wait for
   * them (a view needs its tables); foreign keys are added once all streams have loaded.
   */
  streams?: { sql: AsyncIterable<Buffer>; tables: Set<string> }[];
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  totalBytes?: number;
}

// Statements of the main stream that need the other streams' tables to exist.
const NEEDS_ALL_TABLES = new Set(['create-view', 'alter-view', 'rename', 'other']);
// Statements whose table progress names as the one being loaded.
const TABLE_KINDS = new Set(['create-table', 'insert', 'alter-table', 'create-sequence']);

export interface ReplayResult {
  statements: number;
  rows: number;
  warnings: string[];
  /** Events as the dump created them (before we disabled them in staging). */
  events: Map<string, ObjectDefinition>;
  /** The database the dump was made from, when it says (USE / CREATE DATABASE). */
  sourceDatabase?: string;
  /** Owners named by the dump's own DEFINER clauses, which the staging load leaves out (definers.ts). */
  definers: DefinerMap;
}

export interface Prepared {
  statement: SqlStatement;
  text: Buffer;
  info: StatementInfo;
  /** The INSERT's rows as LOAD DATA (load-data.ts); `text` is then only its head, for messages. */
  load?: LoadData;
}

export async function replayIntoStaging(sql: AsyncIterable<Buffer>, options: ReplayOptions): Promise<ReplayResult> {
  const { tables, signal } = options;
  const result: ReplayResult = { statements: 0, rows: 0, warnings: [], events: new Map(), definers: {} };
  const warned = new Set<string>();
  const warnOnce = (key: string, message: string) => {
    if (warned.has(key)) return;
    warned.add(key);
    result.warnings.push(message);
  };
  const reader = new StreamReader(options, result, new StatementPreparer(options, result, warnOnce));
  const runner = new StatementRunner(options, result, warnOnce);
  const execute = (conn: RawConnection, p: Prepared) => runner.execute(conn, p);

  // Each lane keeps one statement in flight while the next ones are read and split.
  const streams = options.streams ?? [];
  const extraConns = options.moreConns ?? [];
  // Several streams share the memory one reader would have for its statements in flight.
  const queueBytes = Math.floor(MAX_QUEUED_BYTES / (streams.length + 1));
  const mainLanes = new ReplayLanes<Prepared>(streams.length ? [options.conn] : [options.conn, ...extraConns], execute, queueBytes);
  const extraRuns = streams.map((stream, i) =>
    reader.replay(stream.sql, new ReplayLanes<Prepared>([extraConns[i]], execute, queueBytes), { include: stream.tables }),
  );
  const exclude = new Set(streams.flatMap((stream) => [...stream.tables]));
  const allExtras = Promise.all(extraRuns);
  allExtras.catch(() => undefined); // awaited below; a failure must not be unhandled meanwhile
  const mainRun = reader.replay(
    sql,
    mainLanes,
    tables ? { include: tables, chosen: true } : exclude.size ? { exclude } : {},
    streams.length ? allExtras : undefined,
  );
  const runs = await Promise.allSettled([mainRun, ...extraRuns]);
  const failed = runs.find((run) => run.status === 'rejected');
  if (failed) throw reader.stopped?.error ?? (failed as PromiseRejectedResult).reason;
  // Foreign keys last: each may rest on indexes of tables another stream loaded.
  for (const run of runs as PromiseFulfilledResult<KeyBuilds>[]) await run.value.finish();
  if (signal?.aborted) throw abortReason(signal);
  reader.reportDone();
  return result;
}

/**
 * Reads the streams of one replay, each into its lanes. What they share: the bytes read and the table
 * being loaded (for progress), and the first failure, which stops the others.
 */
class StreamReader {
  /** The first stream to fail stops the others. */
  stopped: { error: unknown } | undefined;
  /** SQL bytes read by all streams, for progress. */
  private consumed = 0;
  private currentTable: string | undefined;
  private lastProgress = 0;

  constructor(
    private readonly options: ReplayOptions,
    private readonly result: ReplayResult,
    private readonly preparer: StatementPreparer,
  ) {}

  /** One stream over its lanes, up to its index builds (not its foreign keys: see KeyBuilds.finish). */
  async replay(source: AsyncIterable<Buffer>, lanes: ReplayLanes<Prepared>, filter: StreamFilter, others?: Promise<unknown>): Promise<KeyBuilds> {
    const { signal } = this.options;
    const keys = new KeyBuilds(lanes, fewRowsBy(this.options.tableBytes));
    const asLoadData = loadDataOf(this.options.loadData);
    let offset = 0;
    try {
      for await (const st of splitStatements(source, 'mysql')) {
        if (signal?.aborted) throw abortReason(signal);
        if (this.stopped) throw this.stopped.error;
        const prepared = this.preparer.prepare(st, filter);
        this.consumed += st.offset - offset;
        offset = st.offset;
        if (!prepared) continue;
        if (others && NEEDS_ALL_TABLES.has(prepared.info.kind)) {
          await others;
          others = undefined;
        }
        if (!(await keys.admit(prepared))) continue;
        asLoadData(prepared);
        await this.dispatch(prepared, lanes);
      }
      await others;
      keys.buildPending();
      await lanes.idle();
      return keys;
    } catch (error) {
      this.stopped ??= { error };
      await lanes.settle();
      throw error;
    }
  }

  private async dispatch(prepared: Prepared, lanes: ReplayLanes<Prepared>): Promise<void> {
    // Rows sent as LOAD DATA reach the server as data under Lifeboat's own statement: only an INSERT
    // kept as SQL is read by the server, and screened.
    if (prepared.info.kind === 'insert' && !prepared.load) this.preparer.screen(prepared.statement, prepared.info);
    if (TABLE_KINDS.has(prepared.info.kind)) this.currentTable = prepared.info.objects[0]?.name ?? this.currentTable;
    this.progress();
    await lanes.dispatch(lanes.route(prepared.info), prepared, prepared.load?.rows.length ?? prepared.text.length);
  }

  /** Progress as the streams go, at most every 200 ms. */
  private progress(): void {
    const now = Date.now();
    if (!this.options.onProgress || now - this.lastProgress < 200) return;
    this.lastProgress = now;
    this.options.onProgress(this.progressEvent(this.consumed));
  }

  /** The last progress, once everything is in: all the bytes read. */
  reportDone(): void {
    this.options.onProgress?.(this.progressEvent(Math.max(this.consumed, this.options.totalBytes ?? 0)));
  }

  private progressEvent(bytes: number): Progress {
    return {
      phase: 'restore',
      ...(this.currentTable !== undefined ? { table: this.currentTable } : {}),
      rows: this.result.rows,
      bytes,
      ...(this.options.totalBytes !== undefined ? { totalBytes: this.options.totalBytes } : {}),
    };
  }
}

// INSERTs of plain values go as LOAD DATA (load-data.ts), which the server reads twice as fast.
function loadDataOf(enabled: boolean | undefined): (p: Prepared) => void {
  const plans = new Map<string, LoadPlan>();
  const buffers = new RowBuffers();
  const charset = new SessionCharset();
  return (p: Prepared) => {
    const table = p.info.objects[0]?.name;
    if (p.info.kind === 'set') charset.follow(p.text);
    else if (p.info.kind === 'create-table' && table !== undefined) {
      const plan = loadPlan(p.text);
      if (plan) plans.set(table, plan);
      else plans.delete(table);
    } else if (enabled && p.info.kind === 'insert' && table !== undefined && p.info.objects.length === 1 && charset.utf8) {
      const plan = plans.get(table);
      const load = plan ? toLoadData(p.text, plan, buffers) : null;
      if (!load) return;
      p.load = load;
      p.text = Buffer.from(p.text.subarray(0, 200)); // a copy: the INSERT itself is no longer kept
      p.statement = { ...p.statement, text: p.text };
    }
  };
}
