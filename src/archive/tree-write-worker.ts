// The worker thread of tree-writer.ts: makes folders, writes small files and sets finished folders'
// metadata for an extraction, in the order the main thread sent them, with synchronous calls (the
// creating, writing and closing of 100 k files was half of a tree rollback's main thread). Each batch
// comes in one buffer (tree-write-batch.ts); the buffer goes back with the answer, to be filled again.
// After a failure every later batch is answered with the same failure and nothing more is written.
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, futimesSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { createsExactly, createsOwnedBy, type Creation } from './creation-probe.js';
import { setFolderMetaSync } from './folder-metas.js';
import { LiveReuse, type ReuseLogData, type ReuseTarget } from './live-reuse.js';
import { FIELDS, OP_FILE, OP_FOLDER_META, OP_KEPT, OPS_AT, type WriteBatch } from './tree-write-batch.js';
import { onInput } from './worker-input.js';

/** The answer to a batch: its buffer back, and the failure that stopped the writing, if any. */
export interface WriteAnswer {
  data: ArrayBuffer;
  failure?: { message: string; code?: string };
}

export interface TreeWriteWorkerInput {
  /** chown to the archive's uid/gid (only root may). */
  preserveOwners: boolean;
  /** What a new file in the staging folders comes out as, when probed (creation-probe.ts). */
  creation?: Creation;
  /** Staging folders whose files may be the live folders' unchanged ones, hard-linked (live-reuse.ts). */
  reuse?: ReuseTarget[];
}

/** Asks for the log of reused files (answered with a ReuseAnswer once every batch before it is done). */
export interface ReuseRequest {
  takeReuseLog: true;
}

export interface ReuseAnswer {
  reused: ReuseLogData;
}

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

const port = parentPort as NonNullable<typeof parentPort>;
// Set from the input (onInput: the thread may be started before a rollback knows them).
let preserveOwners = false;
let creation: Creation | undefined;
let reuse: LiveReuse | undefined;

let failure: WriteAnswer['failure'];

/** The file's fields start at `f` in `fields`. */
function writeFile(abs: string, fields: Float64Array, f: number, data: Buffer): void {
  const at = fields[f + 1];
  const length = fields[f + 2];
  const mode = fields[f + 3];
  if (reuse?.tryLink(abs, { data, at, length, mode, uid: fields[f + 4], gid: fields[f + 5], mtime: fields[f + 6] })) return;
  const exact = createsExactly(creation, mode);
  const fd = openSync(abs, CREATE_FLAGS, exact ? mode : 0o600);
  try {
    // A short write (a full disk, a signal) goes on from where it stopped.
    for (let written = 0; written < length; ) written += writeSync(fd, data, at + written, length - written);
    if (preserveOwners && !createsOwnedBy(creation, fields[f + 4], fields[f + 5])) {
      // A chown to the owner the file already has would only cost a journaled inode update.
      const owner = fstatSync(fd);
      if (owner.uid !== fields[f + 4] || owner.gid !== fields[f + 5]) fchownSync(fd, fields[f + 4], fields[f + 5]);
    }
    if (!exact) fchmodSync(fd, mode);
    futimesSync(fd, Date.now() / 1000, fields[f + 6]);
  } finally {
    closeSync(fd);
  }
}

/** Folders made here with their final mode (their own member's), until their metadata is set: path -> mode. */
const madeExactly = new Map<string, number>();

/**
 * A mode of 0: the folder and any missing above it, with 0o700. Another mode (a folder's own member,
 * its parent already made): that folder alone, remembered when this call made it, so that setting its
 * metadata skips the chmod.
 */
function makeFolder(abs: string, mode: number): void {
  if (!mode) {
    mkdirSync(abs, { recursive: true, mode: 0o700 });
    return;
  }
  try {
    mkdirSync(abs, { mode });
    madeExactly.set(abs, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; // made earlier as a parent
  }
}

function writeBatch({ count, paths, data }: WriteBatch): void {
  if (!failure) {
    const bytes = Buffer.from(data);
    const fields = new Float64Array(data, OPS_AT, count * FIELDS);
    try {
      for (let i = 0, from = 0; i < count; i++) {
        const to = paths.indexOf('\0', from);
        const abs = paths.slice(from, to);
        from = to + 1;
        const f = i * FIELDS;
        if (fields[f] === OP_FILE) writeFile(abs, fields, f, bytes);
        else if (fields[f] === OP_KEPT) {
          if (!reuse) throw new Error(`${abs}: a file to keep from the shop, but this extraction keeps none`);
          reuse.linkKept(abs, fields[f + 1], fields[f + 2], fields[f + 6]);
        } else if (fields[f] === OP_FOLDER_META) {
          const chown = preserveOwners && !createsOwnedBy(creation, fields[f + 4], fields[f + 5]);
          const madeWith = madeExactly.get(abs);
          madeExactly.delete(abs);
          const chmod = madeWith !== fields[f + 3];
          setFolderMetaSync(abs, fields[f + 3], fields[f + 4], fields[f + 5], fields[f + 6], chown, chmod);
        } else makeFolder(abs, fields[f + 3]);
      }
    } catch (error) {
      const { message, code } = error as NodeJS.ErrnoException;
      failure = { message, ...(code ? { code } : {}) };
    }
  }
  const answer: WriteAnswer = failure ? { data, failure } : { data };
  port.postMessage(answer, [data]);
}

onInput<TreeWriteWorkerInput>((input) => {
  ({ preserveOwners, creation } = input);
  // Without owners restored, a file compared with a member must have the owner a new one gets: known only when probed.
  const owner = preserveOwners ? 'as-archive' : creation && { uid: creation.uid, gid: creation.gid };
  if (input.reuse) reuse = new LiveReuse(input.reuse, owner);
  port.on('message', (message: WriteBatch | ReuseRequest) => {
    if ('takeReuseLog' in message) {
      const reused = (reuse ?? new LiveReuse([], undefined)).take();
      const answer: ReuseAnswer = { reused };
      port.postMessage(answer, [reused.paths, reused.ctimes]);
    } else writeBatch(message);
  });
});
