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
import { splitStatements, type SqlStatement } from '../../sql/splitter.js';
import type { ProgressListener } from '../engine.js';
import { classifyStatement, preview, quoteId, removeRanges, sequenceReferences, widenSetNames, type ObjectRef, type StatementInfo } from './restore-parse.js';
import { ownSequenceQualifiers } from './swap-defaults.js';
import { asServerError, exec, execBytes, loadRows, run, text, type Outcome, type RawConnection } from './restore-session.js';
import { loadPlan, SessionCharset, toLoadData, type LoadData, type LoadPlan } from './load-data.js';
import { showCreateEvent, type ObjectDefinition } from './restore-inventory.js';
import { isCurrentUser, type CurrentUser } from './swap-objects.js';
import { MAX_QUEUED_BYTES, ReplayLanes } from './replay-lanes.js';
import { KeyBuilds } from './key-builds.js';
import { definerKey, formatAccount, type DefinerMap } from './definers.js';
import { refusalForStatement } from './restore-preflight.js';
import type { DumpScreen } from './dump-screen.js';

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

/** Which of a dump's statements a stream replays: only `include`'s tables, or all but `exclude`'s. */
interface StreamFilter {
  include?: Set<string>;
  exclude?: Set<string>;
  /** `include` holds the tables the user chose (a partial restore), not a stream's share of the dump. */
  chosen?: boolean;
}

// Statements of the main stream that need the other streams' tables to exist.
const NEEDS_ALL_TABLES = new Set(['create-view', 'alter-view', 'rename', 'other']);

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

/** The object a CREATE names with a DEFINER clause, as definers.ts keys it (undefined: none). */
function ownedObjectKey(info: StatementInfo): string | undefined {
  const name = info.objects[0]?.name;
  if (name === undefined) return undefined;
  if (info.kind === 'create-trigger') return definerKey('trigger', name);
  if (info.kind === 'create-view' || info.kind === 'alter-view') return definerKey('view', name);
  if (info.kind === 'create-event' || info.kind === 'alter-event') return definerKey('event', name);
  if (info.kind === 'create-routine') return definerKey(info.routineType === 'FUNCTION' ? 'function' : 'procedure', name);
  return undefined;
}

/** A statement of the dump failed: names the statement's byte offset and the server's error. */
export class StatementError extends Error {
  constructor(
    readonly offset: number,
    readonly serverMessage: string,
    readonly errno: number | undefined,
    preview: string,
  ) {
    super(`statement at byte offset ${offset} failed: ${serverMessage}${errno ? ` (error ${errno})` : ''}; statement: ${preview}`);
  }
}

const PARTIAL_KINDS = new Set([
  'create-table',
  'drop-table',
  'alter-table',
  'create-index',
  'insert',
  'lock',
  'truncate',
  'update',
  'setval',
  'create-sequence',
  'drop-sequence',
  'alter-sequence',
]);
// Session statements: needed whatever tables are restored; and statements that act beyond the
// database, which are skipped or refused whatever tables are restored.
const PARTIAL_ALWAYS = new Set(['set', 'unlock', 'transaction', 'set-global', 'admin', 'load']);
// Statements that write rows: the server's warnings about them mean changed values.
const DATA_KINDS = new Set(['insert', 'update']);
const TABLE_KINDS = new Set(['create-table', 'insert', 'alter-table', 'create-sequence']);

export interface Prepared {
  statement: SqlStatement;
  text: Buffer;
  info: StatementInfo;
  /** The INSERT's rows as LOAD DATA (load-data.ts); `text` is then only its head, for messages. */
  load?: LoadData;
}

