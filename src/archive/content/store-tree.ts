// Storing a walked tree into a content store: every folder, symlink and file the rules cover goes into
// the listing, in walk order; a file whose size, mtime, ctime and inode are those of its entry in the
// previous listing is not read again (its blob ids are taken from there), any other is read and stored
// (file-chunks.ts). Files are stored many at a time: the listing takes each entry once its blobs are in,
// in order, from a queue of bounded length, so memory does not grow with the tree.
//
// The walk runs on a worker thread (walk-lines-reader.ts), which hands over each entry's listing line
// or, for a file, the pieces of it: an unchanged file's new line is its previous line, byte for byte
// (same path, mode, owner, mtime, size, inode and ctime; its chunks from there), so that line is checked
// against the pieces and taken as it is, neither parsed nor written anew.
import type { TreeCounts } from '../pack-tree.js';
import { emptyCounts } from '../pack-tree.js';
import { compressionLevelFor } from '../tree-rules.js';
import { STORE_LEVEL } from '../codec/codec.js';
import { TimeSlice } from '../time-slice.js';
import { childPath, type WalkEntry, type WalkOptions } from '../walk.js';
import { walkLinesBatches } from '../walk-lines-reader.js';
import type { BlobWriter } from './blob-writer.js';
import { storeFile } from './file-chunks.js';
import type { ListingWriter } from './listing.js';
import type { PreviousListing } from './previous-listing.js';
import { FIELD_SEPARATOR, FILE_CHUNKS, FILE_SIZE, listingMeta, WALK_DIR, WALK_FILE, WALK_FOLLOWED, WALK_SYMLINK, WALK_WARNING } from './walk-lines.js';

/** Entries whose blobs may be in flight before the listing waits for the first of them. */
const QUEUE = 512;

