// An incremental backup's members for a rollback, read on a worker thread (snapshot-read-worker.ts):
// there the snapshot is opened, the listing read, and every blob read, decompressed and checked against
// its id; here the members are made from the headers and the data it hands over, as readTar makes them
// from a tar stream (TarMember), without a tar stream made only to be parsed again. The main thread,
// which checks and places every member and so sets a rollback's pace, is left only that.
import type { Worker } from 'node:worker_threads';
import { BlobDamagedError } from './content/blob-codec.js';
import { SnapshotMismatchError } from './content/open-snapshot.js';
import type { SnapshotReadWorkerInput, SnapshotReadWorkerMessage, TakenData, TakenHeaders } from './snapshot-read-worker.js';
import type { TarHeader } from './tar-header.js';
import type { TarMember } from './tar-reader.js';
import { SMALL_HEAP, startAhead, startWorker, stopWorker } from './worker-module.js';

export type { SnapshotReadWorkerInput } from './snapshot-read-worker.js';

export interface SnapshotRead {
  /**
   * The members in listing order. A member's `data` and its body's pieces are views into the handover
   * buffers, valid until the next member is asked for (as readTar's). Ends with the reading thread's
   * error (a BlobDamagedError for a damaged or missing blob) once the members before it are taken.
   */
  members: AsyncGenerator<TarMember>;
  /** Stops the reading (after a failure elsewhere). */
  close(): Promise<void>;
}

/** Starts readSnapshot's thread before it is needed (startAhead); the function returned stops it if unused. */
export const startSnapshotReadAhead = () => startAhead('snapshot-read-worker', { resourceLimits: SMALL_HEAP });

/**
 * Opens the snapshot `input.file` on a worker thread (checked against `input.expected`); rejects as
 * openSnapshot would (a SnapshotMismatchError, a read error).
 */
export async function readSnapshot(input: SnapshotReadWorkerInput): Promise<SnapshotRead> {
  const feed = new Feed(startWorker('snapshot-read-worker', { workerData: input, resourceLimits: SMALL_HEAP }));
  try {
    await feed.opened;
  } catch (error) {
    await feed.close();
    throw error;
  }
  return { members: feed.members(), close: () => feed.close() };
}

const EMPTY = Buffer.alloc(0);
const NO_DATA: AsyncIterable<Buffer> = { async *[Symbol.asyncIterator]() {} };

/** A member's data that came whole. */
class OnePiece implements AsyncIterable<Buffer> {
  constructor(private readonly data: Buffer) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    yield this.data;
  }
}

/** A member's data across handover buffers, taken as it is read; what is left unread is skipped after it. */
class Body implements AsyncIterable<Buffer> {
  constructor(
    private readonly feed: Feed,
    public remaining: number,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    while (this.remaining > 0) {
      const piece = await this.feed.piece(this.remaining);
      this.remaining -= piece.length;
      yield piece;
    }
  }

  async skipRest(): Promise<void> {
    while (this.remaining > 0) this.remaining -= (await this.feed.piece(this.remaining)).length;
  }
}

function errorOf({ name, message, code }: { name: string; message: string; code?: string }): Error {
  const error = name === 'BlobDamagedError' ? new BlobDamagedError(message) : name === 'SnapshotMismatchError' ? new SnapshotMismatchError(message) : new Error(message);
  return code ? Object.assign(error, { code }) : error;
}

/** What the reading thread handed over and the main thread has not taken yet. */
class Feed {
  /** Batches of headers; the next one is headers[0][headerAt]. */
  private readonly headers: TarHeader[][] = [];
  private headerAt = 0;
  /** Data buffers; the next byte is chunks[0][at]. */
  private readonly chunks: Buffer[] = [];
  private at = 0;
  /** Buffers all taken, whose views the consumer may still hold: given back as the next member is asked for. */
  private readonly spent: Buffer[] = [];
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private settleOpened: { resolve: () => void; reject: (error: Error) => void } | undefined;
  readonly opened = new Promise<void>((resolve, reject) => (this.settleOpened = { resolve, reject }));

