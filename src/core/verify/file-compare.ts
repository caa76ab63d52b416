// Comparing a restored tree with the file index its backup recorded (archive/file-index.ts): every entry
// the index names must be there, of its type, a file (or hard link) of its size and with its CRC-32;
// every entry there must be in the index. The index is read as it is compared, and walked beside the
// restored tree in archive order by tree-order-compare.ts, so a tree of a million files costs the memory
// of its deepest folders, not of its entries.
import type { BigIntStats } from 'node:fs';
import { crc32OfFileSync, type FileIndexEntry } from '../../archive/file-index.js';
import type { FileDifference } from './file-difference.js';
import { compareInTreeOrder, openUpForReading, type TreeComparison, type TreeOrderOptions } from './tree-order-compare.js';

const READ_BUFFER = 1 << 20;

/** The entries under `root` that differ from the index's, in path order, and how many files (and hard links) were compared. */
export async function compareWithIndex(root: string, entries: AsyncIterable<FileIndexEntry>, options: TreeOrderOptions): Promise<TreeComparison> {
  const buffer = Buffer.allocUnsafe(READ_BUFFER);
  return compareInTreeOrder(root, entries, (entry, found, abs) => compareFile(entry, found, abs(entry.path), buffer), options);
}

/** A file's (or hard link's) size and CRC-32 against the index's; folders and symlinks match by type alone. */
function compareFile(entry: FileIndexEntry, found: BigIntStats, file: string, buffer: Buffer): FileDifference | undefined {
  if (entry.crc32 === undefined || !found.isFile()) return undefined;
  openUpForReading(file, found);
  const restored = crc32OfFileSync(file, buffer);
  if (restored.size !== entry.size) return { path: entry.path, problem: 'size', recordedSize: entry.size, restoredSize: restored.size };
  if (restored.crc32 !== entry.crc32) return { path: entry.path, problem: 'content', recordedSize: entry.size, restoredSize: restored.size };
  return undefined;
}
