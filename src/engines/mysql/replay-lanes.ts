// Replaying a dump over several connections ("lanes") into the staging schema, so that the server loads
// on all of them at once (as myloader does from a chunked dump) while the dump is still read once, in
// order.
//
// The rules that keep the result identical to a sequential replay:
// - INSERTs into one table may run on any lane, in any order, at once (their rows carry their keys, and
//   checks are off in staging), but only after the table's earlier statements (its CREATE, ALTER ...)
//   have completed. So the biggest table, which decides the load time, is loaded on every lane.
// - Any other statement about one table (CREATE, DROP, ALTER, its indexes and triggers) waits until
//   everything before it about that table has completed: a trigger is never created before the rows
//   it must not fire for are in.
// - Session statements (SET, transaction control) go to every lane at their place in the order, so each
//   session sees the settings the dump meant for it.
// - Anything else (views, routines, events, statements naming several tables) waits until every lane is
//   idle, runs alone, and completes before anything after it starts.
// - An index build after a table's rows (deferred-keys.ts) runs once that table's statements before it
//   have completed, on a lane of its own where there is one, while the reader goes on with the next table.
// - LOCK TABLES is dropped: it only speeds up MyISAM loads, a lock held by one lane would stall the
//   others, and under it an INSERT into a table whose column defaults to NEXTVAL(seq) fails (the
//   sequence is not locked: mariadb-dump writes such dumps).
import type { RawConnection } from './restore-session.js';
import type { StatementInfo } from './restore-parse.js';

/** Where a statement runs. */
export type Route = { to: 'any'; table: string; insert: boolean } | { to: 'all' } | { to: 'barrier' } | { to: 'skip' };

const BROADCAST_KINDS = new Set(['set', 'transaction', 'unlock']);
const TABLE_KINDS = new Set(['create-table', 'drop-table', 'alter-table', 'create-index', 'insert', 'truncate', 'update', 'create-trigger']);

/**
 * Bytes of statements queued on all lanes before the reader waits: two of Lifeboat's 4 MiB INSERTs per
 * lane of two (one loading, one ready). With 32 MiB, a rollback of the bench's shop at scale 0.15 peaked
 * at 238-263 MiB of RSS (the bound is 256) once the SQL was split faster, and was not quicker.
 */
export const MAX_QUEUED_BYTES = 16 * 1024 * 1024;

interface Lane {
  conn: RawConnection;
  tail: Promise<void>;
  queuedBytes: number;
  /** Long statements (index builds) queued on it: other work goes elsewhere while there are any. */
  heavy: number;
}

/** What a table's next statements wait for. */
interface TableWork {
  /** Its last statement other than an INSERT: INSERTs wait for it. */
  definition: Promise<void>;
  /** Its statements queued since that one: the next non-INSERT waits for all of them. */
  pending: Promise<void>[];
}

export class ReplayLanes<T> {
  private readonly lanes: Lane[];
  private readonly tables = new Map<string, TableWork>();
  private queuedBytes = 0;
  private failure: { error: unknown } | undefined;
  private wakeReader: (() => void) | undefined;

  constructor(
    conns: RawConnection[],
    private readonly run: (conn: RawConnection, item: T) => Promise<void>,
    private readonly maxQueuedBytes = MAX_QUEUED_BYTES,
  ) {
    this.lanes = conns.map((conn) => ({ conn, tail: Promise.resolve(), queuedBytes: 0, heavy: 0 }));
  }

  get count(): number {
    return this.lanes.length;
  }

  /** Where a statement goes. With one lane, everything runs on it in order. */
  route(info: StatementInfo): Route {
    if (info.kind === 'lock') return { to: 'skip' };
    if (BROADCAST_KINDS.has(info.kind)) return { to: 'all' };
    if (!TABLE_KINDS.has(info.kind)) return { to: 'barrier' };
    const refs = info.kind === 'create-index' || info.kind === 'create-trigger' ? [info.table] : info.objects;
    const names = new Set(refs.map((ref) => ref?.name));
    const [name] = names;
    if (names.size !== 1 || name === undefined) return { to: 'barrier' };
    return { to: 'any', table: name, insert: info.kind === 'insert' };
  }

