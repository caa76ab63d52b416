// Failing early instead of filling the disk: before a backup starts, its size is estimated from the
// tree (archive/tree-estimate.ts; already-compressed media count in full, text at half) and the
// database's data size, and compared with the free space where it will be written. Rollback checks the
// space its staging needs.
import { humanBytes } from '../../shared/units.js';
import { statfs } from 'node:fs/promises';
import { OperationError } from '../../shared/errors.js';

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
