// The walk of an incremental backup as compact batches: a worker thread walks the tree (readdir and
// lstat of every entry, most of a second backup's work) while the main thread compares the files with
// the previous listing and writes the new one. What the main thread needs of an entry is little, and
// is formatted here, where the walk runs: a folder's or symlink's listing line whole, a file's line in
// the pieces an unchanged file's previous line is checked against. A batch is one string, its fields
// separated by NUL (which no path, JSON text or symlink target holds): a batch of BigIntStats posted
// to the main thread left it more garbage to collect than its lstat calls had cost.
import type { BigIntStats } from 'node:fs';
import { walkTree, type WalkOptions } from '../walk.js';

/** Fields of a batch: a record kind, then that kind's fields. */
export const WALK_DIR = 'd'; // rel, line
export const WALK_FOLLOWED = 'D'; // rel, line, target: a followed symlinked media root
export const WALK_SYMLINK = 's'; // rel, line
export const WALK_FILE = 'f'; // rel, meta, size, tail, link key ('' unless the file has several names)
export const WALK_WARNING = 'w'; // message

export const FIELD_SEPARATOR = '\0';

/** A listing entry's first fields, as ListingWriter's JSON.stringify orders them. */
export const listingMeta = (rel: string, s: BigIntStats) => ({ path: rel, mode: Number(s.mode & 0o7777n), uid: Number(s.uid), gid: Number(s.gid), mtimeNs: String(s.mtimeNs) });

/** `{"path":...,"mtimeNs":"..."` without the closing brace: the start of every line of the entry. */
const metaText = (rel: string, s: BigIntStats) => JSON.stringify(listingMeta(rel, s)).slice(0, -1);

/**
 * A file's line is `meta` FILE_SIZE size FILE_CHUNKS [ids] tail, the tail holding its inode and ctime:
 * JSON.stringify of { ...meta, type, size, chunks, inode, ctimeNs }.
 */
export const FILE_SIZE = ',"type":"file","size":';
export const FILE_CHUNKS = ',"chunks":';
const fileTail = (s: BigIntStats) => `,"inode":"${s.ino}","ctimeNs":"${s.ctimeNs}"}`;

export interface WalkLinesOptions extends Omit<WalkOptions, 'onWarning' | 'fileStats'> {
  /** Records a batch holds at most. */
  batchRecords: number;
}

/** Walks `root` and hands its entries over as batches (see above), in walk order; `emit` may wait. */
export async function walkLines(root: string, options: WalkLinesOptions, emit: (batch: string) => Promise<void>): Promise<void> {
  let fields: string[] = [];
  let records = 0;
  const flush = async () => {
    if (records === 0) return;
    const batch = fields.join(FIELD_SEPARATOR);
    fields = [];
    records = 0;
    await emit(batch);
  };
  const added = async () => {
    if (++records >= options.batchRecords) await flush();
  };
  const onWarning = (message: string) => {
    fields.push(WALK_WARNING, message);
    records++; // flushed with the next entry's record
  };
  await walkTree(root, { ...options, fileStats: true, onWarning }, async (entry) => {
    const s = entry.stats as BigIntStats; // every entry is lstat'ed (fileStats: true)
    const meta = metaText(entry.rel, s);
    if (entry.kind === 'file') {
      fields.push(WALK_FILE, entry.rel, meta, String(s.size), fileTail(s), s.nlink > 1n ? `${s.dev}:${s.ino}` : '');
    } else if (entry.kind === 'symlink') {
      fields.push(WALK_SYMLINK, entry.rel, `${meta},"type":"symlink","target":${JSON.stringify(entry.linkTarget ?? '')}}`);
    } else if (entry.followedTarget !== undefined) {
      fields.push(WALK_FOLLOWED, entry.rel, `${meta},"type":"dir","followed":${JSON.stringify(entry.followedTarget)}}`, entry.followedTarget);
    } else {
      fields.push(WALK_DIR, entry.rel, `${meta},"type":"dir"}`);
    }
    await added();
  });
  await flush();
}
