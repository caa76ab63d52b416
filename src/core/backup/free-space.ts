// Failing early instead of filling the disk: before a backup starts, its size is estimated from the
// tree (already-compressed media count in full, text at half) and the database's data size, and
// compared with the free space where it will be written. Rollback checks the space its staging needs.
import { humanBytes } from '../../shared/units.js';
import { statfs } from 'node:fs/promises';
import { compressionLevelFor } from '../../archive/tree-rules.js';
import { walkTree, type WalkOptions } from '../../archive/walk.js';
import { OperationError } from '../../shared/errors.js';

export interface TreeEstimate {
  /** Bytes of file data. */
  bytes: number;
  /** Of which already compressed (stored as they are). */
  storedBytes: number;
  entries: number;
}

/** Walks the tree as a backup would, counting only. */
export async function estimateTree(root: string, options: Omit<WalkOptions, 'onWarning'>): Promise<TreeEstimate> {
  const estimate: TreeEstimate = { bytes: 0, storedBytes: 0, entries: 0 };
  await walkTree(root, { ...options, onWarning: () => undefined }, async (entry) => {
    estimate.entries++;
    if (entry.kind !== 'file') return;
    const size = Number(entry.stats?.size ?? 0n); // files are lstat'ed: fileStats is not turned off here
    estimate.bytes += size;
    if (compressionLevelFor(entry.rel) === 0) estimate.storedBytes += size;
  });
  return estimate;
}



export async function freeBytes(dir: string): Promise<number> {
  const info = await statfs(dir);
  return Number(info.bavail) * Number(info.bsize);
}

/** Throws a one-line error when `dir` has less than `needed` bytes free. */
export async function requireFreeSpace(dir: string, needed: number, what: string, advice: string): Promise<void> {
  const free = await freeBytes(dir);
  if (free < needed) {
    throw new OperationError(`not enough free space in ${dir}: ${what} needs about ${humanBytes(needed)}, ${humanBytes(free)} is free; ${advice}`);
  }
}
