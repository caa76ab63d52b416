// Parallel table reading for dump.ts: several connections read tables at once, all inside one consistent
// snapshot, and the output stays one file in which every table's data is contiguous.
//
// One snapshot: InnoDB gives each connection its own read view at START TRANSACTION WITH CONSISTENT
// SNAPSHOT. The views are the same when no transaction commits between the first and the last of them:
// MariaDB's BACKUP STAGE BLOCK_COMMIT (RELOAD privilege) blocks commits, and nothing else (reads and
// running statements go on; it waits only for commits already under way), for the few milliseconds the
// workers take to open their transactions; BACKUP STAGE END then lets the commits through. Waiting for
// the block is capped at BLOCK_WAIT_SECONDS so that the shop never queues behind it for longer. MySQL
// has no such statement (LOCK INSTANCE FOR BACKUP blocks DDL, not commits; FLUSH TABLES WITH READ LOCK
// waits for running queries and stalls the shop meanwhile): there, without RELOAD, or when the block
// cannot be had in time, the dump runs on one connection and says so in a warning.
//
// One file: the sink is owned by one worker at a time. A worker that finds it free streams its table
// straight in; the others write whole tables into a spool (compressed frames in a temp file, so memory stays
// bounded) and move it into the sink byte for byte, with offsets shifted, as soon as the sink is free.
// Tables come largest first, so the tables read last are small and no worker idles long at the end.
import type { SpoolSink, SqlSink } from '../engine.js';
import type { MysqlTarget } from '../target.js';
import { openConnection, type MysqlConnection } from './connect.js';
import type { DumpedTable } from './dump-table.js';

/** Longest wait for BACKUP STAGE (it queues behind running DDL and commits, and new ones behind it). */
const BLOCK_WAIT_SECONDS = 1;
/** Errors that mean "no shared snapshot here", not "the dump failed". */
const NO_BACKUP_STAGE = new Map<number, string>([
  [1227, 'the user lacks the RELOAD privilege that BACKUP STAGE needs'], // ER_SPECIFIC_ACCESS_DENIED_ERROR
  [1044, 'the user may not run BACKUP STAGE'], // ER_DBACCESS_DENIED_ERROR
  [1064, 'the server has no BACKUP STAGE (MariaDB 10.4 or later)'], // ER_PARSE_ERROR
  [1205, `commits could not be paused within ${BLOCK_WAIT_SECONDS} s (long DDL or commits running)`], // ER_LOCK_WAIT_TIMEOUT
]);

export interface SnapshotSetup {
  /** Session settings for a new connection (before its transaction). */
  prepare(conn: MysqlConnection): Promise<void>;
  /** Opens the connection's snapshot transaction. */
  start(conn: MysqlConnection): Promise<void>;
  /** Registers a connection, so that abort and cleanup reach it. */
  track(conn: MysqlConnection): void;
}

export interface SharedSnapshot {
  /** Connections reading the same snapshot; the first is the one the caller passed. */
  connections: MysqlConnection[];
  /** Why fewer connections than asked for are used. */
  warning?: string;
}

/** Opens `threads` snapshot transactions that see the same data, or one when that is not possible. */
export async function openSharedSnapshot(
  target: MysqlTarget,
  first: MysqlConnection,
  isMariaDb: boolean,
  threads: number,
  setup: SnapshotSetup,
): Promise<SharedSnapshot> {
  const single = async (reason?: string): Promise<SharedSnapshot> => {
    await setup.start(first);
    return reason === undefined ? { connections: [first] } : { connections: [first], warning: `the dump ran on one connection: ${reason}` };
  };
  if (threads <= 1) return single();
  if (!isMariaDb) return single('a snapshot shared by several connections needs MariaDB (BACKUP STAGE)');
  const control = await openConnection(target);
  setup.track(control);
  try {
    const workers = [first];
    for (let i = 1; i < threads; i++) {
      const conn = await openConnection(target, { readingSocket: true });
      setup.track(conn);
      await setup.prepare(conn);
      workers.push(conn);
    }
    await control.query(`SET SESSION lock_wait_timeout = ${BLOCK_WAIT_SECONDS}`);
    try {
      await control.query('BACKUP STAGE START');
      await control.query('BACKUP STAGE BLOCK_COMMIT');
    } catch (error) {
      const reason = NO_BACKUP_STAGE.get((error as { errno?: number }).errno ?? 0);
      if (reason === undefined) throw error;
      await control.query('BACKUP STAGE END').catch(() => undefined); // START may have succeeded
      for (const conn of workers.slice(1)) conn.destroy();
      return await single(reason);
    }
    try {
      await Promise.all(workers.map((conn) => setup.start(conn)));
    } finally {
      await control.query('BACKUP STAGE END');
    }
    return { connections: workers };
  } finally {
    control.destroy(); // ends the backup stage too, if END could not be sent
  }
}