export async function replayIntoStaging(sql: AsyncIterable<Buffer>, options: ReplayOptions): Promise<ReplayResult> {
  const { stage, shop, current, tables, signal } = options;
  const result: ReplayResult = { statements: 0, rows: 0, warnings: [], events: new Map(), definers: {} };
  const warned = new Set<string>();
  const warnOnce = (key: string, message: string) => {
    if (warned.has(key)) return;
    warned.add(key);
    result.warnings.push(message);
  };
  let currentTable: string | undefined;
  let lastProgress = 0;
  /** Sequences the dump created so far (see ownSequenceQualifiers). */
  const sequences = new Set<string>();

  // Rows the server took with warnings (a value cut to its column, a date made zero: the dump's sessions
  // are not strict, as mysqldump's are not) are not the rows of the dump: say so, once per table. A value
  // that CONCAT would make longer than max_allowed_packet (a long value appended in pieces, loaded into a
  // server with a smaller packet) becomes NULL: that fails the restore.
  const reportChangedValues = async (conn: RawConnection, p: Prepared) => {
    const table = p.info.objects[0]?.name ?? '?';
    const warnings = (await run(conn, 'SHOW WARNINGS')).filter((w) => text(w, 'Level') !== 'Note');
    const describe = (w: Record<string, unknown>) => `${text(w, 'Level')} ${text(w, 'Code')}: ${text(w, 'Message')}`;
    const lost = warnings.find((w) => text(w, 'Code') === '1301');
    if (lost) {
      const message = `a value of table ${table} would be longer than the server's max_allowed_packet (${describe(lost)}); raise it (SET GLOBAL max_allowed_packet) and try again`;
      throw new StatementError(p.statement.offset, message, undefined, preview(p.statement.text));
    }
    // Lifeboat's own dumps give every value back as it was (ENUM's error value '' too, with a warning).
    if (options.exactValues || warnings.length === 0) return;
    warnOnce(`values ${table}`, `table ${table}: the server changed values while loading rows (byte offset ${p.statement.offset}): ${describe(warnings[0])}`);
  };

  // The owner a DEFINER clause names, which the staging load leaves out: the swap gives it back.
  const recordOwner = (info: StatementInfo) => {
    const key = ownedObjectKey(info);
    if (key === undefined || !info.definer || info.definer.currentUser) return;
    result.definers[key] = formatAccount({ user: info.definer.user, host: info.definer.host ?? '%' });
  };

  const redirect = (ref: ObjectRef | undefined, st: SqlStatement, ranges: [number, number][]) => {
    if (!ref || ref.schema === undefined || !ref.qualifier) return;
    if (ref.schema === stage) return;
    if (ref.schema === result.sourceDatabase || ref.schema === shop) {
      ranges.push(ref.qualifier);
      return;
    }
    throw new StatementError(st.offset, `the statement writes to schema ${quoteId(ref.schema)}, outside the database being restored`, undefined, preview(st.text));
  };

  /** Refuses a statement of a dump Lifeboat did not make that reaches outside the database (dump-screen.ts). */
  const screen = (st: SqlStatement, info: StatementInfo) => options.screen?.check(st, info, { source: result.sourceDatabase, sequences });
  const screenHead = (st: SqlStatement, info: StatementInfo) => options.screen?.checkHead(st, info, { source: result.sourceDatabase, sequences });

  const prepare = (st: SqlStatement, { include: tables, exclude, chosen = false }: StreamFilter): Prepared | null => {
    const info = classifyStatement(st.text);
    switch (info.kind) {
      case 'use':
      case 'create-database': {
        const name = info.objects[0]?.name;
        if (name !== undefined) {
          if (result.sourceDatabase !== undefined && result.sourceDatabase !== name) {
            throw new StatementError(
              st.offset,
              `the dump holds more than one database (${quoteId(result.sourceDatabase)}, ${quoteId(name)}); restore one database at a time`,
              undefined,
              preview(st.text),
            );
          }
          result.sourceDatabase = name;
        }
        return null;
      }
      case 'drop-database':
        return null;
      default:
        break;
    }
    if (tables) {
      const inSet = (ref: ObjectRef | undefined) => ref !== undefined && tables.has(ref.name);
      let keep = false;
      if (PARTIAL_ALWAYS.has(info.kind)) keep = true;
      else if (info.kind === 'create-trigger') keep = info.table ? inSet(info.table) : keepTriggerOfUnknownTable(st, info, chosen);
      else if (PARTIAL_KINDS.has(info.kind)) {
        const refs = info.kind === 'create-index' ? [info.table] : info.objects;
        keep = refs.length > 0 && refs.every(inSet);
        if (!keep && refs.some(inSet)) {
          warnOnce(`mixed ${st.offset}`, `skipped a statement naming restored and other tables (byte offset ${st.offset})`);
        }
      }
      if (!keep) return null;
      if (chosen && info.kind === 'create-table') requireOwnSequences(st, info, tables, [shop, result.sourceDatabase]);
    }
    if (exclude) {
      const refs = info.kind === 'create-index' || info.kind === 'create-trigger' ? [info.table] : info.objects;
      if (refs.some((ref) => ref !== undefined && exclude.has(ref.name))) return null;
    }
    // An INSERT's values are screened once it is known whether they go as LOAD DATA (see replayStream);
    // its head now, before redirect() takes a qualifier off it.
    if (info.kind === 'insert') screenHead(st, info);
    else screen(st, info);
    if (info.kind === 'set' && turnsBinaryLogOff(st.text)) {
      // MySQL 8's mysqldump writes SET @@SESSION.SQL_LOG_BIN= 0 with GTIDs: replicas would miss the staging
      // load and then stop at the RENAME that names it. Everything a restore does stays in the binary log.
      warnOnce('sql_log_bin', `left out the dump's SET sql_log_bin (byte offset ${st.offset}): the binary log stays on, so replicas follow the restore`);
      return null;
    }
    if (info.kind === 'set-global' || info.kind === 'admin') {
      warnOnce(`skip ${preview(st.text).slice(0, 30)}`, `skipped a statement that acts beyond the database (byte offset ${st.offset}): ${preview(st.text).slice(0, 80)}`);
      return null;
    }
    if (info.kind === 'load') throw new StatementError(st.offset, 'LOAD DATA statements are not supported in a dump', undefined, preview(st.text));
    const ranges: [number, number][] = [];
    for (const ref of info.objects) {
      if (info.kind === 'alter-database') {
        // ALTER DATABASE `x` ... -> ALTER DATABASE ... (applies to the default schema, staging)
        if (ref.schema === undefined && ref.name !== stage) {
          if (result.sourceDatabase !== undefined && ref.name !== result.sourceDatabase && ref.name !== shop) {
            throw new StatementError(st.offset, `the statement alters database ${quoteId(ref.name)}, not the one being restored`, undefined, preview(st.text));
          }
          ranges.push(ref.range);
        }
        continue;
      }
      if (info.kind === 'other' || info.kind === 'set' || info.kind === 'unlock' || info.kind === 'transaction') continue;
      redirect(ref, st, ranges);
    }
    redirect(info.table, st, ranges);
    if (info.kind === 'create-sequence') for (const ref of info.objects) sequences.add(ref.name);
    if (info.kind === 'create-table' && sequences.size > 0) ranges.push(...ownSequenceQualifiers(st.text, sequences));
    if (info.definer && !isCurrentUser(info.definer, current)) ranges.push(info.definer.range);
    recordOwner(info);
    let text = removeRanges(st.text, ranges);
    if (info.kind === 'set') text = widenSetNames(text);
    return { statement: st, text, info };
  };

  // The binary log's rules refused a trigger or function: say what to do rather than which statement.
  const throwIfRefused = (errno: number | undefined) => {
    const refused = refusalForStatement(errno, shop, current);
    if (refused) throw refused;
  };

  const execute = async (conn: RawConnection, p: Prepared): Promise<void> => {
    const { statement: st, info } = p;
    let outcome: Outcome;
    try {
      outcome = p.load ? await loadRows(conn, p.load.sql, p.load.rows) : await execBytes(conn, p.text);
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      const e = asServerError(error);
      throwIfRefused(e.errno);
      const limit = options.maxAllowedPacket;
      if (!p.load && limit !== undefined && p.text.length >= limit) {
        // The server drops the connection (often before it can say why): name the cause and the fix.
        const message = `the statement is ${p.text.length} bytes, more than the server's max_allowed_packet (${limit} bytes); raise it (SET GLOBAL max_allowed_packet = ${p.text.length + 1024}) and try again`;
        throw new StatementError(st.offset, message, e.errno, preview(st.text));
      }
      throw new StatementError(st.offset, e.message, e.errno, preview(st.text));
    }
    const { affected } = outcome;
    if (outcome.warnings > 0 && DATA_KINDS.has(info.kind)) await reportChangedValues(conn, p);
    if (p.load && affected !== p.load.count) {
      // LOAD DATA LOCAL skips rows it cannot take (duplicates) with a warning where the INSERT would fail.
      throw new StatementError(st.offset, `the server took ${affected} of its ${p.load.count} rows`, undefined, preview(st.text));
    }
    result.statements++;
    if (info.kind === 'insert') result.rows += affected;
    if (info.kind === 'create-event' && info.objects[0]) {
      const name = info.objects[0].name;
      const def = await showCreateEvent(conn, name);
      if (def) result.events.set(name, def);
      await exec(conn, `ALTER EVENT ${quoteId(name)} DISABLE`);
    } else if (info.kind === 'drop-event') {
      for (const ref of info.objects) result.events.delete(ref.name);
    }
  };

  // INSERTs of plain values go as LOAD DATA (load-data.ts), which the server reads twice as fast.
  const loadDataOf = () => {
    const plans = new Map<string, LoadPlan>();
    const charset = new SessionCharset();
    return (p: Prepared) => {
      const table = p.info.objects[0]?.name;
      if (p.info.kind === 'set') charset.follow(p.text);
      else if (p.info.kind === 'create-table' && table !== undefined) {
        const plan = loadPlan(p.text);
        if (plan) plans.set(table, plan);
        else plans.delete(table);
      } else if (options.loadData && p.info.kind === 'insert' && table !== undefined && p.info.objects.length === 1 && charset.utf8) {
        const plan = plans.get(table);
        const load = plan ? toLoadData(p.text, plan) : null;
        if (!load) return;
        p.load = load;
        p.text = Buffer.from(p.text.subarray(0, 200)); // a copy: the INSERT itself is no longer kept
        p.statement = { ...p.statement, text: p.text };
      }
    };
  };

  let consumed = 0; // SQL bytes read by all streams, for progress
  let stopped: { error: unknown } | undefined; // the first stream to fail stops the others
  const progress = () => {
    const now = Date.now();
    if (!options.onProgress || now - lastProgress < 200) return;
    lastProgress = now;
    options.onProgress({
      phase: 'restore',
      ...(currentTable !== undefined ? { table: currentTable } : {}),
      rows: result.rows,
      bytes: consumed,
      ...(options.totalBytes !== undefined ? { totalBytes: options.totalBytes } : {}),
    });
  };

  /** One stream over its lanes, up to its index builds (not its foreign keys: see KeyBuilds.finish). */
  const replayStream = async (source: AsyncIterable<Buffer>, lanes: ReplayLanes<Prepared>, filter: StreamFilter, others?: Promise<unknown>) => {
    const keys = new KeyBuilds(lanes);
    const asLoadData = loadDataOf();
    let offset = 0;
    try {
      for await (const st of splitStatements(source, 'mysql')) {
        if (signal?.aborted) throw abortReason(signal);
        if (stopped) throw stopped.error;
        const prepared = prepare(st, filter);
        consumed += st.offset - offset;
        offset = st.offset;
        if (!prepared) continue;
        if (others && NEEDS_ALL_TABLES.has(prepared.info.kind)) {
          await others;
          others = undefined;
        }
        if (!(await keys.admit(prepared))) continue;
        asLoadData(prepared);
        // Rows sent as LOAD DATA reach the server as data under Lifeboat's own statement: only an INSERT
        // kept as SQL is read by the server, and screened.
        if (prepared.info.kind === 'insert' && !prepared.load) screen(prepared.statement, prepared.info);
        if (TABLE_KINDS.has(prepared.info.kind)) currentTable = prepared.info.objects[0]?.name ?? currentTable;
        progress();
        await lanes.dispatch(lanes.route(prepared.info), prepared, prepared.load?.rows.length ?? prepared.text.length);
      }
      await others;
      keys.buildPending();
      await lanes.idle();
      return keys;
    } catch (error) {
      stopped ??= { error };
      await lanes.settle();
      throw error;
    }
  };

  // Each lane keeps one statement in flight while the next ones are read and split.
  const streams = options.streams ?? [];
  const extraConns = options.moreConns ?? [];
  // Several streams share the memory one reader would have for its statements in flight.
  const queueBytes = Math.floor(MAX_QUEUED_BYTES / (streams.length + 1));
  const mainLanes = new ReplayLanes<Prepared>(streams.length ? [options.conn] : [options.conn, ...extraConns], execute, queueBytes);
  const extraRuns = streams.map((stream, i) =>
    replayStream(stream.sql, new ReplayLanes<Prepared>([extraConns[i]], execute, queueBytes), { include: stream.tables }),
  );
  const exclude = new Set(streams.flatMap((stream) => [...stream.tables]));
  const allExtras = Promise.all(extraRuns);
  allExtras.catch(() => undefined); // awaited below; a failure must not be unhandled meanwhile
  const mainRun = replayStream(
    sql,
    mainLanes,
    tables ? { include: tables, chosen: true } : exclude.size ? { exclude } : {},
    streams.length ? allExtras : undefined,
  );
  const runs = await Promise.allSettled([mainRun, ...extraRuns]);
  const failed = runs.find((run) => run.status === 'rejected');
  if (failed) throw stopped?.error ?? (failed as PromiseRejectedResult).reason;
  // Foreign keys last: each may rest on indexes of tables another stream loaded.
  for (const run of runs as PromiseFulfilledResult<KeyBuilds>[]) await run.value.finish();
  if (signal?.aborted) throw abortReason(signal);
  options.onProgress?.({
    phase: 'restore',
    ...(currentTable !== undefined ? { table: currentTable } : {}),
    rows: result.rows,
    bytes: Math.max(consumed, options.totalBytes ?? 0),
    ...(options.totalBytes !== undefined ? { totalBytes: options.totalBytes } : {}),
  });
  return result;
}

