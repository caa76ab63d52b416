// Making folders and writing small files of an extraction on a worker thread (tree-write-worker.ts), so
// that those system calls overlap with the main thread's reading of the archive: inflating, parsing tar
// headers, checking every member. Operations go in batches, strictly in order; `drain` waits until all
// are done, which the extraction does before anything it does itself (a big file, a symlink, a hard
// link, the folders' metadata) and at the end.
import { Worker } from 'node:worker_threads';
import type { TreeWriteWorkerInput, WriteAnswer, WriteBatch, WriteOp } from './tree-write-worker.js';
import { workerModule } from './worker-module.js';

/** A batch is sent once its files hold this many bytes, or it holds MAX_OPS operations. */
const BATCH_BYTES = 1 << 20;
const MAX_OPS = 256;
/** Files up to this size go through the worker; the batch buffer has room for one more of them. */
export const SMALL_FILE = 1 << 20;
const SLAB = BATCH_BYTES + SMALL_FILE;
/** Batches sent and not answered yet: bounds the memory when the disk is slower than the archive. */
const MAX_IN_FLIGHT = 4;

export interface FileMeta {
  mode: number;
  uid: number;
  gid: number;
  /** Modification time in seconds, for utimes. */
  mtime: number;
}

export class TreeWriterThread {
  private readonly worker: Worker;
  private ops: WriteOp[] = [];
  private slab: Buffer = Buffer.allocUnsafeSlow(SLAB);
  private used = 0;
  private readonly spareSlabs: Buffer[] = [];
  private inFlight = 0;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(preserveOwners: boolean) {
    const input: TreeWriteWorkerInput = { preserveOwners };
    this.worker = new Worker(workerModule('tree-write-worker', import.meta.url), { workerData: input });
    this.worker.on('message', ({ data, failure }: WriteAnswer) => {
      this.inFlight--;
      if (data.byteLength === SLAB) this.spareSlabs.push(Buffer.from(data));
      if (failure) this.fail(Object.assign(new Error(failure.message), failure.code ? { code: failure.code } : {}));
      this.wake?.();
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`the extraction's writing thread stopped (exit code ${code})`)));
  }

  /** Makes the folder (and the ones above it that are missing). */
  async mkdir(abs: string): Promise<void> {
    this.ops.push({ op: 'mkdir', abs });
    if (this.ops.length >= MAX_OPS) await this.send();
  }

  /** Creates the file (it must not exist) with `parts` as its data (SMALL_FILE bytes at most). */
  async writeFile(abs: string, meta: FileMeta, parts: Buffer[], length: number): Promise<void> {
    if (length > SMALL_FILE) throw new Error(`TreeWriterThread: ${abs} is bigger than ${SMALL_FILE} bytes`);
    if (this.used + length > SLAB) await this.send();
    const at = this.used;
    for (const part of parts) this.used += part.copy(this.slab, this.used);
    this.ops.push({ op: 'file', abs, ...meta, at, length });
    if (this.used >= BATCH_BYTES || this.ops.length >= MAX_OPS) await this.send();
  }

  /** Waits until everything sent so far is on disk (written, not synced); throws the worker's failure. */
  async drain(): Promise<void> {
    if (this.ops.length > 0) await this.send();
    while (this.inFlight > 0 && !this.failure) await this.answer();
    this.throwIfFailed();
  }

  /** Stops the thread; what was not drained is left undone. */
  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private async send(): Promise<void> {
    this.throwIfFailed();
    const batch: WriteBatch = { ops: this.ops, data: this.slab.buffer as ArrayBuffer };
    this.worker.postMessage(batch, [batch.data]);
    this.inFlight++;
    this.ops = [];
    this.slab = this.spareSlabs.pop() ?? Buffer.allocUnsafeSlow(SLAB);
    this.used = 0;
    while (this.inFlight >= MAX_IN_FLIGHT && !this.failure) await this.answer();
    this.throwIfFailed();
  }

  private answer(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.wake?.();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}