  constructor(private readonly worker: Worker) {
    this.opened.catch(() => undefined); // awaited by readSnapshot
    worker.on('message', (message: SnapshotReadWorkerMessage) => {
      if (message.type === 'members') {
        if (message.headers.length > 0) this.headers.push(message.headers);
        if (message.data) this.chunks.push(Buffer.from(message.data, 0, message.length));
        this.wake?.();
      } else if (message.type === 'ready') this.settleOpened?.resolve();
      else this.finish(message.type === 'end' ? undefined : errorOf(message));
    });
    worker.on('error', (error) => this.finish(error));
    worker.on('exit', (code) => this.finish(new Error(`the snapshot's reading thread stopped (exit code ${code})`)));
  }

  private finish(failure?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = failure;
    this.settleOpened?.reject(failure ?? new Error("the snapshot's reading thread ended before it opened the snapshot"));
    this.wake?.();
  }

  async close(): Promise<void> {
    this.finish(new Error('the snapshot was not read to its end'));
    await stopWorker(this.worker); // (which alone removes its 'exit' listeners: see there)
  }

  private async waitForMore(): Promise<void> {
    if (this.failure) throw this.failure;
    await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
    if (this.failure) throw this.failure;
  }

  async *members(): AsyncGenerator<TarMember> {
    try {
      for (let offset = 0; ; offset++) {
        this.giveBack(0); // the member before is done with
        const header = this.nextHeader() ?? (await this.headerToCome());
        if (!header) break;
        if (header.type !== 'file' || header.size === 0 || header.kept) {
          // A kept file's data stays in the live file (no data came for it).
          yield header.type === 'file' && !header.kept ? { header, body: NO_DATA, offset, data: EMPTY } : { header, body: NO_DATA, offset };
          continue;
        }
        const data = this.takeBuffered(header.size);
        if (data) {
          yield { header, body: new OnePiece(data), offset, data };
          continue;
        }
        const body = new Body(this, header.size);
        yield { header, body, offset }; // no byte offset (there is no tar stream): the member's number, for order alone
        await body.skipRest();
      }
      if (this.chunks.length > 0) throw new Error("the snapshot's reading thread handed over more data than its members hold");
    } finally {
      await this.close();
    }
  }

  private nextHeader(): TarHeader | undefined {
    if (this.failure) throw this.failure;
    const batch = this.headers[0];
    if (batch === undefined) return undefined;
    const header = batch[this.headerAt++];
    if (this.headerAt === batch.length) {
      this.headers.shift();
      this.headerAt = 0;
      // The reading thread sends at most a few batches ahead (snapshot-read-worker.ts).
      const taken: TakenHeaders = { headersTaken: true };
      if (!this.ended) this.worker.postMessage(taken);
    }
    return header;
  }

  /** The next header once it comes; undefined at the end of the members. */
  private async headerToCome(): Promise<TarHeader | undefined> {
    for (;;) {
      const header = this.nextHeader();
      if (header || this.ended) return header;
      await this.waitForMore();
    }
  }

  /** Exactly `length` bytes (at least one) when the first buffer holds them, at once; undefined otherwise. */
  private takeBuffered(length: number): Buffer | undefined {
    const first = this.chunks[0];
    if (first === undefined || first.length - this.at < length) return undefined;
    const from = this.at;
    this.advance(first, length);
    return from === 0 && length === first.length ? first : first.subarray(from, from + length);
  }

  /** Up to `max` bytes (at least one), as they come. */
  async piece(max: number): Promise<Buffer> {
    // A body's pieces before the last two are done with (a small file's, gathered, span two buffers at most).
    this.giveBack(2);
    while (this.chunks.length === 0) {
      if (this.ended && !this.failure) throw new Error("the snapshot's reading thread ended inside a member's data");
      await this.waitForMore();
    }
    const first = this.chunks[0];
    const from = this.at;
    const length = Math.min(max, first.length - from);
    this.advance(first, length);
    return from === 0 && length === first.length ? first : first.subarray(from, from + length);
  }

  private advance(first: Buffer, length: number): void {
    this.at += length;
    if (this.at < first.length) return;
    this.spent.push(this.chunks.shift() as Buffer);
    this.at = 0;
  }

  /** Gives the spent buffers back to be filled again, all but the last `keep`. */
  private giveBack(keep: number): void {
    while (this.spent.length > keep) {
      const taken: TakenData = { data: (this.spent.shift() as Buffer).buffer as ArrayBuffer };
      if (!this.ended) this.worker.postMessage(taken, [taken.data]);
    }
  }
}
