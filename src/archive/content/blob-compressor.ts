// Compressing blobs through a worker thread, in batches. Each blob handed to libuv's thread pool by the
// thread that reads and hashes the files cost that thread about 30 µs in the handover alone: 0.5-0.8 s
// of a first incremental backup of the bench's 0.15 tree, whose blobs are mostly small files. Here blobs
// are gathered into one buffer and sent together; the worker compresses each into one zstd frame
// (blob-compress-worker.ts), and the frames come back together in one buffer that is handed over, not
// copied. The buffers the batches are sent in come back and are filled again, rather than left for the
// worker's rare garbage collections.
import type { Worker } from 'node:worker_threads';
import { constants, zstdCompressSync } from 'node:zlib';
import type { CompressBatch, CompressReply } from '../blob-compress-worker.js';
import { SMALL_HEAP, startWorker } from '../worker-module.js';
import type { EncodedBlob } from './blob-codec.js';

/** zstd's default level: a fraction of gzip's time for a similar size. */
export const BLOB_LEVEL = 3;
/** A batch is sent once it holds this many plain bytes... */
const BATCH_BYTES = 512 << 10;
/** ...or this many blobs, or when the calling thread next waits for anything (see `schedule`). */
const BATCH_BLOBS = 64;
/** The buffers kept for sending batches: enough for the few batches in flight at once. */
const SPARE_BUFFERS = 4;
/** Blobs shorter than this are stored as they are: a zstd frame's header and checksum alone are 12 bytes or more. */
const TOO_SHORT = 64;

interface Waiting {
  plain: Buffer;
  resolve: (blob: EncodedBlob) => void;
  reject: (error: Error) => void;
}

export class BlobCompressor {
  private worker: Worker | undefined;
  private failure: Error | undefined;
  private batch: Waiting[] = [];
  private batchBytes = 0;
  private scheduled = false;
  private readonly sent = new Map<number, Waiting[]>();
  private nextId = 0;
  /** Buffers back from the worker, to send the next batches in. */
  private readonly spare: ArrayBuffer[] = [];

  /** Whether the thread runs: until it does, blobs are compressed on the calling thread. */
  private online = false;

  constructor() {
    // Started now, not at the first blob: a thread takes 70-150 ms to start, and a second backup's walk
    // waited for it at its first changed file while its queue of entries filled up (see encode).
    this.start();
  }

  /** The bytes to store for `plain`: compressed unless `asIs` (already-compressed media) or it would not shrink. */
  encode(plain: Buffer, asIs: boolean): Promise<EncodedBlob> {
    if (asIs || plain.length < TOO_SHORT) return Promise.resolve({ stored: plain, zstd: false });
    if (this.failure) return Promise.reject(this.failure);
    // Until the thread runs, here: a backup with few changed files is then not held up by its start.
    if (!this.online) return Promise.resolve(compressNow(plain));
    return new Promise<EncodedBlob>((resolve, reject) => {
      this.batch.push({ plain, resolve, reject });
      this.batchBytes += plain.length;
      if (this.batchBytes >= BATCH_BYTES || this.batch.length >= BATCH_BLOBS) this.send();
      else this.schedule();
    });
  }

  /** Sends what is gathered once the calling thread yields: it reads on meanwhile, and the batch fills. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.send();
    });
  }

  private send(): void {
    const waiting = this.batch;
    if (waiting.length === 0) return;
    const data = this.bufferFor(this.batchBytes);
    this.batch = [];
    this.batchBytes = 0;
    let at = 0;
    for (const { plain } of waiting) at += plain.copy(data, at);
    const id = this.nextId++;
    this.sent.set(id, waiting);
    const worker = this.start();
    if (this.sent.size === 1) worker.ref(); // answers are awaited: they keep the process alive
    const request: CompressBatch = { id, data: data.buffer, lengths: waiting.map(({ plain }) => plain.length) };
    worker.postMessage(request, [request.data]);
  }

  /** A spare buffer of at least `bytes`, or a new one (never smaller than a batch). */
  private bufferFor(bytes: number): Buffer<ArrayBuffer> {
    const at = this.spare.findIndex((buffer) => buffer.byteLength >= bytes);
    const buffer = at >= 0 ? this.spare.splice(at, 1)[0] : new ArrayBuffer(Math.max(bytes, 2 * BATCH_BYTES));
    return Buffer.from(buffer);
  }

  private received(reply: CompressReply): void {
    const waiting = this.sent.get(reply.id);
    if (!waiting) return;
    this.sent.delete(reply.id);
    if (this.sent.size === 0) this.worker?.unref();
    if ('error' in reply) {
      for (const { reject } of waiting) reject(new Error(`compressing a blob failed: ${reply.error}`));
      return;
    }
    const { spent, data, lengths } = reply;
    if (this.spare.length < SPARE_BUFFERS) this.spare.push(spent);
    const frames = Buffer.from(data);
    let at = 0;
    waiting.forEach(({ plain, resolve }, i) => {
      const length = lengths[i];
      if (length < 0) return resolve({ stored: plain, zstd: false });
      resolve({ stored: frames.subarray(at, at + length), zstd: true });
      at += length;
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker('blob-compress-worker', { workerData: { level: BLOB_LEVEL }, resourceLimits: SMALL_HEAP });
    worker.unref(); // a backup that failed without closing this must not hang the process
    worker.once('online', () => (this.online = true));
    worker.on('message', (reply: CompressReply) => this.received(reply));
    const stop = (error: Error) => this.fail(error);
    worker.on('error', stop);
    worker.on('exit', (code) => stop(new Error(`the compressing thread stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.worker = undefined;
    const waiting = [...this.batch, ...[...this.sent.values()].flat()];
    this.batch = [];
    this.batchBytes = 0;
    this.sent.clear();
    for (const { reject } of waiting) reject(this.failure);
  }

  /** Stops the thread; blobs still waiting fail. */
  close(): void {
    const worker = this.worker;
    if (!worker) return;
    this.fail(new Error('the blob compressor was closed'));
    void worker.terminate();
  }
}

const SYNC_OPTIONS = { params: { [constants.ZSTD_c_compressionLevel]: BLOB_LEVEL, [constants.ZSTD_c_checksumFlag]: 1 } };

/** The blob compressed as the worker does it, on the calling thread. */
function compressNow(plain: Buffer): EncodedBlob {
  const frame = zstdCompressSync(plain, SYNC_OPTIONS);
  return frame.length < plain.length ? { stored: frame, zstd: true } : { stored: plain, zstd: false };
}
