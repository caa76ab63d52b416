// Making folders, writing small files and setting finished folders' metadata on a worker thread (tree-write-worker.ts), so
// that those system calls overlap with the main thread's parsing of the tar stream and checking of every
// member. Operations go in batches, strictly in order; `drain` waits until all are done, which the
// extraction does before anything it does itself (a big file, a symlink, a hard link, the folders'
// metadata) and at the end.
import type { Worker } from 'node:worker_threads';
import type { Creation } from './creation-probe.js';
import { BATCH_BYTES, FIELDS, MAX_OPS, OP_FILE, OP_FOLDER_META, OP_MKDIR, OPS_AT, SLAB, SMALL_FILE, type WriteBatch } from './tree-write-batch.js';
import type { TreeWriteWorkerInput, WriteAnswer } from './tree-write-worker.js';
import { SMALL_HEAP, startAhead, startWorker } from './worker-module.js';

export { SMALL_FILE } from './tree-write-batch.js';
/** Batches sent and not answered yet: bounds the memory when the disk is slower than the archive. */
const MAX_IN_FLIGHT = 4;

export interface FileMeta {
  mode: number;
  uid: number;
  gid: number;
  /** Modification time in seconds, for utimes. */
  mtime: number;
}

/** Starts TreeWriterThread's thread before it is needed (startAhead); the function returned stops it if unused. */
export const startTreeWriterAhead = () => startAhead('tree-write-worker', { resourceLimits: SMALL_HEAP });

export class TreeWriterThread {
  private readonly worker: Worker;
  private paths: string[] = [];
  private slab: Buffer = Buffer.allocUnsafeSlow(SLAB);
  private fields = new Float64Array(this.slab.buffer, OPS_AT, MAX_OPS * FIELDS);
  private used = 0;
  private readonly spareSlabs: Buffer[] = [];
  private inFlight = 0;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  /** `creation`: what a new file comes out as in the folders written to (probeCreation), if known. */
  constructor(preserveOwners: boolean, creation?: Creation) {
    const input: TreeWriteWorkerInput = { preserveOwners, ...(creation ? { creation } : {}) };
    this.worker = startWorker('tree-write-worker', { workerData: input, resourceLimits: SMALL_HEAP });
    this.worker.on('message', ({ data, failure }: WriteAnswer) => {
      this.inFlight--;
      if (data.byteLength === SLAB) this.spareSlabs.push(Buffer.from(data));
      if (failure) this.fail(Object.assign(new Error(failure.message), failure.code ? { code: failure.code } : {}));
      this.wake?.();
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`the extraction's writing thread stopped (exit code ${code})`)));
  }

  /**
   * Makes the folder (and the ones above it that are missing) with mode 0o700, or with `mode` when given
   * (one the umask leaves as it is, with rwx for the owner: makesFolderExactly).
   */
  async mkdir(abs: string, mode?: number): Promise<void> {
    this.add(abs, OP_MKDIR, 0, 0, mode === undefined ? undefined : { mode, uid: 0, gid: 0, mtime: 0 });
    if (this.paths.length >= MAX_OPS) await this.send();
  }

  /** Gives a folder whose contents were all sent its mode, owner (when preserving owners) and mtime. */
  async folderMeta(abs: string, meta: FileMeta): Promise<void> {
    this.add(abs, OP_FOLDER_META, 0, 0, meta);
    if (this.paths.length >= MAX_OPS) await this.send();
  }

  /** Creates the file (it must not exist) with `parts` as its data (SMALL_FILE bytes at most). */
  async writeFile(abs: string, meta: FileMeta, parts: Buffer[], length: number): Promise<void> {
    if (length > SMALL_FILE) throw new Error(`TreeWriterThread: ${abs} is bigger than ${SMALL_FILE} bytes`);
    if (this.used + length > OPS_AT) await this.send(); // the files' bytes end where the numbers start
    const at = this.used;
    for (const part of parts) this.used += part.copy(this.slab, this.used);
    // A part whose buffer went back to the archive's reader (archive-read.ts) is empty: fail, not write.
    if (this.used - at !== length) throw new Error(`TreeWriterThread: ${abs} got ${this.used - at} of its ${length} bytes`);
    this.add(abs, OP_FILE, at, length, meta);
    if (this.used >= BATCH_BYTES || this.paths.length >= MAX_OPS) await this.send();
  }

  /** Waits until everything sent so far is on disk (written, not synced); throws the worker's failure. */
  async drain(): Promise<void> {
    if (this.paths.length > 0) await this.send();
    while (this.inFlight > 0 && !this.failure) await this.answer();
    this.throwIfFailed();
  }

  /** Stops the thread; what was not drained is left undone. */
  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private add(abs: string, kind: number, at: number, length: number, meta: FileMeta | undefined): void {
    // A NUL ends each path in the batch; no path the system accepts holds one.
    if (abs.includes('\0')) throw new Error(`the path ${JSON.stringify(abs)} holds a NUL byte`);
    const f = this.paths.length * FIELDS;
    this.paths.push(abs);
    const fields = this.fields;
    fields[f] = kind;
    fields[f + 1] = at;
    fields[f + 2] = length;
    fields[f + 3] = meta?.mode ?? 0;
    fields[f + 4] = meta?.uid ?? 0;
    fields[f + 5] = meta?.gid ?? 0;
    fields[f + 6] = meta?.mtime ?? 0;
  }

  private async send(): Promise<void> {
    this.throwIfFailed();
    // One string for all paths: cloned as one copy, where an array of them is cloned string by string.
    const batch: WriteBatch = { count: this.paths.length, paths: this.paths.join('\0') + '\0', data: this.slab.buffer as ArrayBuffer };
    this.worker.postMessage(batch, [batch.data]);
    this.inFlight++;
    this.paths = [];
    this.slab = this.spareSlabs.pop() ?? Buffer.allocUnsafeSlow(SLAB);
    this.fields = new Float64Array(this.slab.buffer, OPS_AT, MAX_OPS * FIELDS);
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
