// The sha256 of an archive as it is written, worked out on a thread of its own: hashing the 380 MB of a
// System backup of the bench's shop tree at scale 0.15 took the main thread, which also packs the tree,
// about half a second (a backup of a whole shop, gigabytes, several). The main thread copies each write
// into one of a few buffers that go to the hashing thread and come back (a copy costs a twentieth of
// the hash). A small file (a manifest, a dump of a few tables) is hashed here when it is sealed: a
// thread costs more than its hash. On a machine of two cores the thread does not pay either (see
// spare-cores.ts).
import { createHash } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import type { HashWorkerReply, HashWorkerRequest } from './hash-worker.js';
import { SMALL_HEAP, startWorker } from './worker-module.js';

/** The size of the buffers that go to the hashing thread. */
const CHUNK = 1 << 20;
/**
 * Buffers that exist beyond the kept ones: with all of them at the hashing thread, a write waits for one.
 * The thread hashes faster than an archive is written, so a few keep it busy.
 */
const BUFFERS = 4;
/** Up to this many bytes are only kept (and hashed at the end, here); beyond, the thread starts. */
const KEPT_BYTES = 4 * CHUNK;

/** What AtomicFile needs of a hash: BackgroundHash, or HashHere. */
export interface ArchiveHash {
  /** Takes `data`, which must stay as it is until this resolves. */
  update(data: Buffer): Promise<void>;
  /** The hex sha256 of everything given. */
  digest(): Promise<string>;
  close(): void;
}

/**
 * The sha256 worked out on the calling thread, as each write comes: for an archive whose writer leaves
 * that thread time to spare. A database dump's main thread waits for the server and the compression
 * much of the time, and starting the hashing thread costs about 0.1 s of CPU (as much as hashing some
 * 50 MB): on 2 cores the dump of the bench's shop at scale 0.15 (a 33 MiB archive) spent 0.2 s of CPU
 * in that thread, of which 0.03 s hashing.
 */
export class HashHere implements ArchiveHash {
  private readonly hash = createHash('sha256');

  update(data: Buffer): Promise<void> {
    this.hash.update(data);
    return Promise.resolve();
  }

  digest(): Promise<string> {
    return Promise.resolve(this.hash.digest('hex'));
  }

  close(): void {
    // nothing runs in the background
  }
}

export class BackgroundHash implements ArchiveHash {
  /** Filled buffers not sent yet (the bytes up to KEPT_BYTES, until the thread is started). */
  private readonly filled: ArrayBuffer[] = [];
  private readonly free: ArrayBuffer[] = [];
  private buffers = 0;
  private current: Buffer | undefined;
  private used = 0;
  private worker: Worker | undefined;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private digested: ((sha256: string) => void) | undefined;
  /** Rejects once the hashing thread failed or stopped. */
  private stopped: Promise<never> | undefined;

  /** The updates so far, in order: each copies its bytes after the one before. */
  private updated: Promise<void> = Promise.resolve();

  /** Takes `data`, which must stay as it is until this resolves. */
  update(data: Buffer): Promise<void> {
    const update = this.updated.then(() => this.take(data));
    this.updated = update.catch(() => undefined);
    return update;
  }

  private async take(data: Buffer): Promise<void> {
    for (let at = 0; at < data.length; ) {
      if (!this.current) this.current = Buffer.from(await this.takeBuffer());
      const copied = data.copy(this.current, this.used, at);
      at += copied;
      this.used += copied;
      if (this.used === CHUNK) this.pass();
    }
  }

  /** The hex sha256 of everything given; the hashing thread, if any, is stopped. */
  async digest(): Promise<string> {
    await this.updated;
    const worker = this.worker;
    if (!worker) {
      const hash = createHash('sha256');
      for (const data of this.filled) hash.update(new Uint8Array(data));
      if (this.current) hash.update(this.current.subarray(0, this.used));
      return hash.digest('hex');
    }
    if (this.current && this.used > 0) this.send(this.current.buffer as ArrayBuffer, this.used);
    this.current = undefined;
    const sha256 = new Promise<string>((resolve) => (this.digested = resolve));
    worker.ref(); // the answer must keep the process alive
    this.post({ type: 'digest' });
    try {
      return await Promise.race([sha256, this.stopped as Promise<never>]);
    } finally {
      this.close();
    }
  }

  /** Stops the hashing thread (a write given up on). */
  close(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }

  /** Hands the full current buffer on: kept while the bytes are few, else sent to the thread. */
  private pass(): void {
    const data = (this.current as Buffer).buffer as ArrayBuffer;
    this.current = undefined;
    this.used = 0;
    if (!this.worker && this.filled.length * CHUNK < KEPT_BYTES) {
      this.filled.push(data);
      return;
    }
    this.startWorker();
    for (const kept of this.filled.splice(0)) this.send(kept, CHUNK);
    this.send(data, CHUNK);
  }

  private async takeBuffer(): Promise<ArrayBuffer> {
    for (;;) {
      if (this.failure) throw this.failure;
      const spare = this.free.pop();
      if (spare) return spare;
      if (this.buffers < BUFFERS + KEPT_BYTES / CHUNK) {
        this.buffers++;
        return new ArrayBuffer(CHUNK);
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private startWorker(): void {
    if (this.worker) return;
    const worker = startWorker('hash-worker', { resourceLimits: SMALL_HEAP });
    worker.unref(); // a write never finished (a crash of the caller) must not keep the process alive
    worker.on('message', (reply: HashWorkerReply) => {
      if (reply.type === 'free') {
        this.free.push(reply.data);
        this.wakeUp();
      } else {
        this.digested?.(reply.sha256);
      }
    });
    let reject: (error: Error) => void = () => undefined;
    this.stopped = new Promise<never>((_, no) => (reject = no));
    this.stopped.catch(() => undefined); // only awaited while a digest is asked for
    const stop = (error: Error) => {
      this.failure ??= error;
      reject(this.failure);
      this.wakeUp();
    };
    worker.on('error', stop);
    worker.on('exit', (code) => stop(new Error(`the hashing thread stopped (exit code ${code})`)));
    this.worker = worker;
  }

  private send(data: ArrayBuffer, length: number): void {
    this.post({ type: 'chunk', data, length }, [data]);
  }

  private post(request: HashWorkerRequest, transfer: ArrayBuffer[] = []): void {
    this.worker?.postMessage(request, transfer);
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