/** Exclusive use of the main sink, taken without waiting when free or awaited at the end. */
class SinkTurn {
  private busy = false;
  private readonly waiting: (() => void)[] = [];

  tryTake(): boolean {
    if (this.busy) return false;
    this.busy = true;
    return true;
  }

  async take(): Promise<void> {
    if (this.tryTake()) return;
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next(); // the turn passes straight on: busy stays true
    else this.busy = false;
  }

  async with<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } finally {
      this.release();
    }
  }
}

/**
 * Dumps one table into the given sink over the given connection; null when it was dropped meanwhile.
 * It must stop (throw) soon after `signal` aborts: between rows, not only between tables.
 */
export type TableDumper<T> = (conn: MysqlConnection, sink: SqlSink, table: T, signal: AbortSignal) => Promise<DumpedTable | null>;

export interface ParallelTables<T> {
  /** In the order they should be taken (largest first). */
  tables: T[];
  connections: MysqlConnection[];
  sink: SqlSink;
  openSpool: () => Promise<SpoolSink>;
  dumpTable: TableDumper<T>;
  /** Spools in use, for progress (their bytes are not in the sink yet). */
  spools: SpoolSink[];
  signal?: AbortSignal;
}

/**
 * Runs one worker per connection over the shared queue of tables; resolves to the tables' infos in
 * file order. The first failure stops the other workers at their next row (closing their connections
 * would not: a driver closing its own connection never fails the query it is running).
 */
export async function dumpTablesInParallel<T>(job: ParallelTables<T>): Promise<DumpedTable[]> {
  const queue = [...job.tables];
  const turn = new SinkTurn();
  const done: DumpedTable[] = [];
  const stop = new AbortController();
  const signal = job.signal ? AbortSignal.any([job.signal, stop.signal]) : stop.signal;

  const worker = async (conn: MysqlConnection): Promise<void> => {
    let spool: SpoolSink | undefined;
    /** Tables in the spool, their offsets relative to the spool's start. */
    let spooled: DumpedTable[] = [];
    const moveSpool = async () => {
      if (!spool || spool.bytesWritten === 0) return;
      const at = await spool.moveToMain();
      for (const info of spooled) {
        // The spool is written out, so its offsets are known.
        const frameOffset = (await info.frameOffset) + at.frameOffset;
        done.push({ ...info, dataOffset: info.dataOffset + at.dataOffset, frameOffset: Promise.resolve(frameOffset) });
      }
      spooled = [];
    };
    for (let table = queue.shift(); table !== undefined; table = queue.shift()) {
      signal.throwIfAborted();
      if (turn.tryTake()) {
        const current = table;
        await turn.with(async () => {
          await moveSpool();
          const info = await job.dumpTable(conn, job.sink, current, signal);
          if (info) done.push(info);
        });
        continue;
      }
      if (!spool) {
        spool = await job.openSpool();
        job.spools.push(spool);
      }
      const info = await job.dumpTable(conn, spool, table, signal);
      if (info) spooled.push(info);
      if (turn.tryTake()) await turn.with(moveSpool);
    }
    if (spool && spool.bytesWritten > 0) {
      await turn.take();
      await turn.with(async () => {
        signal.throwIfAborted(); // the turn may come from a worker that failed
        await moveSpool();
      });
    }
  };

  // The first failure is the cause; the others' (closed connections) are its consequence.
  let failure: { error: unknown } | undefined;
  await Promise.all(
    job.connections.map((conn) =>
      worker(conn).catch((error: unknown) => {
        if (failure) return;
        failure = { error };
        stop.abort(error);
      }),
    ),
  );
  for (const spool of job.spools) await spool.dispose();
  job.spools.length = 0;
  if (failure) throw failure.error;
  return done.sort((a, b) => a.dataOffset - b.dataOffset);
}