/**
 * A trigger whose head does not tell its table. A stream keeps it: every dump places a trigger after its
 * table's rows, so the table is one of the stream's own. Among tables the user chose it may belong to one
 * of them, which would then lose it without a word: the restore stops instead, before the swap.
 */
function keepTriggerOfUnknownTable(st: SqlStatement, info: StatementInfo, chosen: boolean): boolean {
  if (!chosen) return true;
  const trigger = quoteId(info.objects[0]?.name ?? '?');
  throw new StatementError(st.offset, `the table of trigger ${trigger} cannot be read, so restoring some tables could lose it; roll back the whole database`, undefined, preview(st.text));
}

/**
 * A table chosen for a partial restore whose column defaults draw from a sequence of the same database
 * cannot be created in staging without that sequence, and swapping the sequence back unasked could hand
 * out again numbers that rows of other tables already hold: the restore stops, before the swap, naming
 * the sequence to add.
 */
function requireOwnSequences(st: SqlStatement, info: StatementInfo, chosen: Set<string>, ownSchemas: (string | undefined)[]): void {
  const table = info.objects[0]?.name ?? '?';
  const own = sequenceReferences(st.text).filter((ref) => ref.schema === undefined || ownSchemas.includes(ref.schema));
  const missing = own.find((ref) => !chosen.has(ref.name));
  if (!missing) return;
  throw new Error(
    `table ${quoteId(table)} takes a default from sequence ${quoteId(missing.name)}, which is not restored with it: add --table ${missing.name} to restore both (the sequence then goes back to the backup's value too), or roll back the whole database`,
  );
}

export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error('restore aborted');
  error.name = 'AbortError';
  return error;
}

/** A session statement that sets sql_log_bin (on or back to a saved value: the dump's pair of them). */
function turnsBinaryLogOff(text: Buffer): boolean {
  return /\bsql_log_bin\b/i.test(text.toString('latin1'));
}
