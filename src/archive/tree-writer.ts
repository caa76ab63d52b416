// Making folders, writing small files and setting finished folders' metadata on a worker thread (tree-write-worker.ts), so
// that those system calls overlap with the main thread's parsing of the tar stream and checking of every
// member. Operations go in batches, strictly in order; `drain` waits until all are done, which the
// extraction does before anything it does itself (a big file, a symlink, a hard link, the folders'
// metadata) and at the end.
import type { Worker } from 'node:worker_threads';
import type { Creation } from './creation-probe.js';
import { BATCH_BYTES, FIELDS, MAX_OPS, OP_FILE, OP_FOLDER_META, OP_KEPT, OP_MKDIR, OPS_AT, SLAB, SMALL_FILE, type WriteBatch } from './tree-write-batch.js';
import type { ReuseAnswer, ReuseRequest, TreeWriteWorkerInput, WriteAnswer } from './tree-write-worker.js';
import type { ReuseLogData, ReuseTarget } from './live-reuse.js';
import { SMALL_HEAP, startAhead, startWorker, stopWorker } from './worker-module.js';

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
  private reuseLog: ((log: ReuseLogData) => void) | undefined;

  /**
   * `creation`: what a new file comes out as in the folders written to (probeCreation), if known.
   * `reuse`: staging folders whose files may be hard links to the live folders' unchanged ones (live-reuse.ts).
   */
  constructor(preserveOwners: boolean, creation?: Creation, reuse?: ReuseTarget[]) {
    const input: TreeWriteWorkerInput = { preserveOwners, ...(creation ? { creation } : {}), ...(reuse?.length ? { reuse } : {}) };
    this.worker = startWorker('tree-write-worker', { workerData: input, resourceLimits: SMALL_HEAP });
    this.worker.on('message', (answer: WriteAnswer | ReuseAnswer) => {
      if ('reused' in answer) {
        this.reuseLog?.(answer.reused);
        return;
      }
      const { data, failure } = answer;
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
    this.queueMkdir(abs, mode);
    await this.room();
  }

  /** Gives a folder whose contents were all sent its mode, owner (when preserving owners) and mtime. */
  async folderMeta(abs: string, meta: FileMeta): Promise<void> {
    this.queueFolderMeta(abs, meta.mode, meta.uid, meta.gid, meta.mtime);
    await this.room();
  }

  /** Creates the file (it must not exist) with `parts` as its data (SMALL_FILE bytes at most). */
  async writeFile(abs: string, meta: FileMeta, parts: Buffer[], length: number): Promise<void> {
    if (length > SMALL_FILE) throw new Error(`TreeWriterThread: ${abs} is bigger than ${SMALL_FILE} bytes`);
    if (this.used + length > OPS_AT) this.send(); // the files' bytes end where the numbers start
    const at = this.used;
    for (const part of parts) this.used += part.copy(this.slab, this.used);
    this.fileCopied(abs, at, length, meta.mode, meta.uid, meta.gid, meta.mtime);
    await this.room();
  }

  // The queue* methods are the ones above without a promise each: an extraction (extract.ts) calls them
  // for every member and waits only when mustWait says so (three promises per member were a good part
  // of the main thread's garbage). A batch that fills up is sent at once; the wait for the writing
  // thread to catch up comes before the next member, so at most one member's worth of batches (rarely
  // more than one) goes past MAX_IN_FLIGHT.

  /** mkdir, queued. */
  queueMkdir(abs: string, mode?: number): void {
    this.add(abs, OP_MKDIR, 0, 0, mode ?? 0, 0, 0, 0);
    if (this.paths.length >= MAX_OPS) this.send();
  }

  /** folderMeta, queued. */
  queueFolderMeta(abs: string, mode: number, uid: number, gid: number, mtime: number): void {
    this.add(abs, OP_FOLDER_META, 0, 0, mode, uid, gid, mtime);
    if (this.paths.length >= MAX_OPS) this.send();
  }

  /** writeFile, queued, for a file whose data is one buffer (SMALL_FILE bytes at most). */
  queueFile(abs: string, data: Buffer, mode: number, uid: number, gid: number, mtime: number): void {
    if (data.length > SMALL_FILE) throw new Error(`TreeWriterThread: ${abs} is bigger than ${SMALL_FILE} bytes`);
    if (this.used + data.length > OPS_AT) this.send(); // the files' bytes end where the numbers start
    const at = this.used;
    this.used += data.copy(this.slab, at);
    this.fileCopied(abs, at, data.length, mode, uid, gid, mtime);
  }

  /**
   * Hard-links the live file at the staged path's place (which must be the file with inode `inode`, `size`
   * bytes and `mtime`, unchanged: live-reuse.ts), queued. Needs the reuse targets given to the constructor.
   */
  queueKept(abs: string, inode: number, size: number, mtime: number): void {
    this.add(abs, OP_KEPT, inode, size, 0, 0, 0, mtime);
    if (this.paths.length >= MAX_OPS) this.send();
  }

  /** Whether batches sent and not answered are as many as may be: wait for room() before queueing more. */
  get mustWait(): boolean {
    return this.inFlight >= MAX_IN_FLIGHT || this.failure !== undefined;
  }

  /** Waits until fewer than MAX_IN_FLIGHT batches are unanswered; throws the worker's failure. */
  async room(): Promise<void> {
    while (this.inFlight >= MAX_IN_FLIGHT && !this.failure) await this.answer();
    this.throwIfFailed();
  }

  /** Waits until everything sent so far is on disk (written, not synced); throws the worker's failure. */
  async drain(): Promise<void> {
    if (this.paths.length > 0) this.send();
    while (this.inFlight > 0 && !this.failure) await this.answer();
    this.throwIfFailed();
  }

  /** Once everything is written: the files that are hard links to live ones (live-reuse.ts). */
  async takeReuseLog(): Promise<ReuseLogData> {
    await this.drain();
    const log = new Promise<ReuseLogData>((resolve) => (this.reuseLog = resolve));
    const request: ReuseRequest = { takeReuseLog: true };
    this.worker.postMessage(request);
    return log;
  }

  /** Stops the thread; what was not drained is left undone. */
  async close(): Promise<void> {
    await stopWorker(this.worker);
  }

  /** A file's `length` bytes were copied to `at` in the slab: its operation, and the batch sent when full. */
  private fileCopied(abs: string, at: number, length: number, mode: number, uid: number, gid: number, mtime: number): void {
    // A part whose buffer went back to the archive's reader (archive-read.ts) is empty: fail, not write.
    if (this.used - at !== length) throw new Error(`TreeWriterThread: ${abs} got ${this.used - at} of its ${length} bytes`);
    this.add(abs, OP_FILE, at, length, mode, uid, gid, mtime);
    if (this.used >= BATCH_BYTES || this.paths.length >= MAX_OPS) this.send();
  }

  private add(abs: string, kind: number, at: number, length: number, mode: number, uid: number, gid: number, mtime: number): void {
    // A NUL ends each path in the batch; no path the system accepts holds one.
    if (abs.includes('\0')) throw new Error(`the path ${JSON.stringify(abs)} holds a NUL byte`);
    const f = this.paths.length * FIELDS;
    this.paths.push(abs);
    const fields = this.fields;
    fields[f] = kind;
    fields[f + 1] = at;
    fields[f + 2] = length;
    fields[f + 3] = mode;
    fields[f + 4] = uid;
    fields[f + 5] = gid;
    fields[f + 6] = mtime;
  }

  /** Sends the batch (waiting for room is the caller's: room()). */
  private send(): void {
    this.throwIfFailed();
    // One string for all paths: cloned as one copy, where an array of them is cloned string by string.
    const batch: WriteBatch = { count: this.paths.length, paths: this.paths.join('\0') + '\0', data: this.slab.buffer as ArrayBuffer };
    this.worker.postMessage(batch, [batch.data]);
    this.inFlight++;
    this.paths = [];
    this.slab = this.spareSlabs.pop() ?? Buffer.allocUnsafeSlow(SLAB);
    this.fields = new Float64Array(this.slab.buffer, OPS_AT, MAX_OPS * FIELDS);
    this.used = 0;
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
