// The layout of a batch of the extraction's writing thread (tree-writer.ts, tree-write-worker.ts),
// packed so that it crosses threads as a few flat copies instead of an object per operation: the
// structured clone of those objects was a tenth of a tree rollback's main thread.

/** A batch is sent once its files hold this many bytes, or it holds MAX_OPS operations. */
export const BATCH_BYTES = 1 << 20;
export const MAX_OPS = 256;
/** Files up to this size go through the worker; the batch buffer has room for one more of them. */
export const SMALL_FILE = 1 << 20;
/** Where the operations' numbers start in a batch's buffer, after room for its files' bytes. */
export const OPS_AT = BATCH_BYTES + SMALL_FILE;
/** Numbers per operation: kind, at, length, mode, uid, gid, mtime (seconds, for utimes); a folder's at and length are 0. */
export const FIELDS = 7;
export const SLAB = OPS_AT + MAX_OPS * FIELDS * Float64Array.BYTES_PER_ELEMENT;
export const OP_MKDIR = 0;
export const OP_FILE = 1;
/** A finished folder's mode, owner and mtime. */
export const OP_FOLDER_META = 2;
/** A live file kept as it is (live-reuse.ts): its inode in `at`, its size in `length`, its mtime. */
export const OP_KEPT = 3;

/**
 * `data` (SLAB bytes) holds the files' bytes from 0 and FIELDS numbers per operation from OPS_AT (a
 * file's `at` and `length` point into the bytes; a folder's are 0); `paths` holds the operations'
 * absolute paths in order, each followed by a NUL.
 */
export interface WriteBatch {
  count: number;
  paths: string;
  data: ArrayBuffer;
}