  /** Queues the item as `route` says; resolves when the reader may go on (memory permitting). */
  async dispatch(route: Route, item: T, bytes: number): Promise<void> {
    this.throwIfFailed();
    if (route.to === 'skip') return;
    if (route.to === 'all') {
      for (let i = 0; i < this.lanes.length; i++) void this.enqueue(i, item, 0);
    } else if (route.to === 'barrier') {
      // Alone: after everything before it, and done before anything after it starts on another lane.
      await this.idle();
      await this.enqueue(0, item, bytes);
      this.throwIfFailed();
    } else {
      const work = this.workOf(route.table);
      if (route.insert) {
        await work.definition;
        work.pending.push(this.enqueue(this.leastLoaded(), item, bytes));
      } else {
        await Promise.all([work.definition, ...work.pending]);
        work.pending = [];
        work.definition = this.enqueue(this.leastLoaded(), item, bytes);
      }
    }
    while (this.queuedBytes > this.maxQueuedBytes && !this.failure) {
      await new Promise<void>((resolve) => (this.wakeReader = resolve));
    }
    this.throwIfFailed();
  }

  /**
   * Queues a long statement about `table` (an index build after its rows) to run once everything before
   * it about that table has completed, without holding up the reader: the next table loads meanwhile, on
   * the other lanes. Later statements about the table wait for it as for any other.
   */
  defer(table: string, item: T): void {
    this.throwIfFailed();
    const work = this.workOf(table);
    if (this.lanes.length === 1) {
      // One lane runs in dispatch order anyway; queueing now keeps it next to the statements around it.
      work.pending = [];
      work.definition = this.enqueue(0, item, 0, true);
      return;
    }
    const before = Promise.all([work.definition, ...work.pending]);
    work.pending = [];
    work.definition = before.then(() => this.enqueue(this.leastLoaded(), item, 0, true));
  }

  /** Waits until every lane has run what it was given (deferred statements too); throws the first failure. */
  async idle(): Promise<void> {
    await this.settle();
    this.throwIfFailed();
  }

  /** Waits for every lane and deferred statement, ignoring failures (for cleanup). */
  async settle(): Promise<void> {
    await Promise.all([...this.tables.values()].map((work) => work.definition));
    await Promise.all(this.lanes.map((lane) => lane.tail));
  }

  private workOf(table: string): TableWork {
    let work = this.tables.get(table);
    if (!work) {
      work = { definition: Promise.resolve(), pending: [] };
      this.tables.set(table, work);
    }
    return work;
  }

  /** Queues the item on one lane; the promise resolves when it has run (or was skipped after a failure), never rejects. */
  private enqueue(index: number, item: T, bytes: number, heavy = false): Promise<void> {
    const lane = this.lanes[index];
    if (heavy) lane.heavy++;
    lane.queuedBytes += bytes;
    this.queuedBytes += bytes;
    lane.tail = lane.tail.then(async () => {
      try {
        if (!this.failure) await this.run(lane.conn, item);
      } catch (error) {
        this.failure ??= { error };
      } finally {
        if (heavy) lane.heavy--;
        lane.queuedBytes -= bytes;
        this.queuedBytes -= bytes;
        if (this.queuedBytes <= this.maxQueuedBytes || this.failure) {
          this.wakeReader?.();
          this.wakeReader = undefined;
        }
      }
    });
    return lane.tail;
  }

  private leastLoaded(): number {
    const load = (lane: Lane) => (lane.heavy > 0 ? this.maxQueuedBytes : 0) + lane.queuedBytes;
    let best = 0;
    for (let i = 1; i < this.lanes.length; i++) if (load(this.lanes[i]) < load(this.lanes[best])) best = i;
    return best;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
