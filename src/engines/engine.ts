// The contract between the core and a database engine (MySQL/MariaDB, SQLite). Engines never import
// from core: they receive a sink to write SQL into and a stream of statements to restore from.
import type { EngineInfo, FakeKind, ObjectCounts } from '../shared/types.js';
import type { DatabaseTarget } from './target.js';

export type { FrameStart, SpoolSink, SqlSink } from '../shared/sinks.js';
import type { SpoolSink, SqlSink } from '../shared/sinks.js';

export interface TableDumpInfo {
  name: string;
  rows: number;
  dataOffset: number;
  dataLength: number;
  frameOffset?: number;
  /** Dumped without its rows (DumpOptions.withoutRows). */
  stripped?: true;
  /** Columns dumped with fake values (DumpOptions.fakeValues). */
  anonymized?: string[];
}

export interface DumpResult {
  engine: EngineInfo;
  tables: TableDumpInfo[];
  /** Sequences (MariaDB) by name: restorable by name like tables, though they have no data range. */
  sequences?: string[];
  objects: ObjectCounts;
  /** The owner of each view, trigger, routine and event (MySQL/MariaDB; see Manifest.definers). */
  definers?: Record<string, string>;
  warnings: string[];
}

export interface Progress {
  phase: string;
  /** Current table, when the work is per table. */
  table?: string;
  rows: number;
  /** Bytes of SQL produced (dump) or consumed (restore). */
  bytes: number;
  /** Expected total bytes when known (for ETA). */
  totalBytes?: number;
  /** Expected total rows, when known or estimated (for ETA when the byte total is not known). */
  totalRows?: number;
}

export type ProgressListener = (progress: Progress) => void;

export interface DumpOptions {
  /** Keep DEFINER clauses of views, triggers, routines and events (default: strip them). */
  keepDefiners?: boolean;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /**
   * Connections reading tables at once (default 1). More than one needs `openSpool` and a server that can
   * give them all one snapshot; otherwise the dump runs on one connection and a warning says why.
   */
  threads?: number;
  /**
   * False when `threads` is only the default: falling back to one connection (MySQL, a user without
   * RELOAD, which most shop users lack) is then normal and not reported as a warning on every backup.
   */
  threadsAsked?: boolean;
  /** Opens a spool over the main sink, for the tables the other connections read meanwhile. */
  openSpool?: () => Promise<SpoolSink>;
  /** Tables dumped without their rows: structure, triggers and AUTO_INCREMENT only (`--strip`). */
  withoutRows?: (table: string) => boolean;
  /**
   * Columns of a table dumped with fake values instead of theirs (`--anonymize`), by column name; the
   * columns a table lacks are ignored. Engines that cannot refuse the dump in one line.
   */
  fakeValues?: (table: string) => ReadonlyMap<string, FakeKind> | undefined;
}

export interface RestoreOptions {
  /** Restore only these tables (data and definition); everything else stays as it is. */
  tables?: string[];
  /** Total uncompressed bytes, for progress. */
  totalBytes?: number;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /** Sessions loading the database at once (MySQL/MariaDB; default 2). */
  threads?: number;
  /**
   * Called once the whole dump is loaded into staging and before the live database is touched; a throw
   * abandons the restore with the database unchanged (the caller checks the archive it streamed here).
   */
  beforeSwap?: () => void | Promise<void>;
  /**
   * More parts of the same dump, loaded at the same time as `sql` (MySQL/MariaDB): each holds the dump's
   * header and exactly `tables` (structure, rows, triggers), which are skipped in `sql`.
   */
  parallelSql?: { sql: AsyncIterable<Buffer>; tables: string[] }[];
  /**
   * The dump is Lifeboat's own (a manifest bound to its archive vouches for it). Its values load back as
   * they were: the server's warnings about its rows (ENUM's error value '' raises one, and loads back as
   * itself) are not reported as changed values. And it is loaded as it is: any other dump is screened, and
   * refused at a statement that reaches outside the database or the server's files (MySQL/MariaDB).
   */
  ownDump?: boolean;
  /**
   * Opens the same dump again, from its start: a dump that is not Lifeboat's own is then screened whole
   * before the restore writes anything (MySQL/MariaDB, whole-database restores). Without it, each statement
   * is still screened right before it runs.
   */
  rereadSql?: () => AsyncIterable<Buffer>;
  /**
   * The SQL bytes of each table's rows, from the backup's manifest (TableEntry.dataLength): MySQL makes the
   * indexes of a table with few rows together with the table instead of building them after its rows.
   */
  tableBytes?: Record<string, number>;
  /** What the backup's manifest counts, when it has one: what the restore will create, checked before it writes. */
  objects?: ObjectCounts;
  /** The owner of each view, trigger, routine and event, from the backup's manifest (Manifest.definers). */
  definers?: Record<string, string>;
  /**
   * Called once the restore has found that it may run and before it writes anything, with where it will
   * write; a throw refuses the restore with the database unchanged (the caller checks free space there).
   */
  beforeWrite?: (footprint: RestoreFootprint) => void | Promise<void>;
  /** Where the restore records each state it passes through, so that recovery can finish or undo it. */
  journal?: RestoreJournal;
  /**
   * Statements run on the staged copy once it is loaded and before the swap, their table names unqualified
   * (they name the staged tables): what they change is part of the atomic result. Built by the caller from
   * checked values (`lifeboat restore --base-url`); the staged copy's triggers do not fire.
   */
  stagedStatements?: string[];
  /** Put into the names of what the restore creates (helper schemas, staging files): the job's id. */
  label?: string;
  /**
   * With a journal: once committed, leave the shop's previous tables (MySQL's previous-tables schema) for
   * `dropOldTables` to drop later, so the restore ends without waiting for them to be dropped.
   */
  leaveOldTables?: boolean;
}

