// Replaying a dump over several connections ("lanes") into the staging schema, so that the server loads
// several tables at once (as myloader does) while the dump is still read once, in order.
//
// The rule that keeps the result identical to a sequential replay: every statement about one table
// (CREATE, DROP, ALTER, INSERT, its indexes and triggers) goes to the lane that table was given when it
// first appeared, and each lane runs its statements in dump order. Session statements (SET, transaction
// control) are sent to every lane at their place in the order, so each session sees the settings the
// dump meant for it. Anything else (views, routines, events, statements naming several tables) waits
// until every lane is idle and runs on lane 0. LOCK TABLES is dropped when there are several lanes: it
// only speeds up MyISAM loads, and a lock held by one lane would stall the others.
import type { RawConnection } from './restore-session.js';
import type { StatementInfo } from './restore-parse.js';

/** Where a statement runs. */
export type Route = { to: 'lane'; lane: number } | { to: 'all' } | { to: 'barrier' } | { to: 'skip' };

const BROADCAST_KINDS = new Set(['set', 'transaction', 'unlock']);
const TABLE_KINDS = new Set(['create-table', 'drop-table', 'alter-table', 'create-index', 'insert', 'truncate', 'update', 'create-trigger']);

/** Bytes of statements queued on all lanes before the reader waits (a few big INSERTs per lane). */
const MAX_QUEUED_BYTES = 32 * 1024 * 1024;

interface Lane {
  conn: RawConnection;
  tail: Promise<void>;
  queuedBytes: number;
  /** Bytes given to this lane so far: a new table goes to the least loaded one. */
  assignedBytes: number;
}

export class ReplayLanes<T> {
  private readonly lanes: Lane[];
  private readonly tableLane = new Map<string, number>();
  private queuedBytes = 0;
  private failure: { error: unknown } | undefined;
  private wakeReader: (() => void) | undefined;

  constructor(
    conns: RawConnection[],
    private readonly run: (conn: RawConnection, item: T) => Promise<void>,
  ) {
    this.lanes = conns.map((conn) => ({ conn, tail: Promise.resolve(), queuedBytes: 0, assignedBytes: 0 }));
  }

  get count(): number {
    return this.lanes.length;
  }

  /** Where a statement goes; assigns a lane to a table seen for the first time. */
  route(info: StatementInfo): Route {
    if (this.lanes.length === 1) return { to: 'lane', lane: 0 };
    if (info.kind === 'lock') return { to: 'skip' };
    if (BROADCAST_KINDS.has(info.kind)) return { to: 'all' };
    if (!TABLE_KINDS.has(info.kind)) return { to: 'barrier' };
    const refs = info.kind === 'create-index' || info.kind === 'create-trigger' ? [info.table] : info.objects;
    const names = new Set(refs.map((ref) => ref?.name));
    if (names.size !== 1) return { to: 'barrier' };
    const [name] = names;
    if (name === undefined) return { to: 'barrier' };
    let lane = this.tableLane.get(name);
    if (lane === undefined) {
      lane = this.leastLoaded();
      this.tableLane.set(name, lane);
    }
    return { to: 'lane', lane };
  }

  /** Queues the item as `route` says; resolves when the reader may go on (memory permitting). */
  async dispatch(route: Route, item: T, bytes: number): Promise<void> {
    this.throwIfFailed();
    if (route.to === 'skip') return;
    if (route.to === 'lane') this.enqueue(route.lane, item, bytes);
    else if (route.to === 'all') for (let i = 0; i < this.lanes.length; i++) this.enqueue(i, item, 0);
    else {
      // Alone: after everything before it, and done before anything after it starts on another lane.
      await this.idle();
      this.enqueue(0, item, bytes);
      await this.idle();
    }
    while (this.queuedBytes > MAX_QUEUED_BYTES && !this.failure) {
      await new Promise<void>((resolve) => (this.wakeReader = resolve));
    }
    this.throwIfFailed();
  }

  /** Waits until every lane has run what it was given; throws the first failure. */
  async idle(): Promise<void> {
    await Promise.all(this.lanes.map((lane) => lane.tail));
    this.throwIfFailed();
  }

  /** Waits for every lane, ignoring failures (for cleanup). */
  async settle(): Promise<void> {
    await Promise.all(this.lanes.map((lane) => lane.tail.catch(() => undefined)));
  }

  private enqueue(index: number, item: T, bytes: number): void {
    const lane = this.lanes[index];
    lane.queuedBytes += bytes;
    lane.assignedBytes += bytes;
    this.queuedBytes += bytes;
    lane.tail = lane.tail.then(async () => {
      try {
        if (!this.failure) await this.run(lane.conn, item);
      } catch (error) {
        this.failure ??= { error };
      } finally {
        lane.queuedBytes -= bytes;
        this.queuedBytes -= bytes;
        if (this.queuedBytes <= MAX_QUEUED_BYTES || this.failure) {
          this.wakeReader?.();
          this.wakeReader = undefined;
        }
      }
    });
  }

  private leastLoaded(): number {
    let best = 0;
    for (let i = 1; i < this.lanes.length; i++) {
      const lane = this.lanes[i];
      const current = this.lanes[best];
      if (lane.queuedBytes < current.queuedBytes || (lane.queuedBytes === current.queuedBytes && lane.assignedBytes < current.assignedBytes)) best = i;
    }
    return best;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
