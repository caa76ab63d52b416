// Walking a restored tree beside what its backup recorded (an incremental backup's listing, a file
// archive's index), both in the backup's walk order: each folder, then its contents, names sorted, so
// every entry the record has must be there and every entry there must be in the record. The record is
// streamed; the only names held are those of the folders the record is inside at the moment (read with
// readdir when the record enters them), so the memory is that of the deepest path's folders, not of the
// tree. What "the same" means for one entry is the caller's (sizes and CRC-32 for an index; sha256 of
// each piece, modes, times and link targets for a listing).
import { chmodSync, lstatSync, readdirSync, type BigIntStats } from 'node:fs';
import path from 'node:path';
import type { FileDifference } from './file-difference.js';

const YIELD_EVERY = 256;
/**
 * Differences kept to be named; beyond, only counted. A tree restored without a big folder would
 * otherwise hold (and print) an entry for each of the folder's million files.
 */
export const KEPT_DIFFERENCES = 1000;

export interface TreeComparison {
  /** Files (and hard links) compared. */
  compared: number;
  /** The first KEPT_DIFFERENCES entries that differ, in path order. */
  differing: FileDifference[];
  /** How many more entries differ than `differing` names. */
  moreDiffering: number;
}

/** What both records say of an entry. */
export interface RecordedEntry {
  path: string;
  type: 'file' | 'hardlink' | 'dir' | 'symlink';
  size?: number;
}

export interface TreeOrderOptions {
  /**
   * The embedded dump's path: it has no place in the walk's order (a file archive holds it first, a
   * listing last), so it is compared where it comes, and neither it nor the folders above it are extra.
   */
  dumpPath?: string;
  signal?: AbortSignal;
}

/** Compares one recorded entry with what was restored at its path; undefined when they are the same. */
export type EntryCompare<E extends RecordedEntry> = (entry: E, found: BigIntStats, abs: (rel: string) => string) => FileDifference | undefined;

/** A folder the record is inside, and the names in it the record has not named yet. */
interface OpenFolder {
  rel: string;
  unnamed: Set<string>;
}

const inside = (rel: string, folder: string) => folder === '' || rel.startsWith(folder + '/');
const parentOf = (rel: string) => rel.slice(0, Math.max(rel.lastIndexOf('/'), 0));

export type TypeName = RecordedEntry['type'] | 'other';

export function typeOf(s: BigIntStats): TypeName {
  return s.isFile() ? 'file' : s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : 'other';
}

/**
 * The entries under `root` that differ from the record `entries`, in path order (the first
 * KEPT_DIFFERENCES, and how many more), and how many files (and hard links) were compared. A type that
 * differs is found here; everything else by `compare`.
 */
export async function compareInTreeOrder<E extends RecordedEntry>(root: string, entries: AsyncIterable<E>, compare: EntryCompare<E>, options: TreeOrderOptions): Promise<TreeComparison> {
  const differing: FileDifference[] = [];
  let moreDiffering = 0;
  const differs = (difference: FileDifference) => (differing.length < KEPT_DIFFERENCES ? differing.push(difference) : moreDiffering++);
  const abs = (rel: string) => (rel === '' ? root : `${root}${path.sep}${rel}`);
  const dump = options.dumpPath;
  const aboveDump = (rel: string) => dump !== undefined && (rel === dump || dump.startsWith(rel + '/'));
  const open: OpenFolder[] = [];
  const enter = (rel: string, found?: BigIntStats) => {
    if (found) openUpForReading(abs(rel), found);
    open.push({ rel, unnamed: new Set(readdirSync(abs(rel))) });
  };
  const leave = () => {
    const folder = open.pop()!;
    for (const name of folder.unnamed) {
      const rel = folder.rel === '' ? name : `${folder.rel}/${name}`;
      if (!aboveDump(rel)) differs(extra(rel, lstatSync(abs(rel), { bigint: true })));
    }
  };
  /**
   * Enters the folders between the innermost open one and `parent` that the record does not list itself
   * (a media backup's `pub` above `pub/media`): restoring the entries made them.
   */
  const descendTo = (parent: string) => {
    for (let top = open.at(-1)!; top.rel !== parent && inside(parent, top.rel); top = open.at(-1)!) {
      const name = parent.slice(top.rel === '' ? 0 : top.rel.length + 1).split('/')[0];
      const rel = top.rel === '' ? name : `${top.rel}/${name}`;
      const found = top.unnamed.delete(name) ? lstatSync(abs(rel), { bigint: true }) : undefined;
      if (!found?.isDirectory()) return;
      enter(rel, found);
    }
  };
  enter('');
  let compared = 0;
  let seen = 0;
  for await (const entry of entries) {
    // The reads are synchronous: let a cancellation (and progress) through now and then.
    if (++seen % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    options.signal?.throwIfAborted();
    const parent = parentOf(entry.path);
    const placed = entry.path !== dump;
    if (placed) {
      // Left behind: the folders the entry is not in (a folder's whole contents come right after it).
      while (open.length > 1 && open.at(-1)!.rel !== parent && !inside(parent, open.at(-1)!.rel)) leave();
      descendTo(parent);
      const folder = open.at(-1)!;
      if (folder.rel === parent) folder.unnamed.delete(entry.path.slice(parent === '' ? 0 : parent.length + 1));
    }
    let found: BigIntStats | undefined;
    try {
      found = lstatSync(abs(entry.path), { bigint: true });
    } catch (error) {
      // Not there, or a folder above it restored as something else (which is named too).
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
    }
    if (found && (entry.type === 'file' || entry.type === 'hardlink')) compared++;
    const difference = found ? sameType(entry, found) ?? compare(entry, found, abs) : { path: entry.path, problem: 'missing' as const, recordedSize: entry.size };
    if (difference) differs(entry.type === 'file' ? difference : { ...difference, entry: entry.type });
    if (placed && entry.type === 'dir' && found?.isDirectory() && open.at(-1)!.rel === parent) enter(entry.path, found);
  }
  while (open.length > 0) leave();
  differing.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { compared, differing, moreDiffering };
}

/** A type difference (a hard link must be restored as a file), or undefined. */
function sameType(entry: RecordedEntry, found: BigIntStats): FileDifference | undefined {
  const expected = entry.type === 'hardlink' ? 'file' : entry.type;
  const restored = typeOf(found);
  return restored === expected ? undefined : { path: entry.path, problem: 'type', recorded: entry.type, restored };
}

function extra(rel: string, s: BigIntStats): FileDifference {
  return { path: rel, problem: 'extra', restored: typeOf(s), ...(s.isFile() ? { restoredSize: Number(s.size) } : {}) };
}

/**
 * Lets the drill read an entry of its own scratch copy that was restored, as the shop had it, without its
 * owner's read permission (a folder also without search permission): as anyone but root the read would
 * fail and stop the drill. The entry's mode was compared already, from `found`, taken before.
 */
export function openUpForReading(file: string, found: BigIntStats): void {
  const needed = found.isDirectory() ? 0o500n : 0o400n;
  const uid = process.getuid?.();
  if ((found.mode & needed) === needed || uid === undefined || uid === 0 || found.uid !== BigInt(uid)) return;
  chmodSync(file, Number((found.mode | needed) & 0o7777n));
}