export interface StoreTreeOptions extends Omit<WalkOptions, 'onWarning' | 'fileStats'> {
  /** The previous snapshot's listing, to skip unchanged files. */
  previous?: PreviousListing;
  onProgress?: (bytes: number, rel: string) => void;
  /** Called before each file is read (tests change the tree at that moment); the walk then runs on this thread. */
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

/** A listing line and the path of its entry. */
interface Line {
  path: string;
  line: string;
}

const ID_LENGTH = 64;
const QUOTE = 0x22;
const COMMA = 0x2c;

/**
 * `previous` when it is the line of the file whose line starts with `meta` FILE_SIZE `size` and ends
 * with `tail` (its inode and ctime), with chunks the store holds: the file is unchanged, and that is its
 * new line. A blob the index lost (a pack removed by hand) is not referred to again: the file is read anew.
 */
function unchangedLine(previous: string, meta: string, size: string, tail: string, writer: BlobWriter): string | undefined {
  let at = meta.length + FILE_SIZE.length;
  if (!previous.startsWith(meta) || !previous.startsWith(FILE_SIZE, meta.length) || !previous.startsWith(size, at)) return undefined;
  at += size.length;
  if (!previous.startsWith(FILE_CHUNKS, at)) return undefined;
  at += FILE_CHUNKS.length;
  // ["<id>","<id>",...] up to the tail, each id one the store holds.
  const close = previous.length - tail.length - 1;
  if (close < at || !previous.endsWith(tail) || previous.charCodeAt(at) !== 0x5b || previous.charCodeAt(close) !== 0x5d) return undefined;
  for (at++; at < close; at++) {
    const end = at + ID_LENGTH + 1; // the id's closing quote
    if (end >= close || previous.charCodeAt(at) !== QUOTE || previous.charCodeAt(end) !== QUOTE) return undefined;
    if (!writer.holds(previous.slice(at + 1, end))) return undefined;
    at = end + 1;
    if (at === close) break;
    if (previous.charCodeAt(at) !== COMMA || at + 1 === close) return undefined;
  }
  return previous;
}

/** Walks `root` and adds every covered entry to `listing`, storing file contents through `writer`. */
export async function storeTree(root: string, writer: BlobWriter, listing: ListingWriter, options: StoreTreeOptions): Promise<StoreTreeResult> {
  const result: StoreTreeResult = { counts: emptyCounts(), followed: [], warnings: [], unchanged: 0, readBytes: 0 };
  const { counts, warnings } = result;
  /** dev:ino of files with several names -> the path the first was listed under. */
  const links = new Map<string, string>();
  /** Entries waiting for an earlier file's blobs; empty most of the time, when lines go straight to the listing. */
  const queue: (Line | Promise<Line | undefined>)[] = [];
  const drain = async (keep: number) => {
    while (queue.length > keep) {
      const head = queue.shift() as Line | Promise<Line | undefined>;
      const entry = head instanceof Promise ? await head : head;
      if (entry) listing.addLine(entry.path, entry.line);
    }
  };
  const push = async (path: string, line: string) => {
    if (queue.length === 0) return listing.addLine(path, line);
    queue.push({ path, line });
    if (queue.length > QUEUE) await drain(QUEUE);
  };
  const pushRead = async (entry: Promise<Line | undefined>) => {
    entry.catch(() => undefined); // awaited by drain
    queue.push(entry);
    await drain(QUEUE);
  };

  /** Stores the file at `rel` (read, or its previous line taken); `linkKey` is its dev:ino when it has several names. */
  const addFile = async (rel: string, meta: string, size: string, tail: string, linkKey: string) => {
    const first = linkKey ? links.get(linkKey) : undefined;
    if (first !== undefined) {
      counts.hardlinks++;
      return push(rel, `${meta},"type":"hardlink","target":${JSON.stringify(first)}}`);
    }
    const before = options.previous ? await options.previous.find(rel) : undefined;
    const same = before && unchangedLine(before.line, meta, size, tail, writer);
    if (same) {
      result.unchanged++;
      counts.bytes += Number(size);
      await push(rel, same);
    } else {
      const abs = childPath(root, rel);
      await options.beforeFile?.({ rel, abs, kind: 'file' });
      const stored = await storeFile(writer, abs, rel, compressionLevelFor(rel) === STORE_LEVEL);
      if (stored.warning) warnings.push(stored.warning);
      if (!('stat' in stored)) return;
      result.readBytes += stored.size;
      counts.bytes += stored.size;
      const read = stored.stat;
      const line = (chunks: string[]) => JSON.stringify({ ...listingMeta(rel, read), type: 'file', size: stored.size, chunks, inode: String(read.ino), ctimeNs: String(read.ctimeNs) });
      await pushRead(stored.chunks.then((chunks) => ({ path: rel, line: line(chunks) })));
      options.onProgress?.(counts.bytes, rel);
    }
    if (linkKey) links.set(linkKey, rel);
    counts.files++;
  };

  const slice = new TimeSlice();
  const onThisThread = options.beforeFile ? 'record by record' : options.previous ? undefined : 'batched';
  const batches = walkLinesBatches(root, { ...options, ...(onThisThread ? { onThisThread } : {}) });
  for await (const batch of batches) {
    const f = batch.split(FIELD_SEPARATOR);
    let last = '';
    for (let i = 0; i < f.length; ) {
      options.signal?.throwIfAborted();
      const kind = f[i];
      if (kind !== WALK_WARNING) last = f[i + 1];
      if (kind === WALK_FILE) {
        await addFile(f[i + 1], f[i + 2], f[i + 3], f[i + 4], f[i + 5]);
        i += 6;
      } else if (kind === WALK_DIR || kind === WALK_SYMLINK) {
        if (kind === WALK_DIR) counts.dirs++;
        else counts.symlinks++;
        await push(f[i + 1], f[i + 2]);
        i += 3;
      } else if (kind === WALK_FOLLOWED) {
        counts.dirs++;
        result.followed.push({ path: f[i + 1], target: f[i + 3] });
        await push(f[i + 1], f[i + 2]);
        i += 4;
      } else if (kind === WALK_WARNING) {
        warnings.push(f[i + 1]);
        i += 2;
      } else {
        throw new Error(`the walk's batch holds an unknown record ${JSON.stringify(kind)}`);
      }
    }
    options.onProgress?.(counts.bytes, last);
    await slice.pause();
  }
  await drain(0);
  return result;
}
