// The worker thread of tree-writer.ts: makes folders and writes small files for an extraction, in the
// order the main thread sent them, with synchronous calls (the creating, writing and closing of 100 k
// files was half of a tree rollback's main thread). Each batch comes with one buffer holding its files'
// bytes; the buffer goes back with the answer, to be filled again. After a failure every later batch is
// answered with the same failure and nothing more is written.
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, futimesSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

export type WriteOp =
  | { op: 'mkdir'; abs: string }
  /** A file of `length` bytes at `at` in the batch's buffer; `mtime` in seconds for utimes. */
  | { op: 'file'; abs: string; mode: number; uid: number; gid: number; mtime: number; at: number; length: number };

export interface WriteBatch {
  ops: WriteOp[];
  data: ArrayBuffer;
}

/** The answer to a batch: its buffer back, and the failure that stopped the writing, if any. */
export interface WriteAnswer {
  data: ArrayBuffer;
  failure?: { message: string; code?: string };
}

export interface TreeWriteWorkerInput {
  /** chown to the archive's uid/gid (only root may). */
  preserveOwners: boolean;
}

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

const port = parentPort;
if (!port) throw new Error('tree-write-worker.js runs as a worker thread');
const { preserveOwners } = workerData as TreeWriteWorkerInput;

let failure: WriteAnswer['failure'];

function writeFile(op: Extract<WriteOp, { op: 'file' }>, data: Buffer): void {
  const fd = openSync(op.abs, CREATE_FLAGS, 0o600);
  try {
    // A short write (a full disk, a signal) goes on from where it stopped.
    for (let written = 0; written < op.length; ) written += writeSync(fd, data, op.at + written, op.length - written);
    if (preserveOwners) {
      // A chown to the owner the file already has would only cost a journaled inode update.
      const owner = fstatSync(fd);
      if (owner.uid !== op.uid || owner.gid !== op.gid) fchownSync(fd, op.uid, op.gid);
    }
    fchmodSync(fd, op.mode);
    futimesSync(fd, Date.now() / 1000, op.mtime);
  } finally {
    closeSync(fd);
  }
}

port.on('message', ({ ops, data }: WriteBatch) => {
  if (!failure) {
    const bytes = Buffer.from(data);
    try {
      for (const op of ops) {
        if (op.op === 'file') writeFile(op, bytes);
        else mkdirSync(op.abs, { recursive: true, mode: 0o700 });
      }
    } catch (error) {
      const { message, code } = error as NodeJS.ErrnoException;
      failure = { message, ...(code ? { code } : {}) };
    }
  }
  const answer: WriteAnswer = failure ? { data, failure } : { data };
  port.postMessage(answer, [data]);
});
