// Comparing a restored tree with the listing its incremental backup recorded (archive/content/listing.ts),
// entry by entry in the listing's order: its type, a file's size and content (each piece of the restored
// file hashed with sha256, the way the listing names its pieces), its mode and mtime, a symlink's target,
// a hard link's being the same file as its first name; every entry the listing has must be there, and
// every entry there must be in the listing. The listing is streamed, and walked beside the restored tree
// by tree-order-compare.ts (its memory is that of the deepest path's folders, not of the tree).
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readlinkSync, readSync, statSync, utimesSync, type BigIntStats } from 'node:fs';
import path from 'node:path';
import type { ListingEntry } from '../../archive/content/listing.js';
import { utimesSeconds } from '../../archive/extract.js';
import type { FileDifference } from './file-difference.js';
import { compareInTreeOrder, openUpForReading, type TreeComparison } from './tree-order-compare.js';

const READ_BUFFER = 1 << 20;

export interface ListingCompareOptions {
  /** The plain size of a piece (blob) of a file, from the store's index; undefined when the store lacks it. */
  pieceSize: (id: string) => number | undefined;
  /** The embedded dump's path: it is the listing's last entry, after the folder holding it was left. */
  dumpPath?: string;
  signal?: AbortSignal;
}

/**
 * The entries under `root` that differ from the listing `entries` (in path order), and how many files
 * (and hard links) were compared.
 */
export async function compareWithListing(root: string, entries: AsyncIterable<ListingEntry>, options: ListingCompareOptions): Promise<TreeComparison> {
  const buffer = Buffer.allocUnsafe(READ_BUFFER);
  const tolerance = mtimeToleranceNs(path.dirname(root));
  return compareInTreeOrder(root, entries, (entry, found, abs) => compareEntry(entry, found, abs, buffer, tolerance, options.pieceSize), options);
}

const octal = (mode: number) => `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;

/** What differs between the listing's `entry` and what was restored at its path (`found`, of the same type), or undefined. */
function compareEntry(entry: ListingEntry, found: BigIntStats, abs: (rel: string) => string, buffer: Buffer, tolerance: bigint, pieceSize: ListingCompareOptions['pieceSize']): FileDifference | undefined {
  const rel = entry.path;
  if (entry.type === 'hardlink') {
    const first = lstatSync(abs(entry.target ?? ''), { bigint: true, throwIfNoEntry: false });
    return first?.ino === found.ino ? undefined : { path: rel, problem: 'link', recorded: entry.target };
  }
  if (entry.type === 'file') {
    const size = entry.size ?? 0;
    if (Number(found.size) !== size) return { path: rel, problem: 'size', recordedSize: size, restoredSize: Number(found.size) };
    openUpForReading(abs(rel), found);
    if (!sameContent(abs(rel), entry.chunks ?? [], buffer, pieceSize)) return { path: rel, problem: 'content', recordedSize: size, restoredSize: size, hash: 'sha256' };
  }
  if (entry.type === 'symlink') {
    const target = readlinkSync(abs(rel));
    if (target !== entry.target) return { path: rel, problem: 'target', recorded: entry.target, restored: target };
  } else if (Number(found.mode & 0o7777n) !== entry.mode) {
    // A symlink's own mode is not kept by Linux: only files' and folders' are compared.
    return { path: rel, problem: 'mode', recorded: octal(entry.mode), restored: octal(Number(found.mode)) };
  }
  const recordedMtime = BigInt(entry.mtimeNs);
  const off = found.mtimeNs > recordedMtime ? found.mtimeNs - recordedMtime : recordedMtime - found.mtimeNs;
  if (off > tolerance) return { path: rel, problem: 'mtime', recorded: entry.mtimeNs, restored: String(found.mtimeNs) };
  return undefined;
}

/** Whether the file at `file` is, piece after piece, the blobs `chunks` (each one's sha256 its id). */
function sameContent(file: string, chunks: readonly string[], buffer: Buffer, pieceSize: ListingCompareOptions['pieceSize']): boolean {
  const fd = openSync(file, 'r');
  try {
    let position = 0;
    for (const id of chunks) {
      const size = pieceSize(id);
      if (size === undefined) return false;
      const hash = createHash('sha256');
      for (let left = size; left > 0; ) {
        const got = readSync(fd, buffer, 0, Math.min(left, buffer.length), position);
        if (got === 0) return false;
        hash.update(buffer.subarray(0, got));
        position += got;
        left -= got;
      }
      if (hash.digest('hex') !== id) return false;
    }
    return readSync(fd, buffer, 0, 1, position) === 0;
  } finally {
    closeSync(fd);
  }
}

/**
 * How far a restored mtime may be from the recorded one where the tree was restored: what the file
 * system loses of a time it is given (probed on `dir`: nothing below a microsecond on ext4, xfs or
 * tmpfs, up to 2 s elsewhere), plus the 0.12 µs utimes() may move it (extract.ts, utimesSeconds).
 */
function mtimeToleranceNs(dir: string): bigint {
  const given = 1_700_000_000_999_999_999n;
  const before = statSync(dir, { bigint: true });
  utimesSync(dir, utimesSeconds(before.atimeNs), utimesSeconds(given));
  const kept = statSync(dir, { bigint: true }).mtimeNs;
  return (given > kept ? given - kept : kept - given) + 1000n;
}