/**
 * A restore's state, as the engine records it (JSON): enough for `DatabaseEngine.recover` to bring the
 * database to a whole state after the process died at any instruction.
 */
export interface RestoreState {
  readonly engine: EngineInfo['kind'];
  /** Where the restore is; the engine defines the phases. */
  readonly phase: string;
  readonly [detail: string]: unknown;
}

export interface RestoreJournal {
  /** Records `state` durably; the restore waits for it before the step that needs it. */
  record(state: RestoreState): Promise<void>;
  /** Told when the restore reaches a named step (tests pause there to kill the process at that point). */
  reached(step: string): Promise<void>;
}

export interface RecoveryOutcome {
  /** What the database holds now: its content from before the restore, or the backup's. */
  database: 'old' | 'new';
  /** What recovery did, a line each (empty when there was nothing left to do). */
  done: string[];
}

/** Where a restore will write on the database server (MySQL/MariaDB), known before it writes anything. */
export interface RestoreFootprint {
  /** The binary log is on: the whole load goes into it, and replicas replay it. */
  binaryLog: boolean;
  /** Bytes of SQL the restore loads (RestoreOptions.totalBytes), when known: about what the binary log grows by. */
  loadBytes?: number;
  /** Bytes the staging copy takes in the server's data folder: about the data's size. */
  stagingBytes: number;
  /**
   * The server's folders, when it runs on this machine (a loopback address or a socket): its data folder
   * and, with the binary log on, the binary log's. Absent for a remote server, whose disks are not here.
   */
  local?: { dataDir: string; binaryLogDir?: string };
}

/**
 * The restore would not finish: the server would not let it (a privilege or a setting is missing), or the
 * dump holds a statement it will not run (one that reaches outside the database). It stopped with the
 * database unchanged, and the message says what to do. The archive is not damaged.
 */
export class RestoreRefusedError extends Error {}

export interface RestoreResult {
  tables: number;
  rows: number;
  objects: ObjectCounts;
  warnings: string[];
}

/** A database beside the shop's for a restore drill, never the shop's own; `drop` removes it. */
export interface ScratchDatabase {
  target: DatabaseTarget;
  /** Set when what is written into the scratch database reaches replicas (the binary log could not be avoided): why, and what to do. */
  replicated?: string;
  drop(): Promise<void>;
}

export interface DatabaseEngine {
  readonly kind: EngineInfo['kind'];
  /**
   * Makes an empty scratch database beside the shop's (MySQL: a schema `<db>__lb_drill_<label>` on the same
   * server, which the helper schemas' GRANT covers; SQLite: a file in a temporary folder). One at a time
   * per database: what an earlier drill left is removed first.
   */
  openScratch(label: string): Promise<ScratchDatabase>;
  /** Writes a complete, consistent SQL dump of the database into the sink. */
  dump(sink: SqlSink, options?: DumpOptions): Promise<DumpResult>;
  /**
   * Replaces the database's content with the dump read from `sql` (uncompressed SQL text), atomically:
   * on any failure the database is left exactly as it was.
   */
  restore(sql: AsyncIterable<Buffer>, options?: RestoreOptions): Promise<RestoreResult>;
  /**
   * Brings a restore that stopped at `state` (the last one it recorded) to a whole database: the backup's
   * when it had passed its commit point, the old content otherwise; removes what it left behind. Safe to
   * run again after being interrupted itself; records its decision in `journal` before it cleans up.
   */
  recover(state: RestoreState, journal: RestoreJournal): Promise<RecoveryOutcome>;
  /**
   * Removes what restores left that no journal names (staging copies from earlier versions, or from a
   * restore run without a journal), unless a restore is running; reports, without removing, anything that
   * may hold the only copy of the shop's data. A line for each. What the restores of `ongoing` (whose
   * rollbacks still run: a committed one whose old tables a background process drops) left is theirs.
   */
  clearLeftovers(ongoing?: readonly RestoreState[]): Promise<string[]>;
  /**
   * Drops what a committed restore left with `leaveOldTables` (its state says where), without the lock
   * that keeps restores apart: only that restore ever used it. A line for each thing dropped.
   */
  dropOldTables(state: RestoreState): Promise<string[]>;
  close(): Promise<void>;
}
