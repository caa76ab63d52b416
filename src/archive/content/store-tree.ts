// Storing a walked tree into a content store: every folder, symlink and file the rules cover goes into
// the listing, in walk order; a file whose size, mtime, ctime and inode are those of its entry in the
// previous listing is not read again (its blob ids are taken from there), any other is read and stored
// (file-chunks.ts). Files are stored many at a time: the listing takes each entry once its blobs are in,
// in order, from a queue of bounded length, so memory does not grow with the tree.
import type { BigIntStats } from 'node:fs';
import type { TreeCounts } from '../pack-tree.js';
import { emptyCounts } from '../pack-tree.js';
import { compressionLevelFor } from '../tree-rules.js';
import { STORE_LEVEL } from '../codec/codec.js';
import { walkTree, type WalkEntry, type WalkOptions } from '../walk.js';
import type { BlobWriter } from './blob-writer.js';
import { storeFile } from './file-chunks.js';
import type { ListingEntry, ListingWriter } from './listing.js';
import type { PreviousListing } from './previous-listing.js';

/** Entries whose blobs may be in flight before the listing waits for the first of them. */
const QUEUE = 512;

export interface StoreTreeOptions extends Omit<WalkOptions, 'onWarning' | 'fileStats'> {
  /** The previous snapshot's listing, to skip unchanged files. */
  previous?: PreviousListing;
  onProgress?: (bytes: number, rel: string) => void;
  /** Called before each file is read (tests change the tree at that moment). */
  beforeFile?: (entry: WalkEntry) => Promise<void> | void;
}

export interface StoreTreeResult {
  counts: TreeCounts;
  followed: { path: string; target: string }[];
  warnings: string[];
  /** Files taken from the previous listing without reading them, and the bytes read from the others. */
  unchanged: number;
  readBytes: number;
}

const metaOf = (rel: string, s: BigIntStats) => ({ path: rel, mode: Number(s.mode & 0o7777n), uid: Number(s.uid), gid: Number(s.gid), mtimeNs: String(s.mtimeNs) });

/** The previous entry still describes the file: same size, mtime, ctime and inode. */
function unchanged(before: ListingEntry | undefined, s: BigIntStats): before is ListingEntry & { chunks: string[]; size: number } {
  return (
    before?.type === 'file' &&
    before.chunks !== undefined &&
    before.size === Number(s.size) &&
    before.mtimeNs === String(s.mtimeNs) &&
    before.ctimeNs === String(s.ctimeNs) &&
    before.inode === String(s.ino)
  );
}

/** Walks `root` and adds every covered entry to `listing`, storing file contents through `writer`. */
export async function storeTree(root: string, writer: BlobWriter, listing: ListingWriter, options: StoreTreeOptions): Promise<StoreTreeResult> {
  const result: StoreTreeResult = { counts: emptyCounts(), followed: [], warnings: [], unchanged: 0, readBytes: 0 };
  const { counts, warnings } = result;
  /** dev:ino of files with several names -> the path the first was listed under. */
  const links = new Map<string, string>();
  const queue: Promise<ListingEntry | undefined>[] = [];
  const drain = async (keep: number) => {
    while (queue.length > keep) {
      const entry = await queue.shift();
      if (entry) listing.add(entry);
    }
  };
  const push = async (entry: ListingEntry | Promise<ListingEntry | undefined>) => {
    const queued = Promise.resolve(entry);
    queued.catch(() => undefined); // awaited by drain
    queue.push(queued);
    await drain(QUEUE);
  };

  const addFile = async (entry: WalkEntry, s: BigIntStats) => {
    const key = `${s.dev}:${s.ino}`;
    const first = s.nlink > 1n ? links.get(key) : undefined;
    if (first !== undefined) {
      counts.hardlinks++;
      return push({ ...metaOf(entry.rel, s), type: 'hardlink', target: first });
    }
    const before = await options.previous?.find(entry.rel);
    let file: Promise<ListingEntry | undefined>;
    let size: number;
    // A blob the index lost (a pack removed by hand) is not referred to again: the file is read anew.
    if (unchanged(before, s) && before.chunks.every((id) => writer.holds(id))) {
      result.unchanged++;
      size = before.size;
      file = Promise.resolve({ ...metaOf(entry.rel, s), type: 'file', size: before.size, chunks: before.chunks, inode: before.inode, ctimeNs: before.ctimeNs });
    } else {
      await options.beforeFile?.(entry);
      const stored = await storeFile(writer, entry.abs, entry.rel, compressionLevelFor(entry.rel) === STORE_LEVEL);
      if (stored.warning) warnings.push(stored.warning);
      if (!('stat' in stored)) return;
      result.readBytes += stored.size;
      const read = stored.stat;
      size = stored.size;
      file = stored.chunks.then((chunks) => ({ ...metaOf(entry.rel, read), type: 'file', size: stored.size, chunks, inode: String(read.ino), ctimeNs: String(read.ctimeNs) }));
    }
    if (s.nlink > 1n) links.set(key, entry.rel);
    counts.files++;
    counts.bytes += size;
    options.onProgress?.(counts.bytes, entry.rel);
    return push(file);
  };

  const walkOptions: WalkOptions = { ...options, fileStats: true, onWarning: (message) => warnings.push(message) };
  await walkTree(root, walkOptions, async (entry) => {
    const s = entry.stats as BigIntStats; // every entry is lstat'ed (fileStats: true)
    if (entry.kind === 'dir') {
      counts.dirs++;
      if (entry.followedTarget !== undefined) result.followed.push({ path: entry.rel, target: entry.followedTarget });
      await push({ ...metaOf(entry.rel, s), type: 'dir', ...(entry.followedTarget !== undefined ? { followed: entry.followedTarget } : {}) });
    } else if (entry.kind === 'symlink') {
      counts.symlinks++;
      await push({ ...metaOf(entry.rel, s), type: 'symlink', target: entry.linkTarget ?? '' });
    } else {
      await addFile(entry, s);
    }
  });
  await drain(0);
  return result;
}
