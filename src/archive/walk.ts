// Walking a shop tree for an archive: every folder, file and symlink the rules cover, folders before
// their contents, names in a stable order. Symlinks are reported as symlinks, except a symlinked media
// root (`pub/media` -> /mnt/media), which is followed so that the media are in the backup. Folders
// that are the backup folder or Lifeboat's home (recognised by device and inode, wherever they are)
// are left out. Problems with single entries become warnings; the walk goes on. Folders are listed and
// lstat'ed with synchronous calls, in time slices (see time-slice.ts): several times faster than a
// promise per entry. Files need no lstat when the caller opens them anyway (`fileStats: false`): the
// listing tells their type, and a third of the walk's time was those calls.
import { lstatSync, readdirSync, readlinkSync, type BigIntStats, type Dirent } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { decodeName } from './tar-header.js';
import { TimeSlice } from './time-slice.js';
import { MEDIA_ROOTS, type TreeRules } from './tree-rules.js';

export type WalkKind = 'file' | 'dir' | 'symlink';

export interface WalkEntry {
  /** Path relative to the root, '/'-separated. */
  rel: string;
  /** Absolute path to open (through a followed media symlink when inside one). */
  abs: string;
  /** The lstat of the entry; absent for a file when the walk was asked for no file stats. */
  stats?: BigIntStats;
  kind: WalkKind;
  /** Symlink target, verbatim. */
  linkTarget?: string;
  /** Set on a symlinked media root that was followed: where the symlink pointed. */
  followedTarget?: string;
}

export interface FileIdentity {
  dev: bigint;
  ino: bigint;
}

export interface WalkOptions {
  rules: TreeRules;
  /** Folders to leave out wherever they are met (the backup folder, Lifeboat's home). */
  skip?: FileIdentity[];
  /** Follow a symlinked `pub/media` or `media` (default true). */
  followMediaRoots?: boolean;
  /** lstat every file (default true); false when the caller opens the files and stats them itself. */
  fileStats?: boolean;
  onWarning: (message: string) => void;
  signal?: AbortSignal;
}

const errorText = (error: unknown) => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

/** The identity of a path (following symlinks), or undefined when it does not exist. */
export async function identityOf(file: string): Promise<FileIdentity | undefined> {
  const info = await stat(file, { bigint: true }).catch(() => undefined);
  return info ? { dev: info.dev, ino: info.ino } : undefined;
}

/** A listed entry: its lstat, or the failure to take it, or 'file' for a file that was not lstat'ed. */
type Listed = { name: string; rel: string; stats: BigIntStats | Error | 'file' };

interface Listing {
  entries: Listed[];
  warnings: string[];
}

/** `dir/name` for a name read from `dir` (path.join's normalising is measurable per entry, and not needed). */
export const childPath = (dir: string, name: string) => (dir.endsWith('/') ? dir + name : `${dir}/${name}`);

/** A folder's covered entries, sorted, each lstat'ed (files only when `fileStats`). */
function listFolder(relDir: string, absDir: string, rules: TreeRules, fileStats: boolean): Listing {
  const listing: Listing = { entries: [], warnings: [] };
  let dirents: Dirent[];
  let names: Buffer[];
  try {
    // Names as strings are much cheaper than one Buffer each; a name that is not valid UTF-8 shows as
    // U+FFFD, and only then is the folder read again as bytes, to tell which names are broken.
    dirents = readdirSync(absDir, { withFileTypes: true });
    names = dirents.some((d) => d.name.includes('\uFFFD')) ? readdirSync(absDir, { encoding: 'buffer' }) : [];
  } catch (error) {
    listing.warnings.push(`could not read folder ${relDir || '.'} (${errorText(error)}); its contents are not in the backup`);
    return listing;
  }
  const isFile = new Set<string>();
  let decoded: string[];
  if (names.length === 0) {
    decoded = dirents.map((d) => d.name);
    if (!fileStats) for (const d of dirents) if (d.isFile()) isFile.add(d.name);
  } else {
    decoded = [];
    for (const raw of names) {
      try {
        decoded.push(decodeName(raw, 'name'));
      } catch {
        listing.warnings.push(`${path.posix.join(relDir, raw.toString('latin1'))}: the name is not valid UTF-8; left out of the backup`);
      }
    }
  }
  decoded.sort();
  const covered = decoded.map((name) => ({ name, rel: relDir ? `${relDir}/${name}` : name })).filter(({ rel }) => !rules.leavesOut(rel) || rules.isScopeAncestor(rel));
  for (const entry of covered) {
    let stats: Listed['stats'] = 'file';
    if (!isFile.has(entry.name)) {
      try {
        stats = lstatSync(childPath(absDir, entry.name), { bigint: true });
      } catch (error) {
        stats = error as Error;
      }
    }
    listing.entries.push({ ...entry, stats });
  }
  return listing;
}

function readlinkOrUndefined(abs: string): string | undefined {
  try {
    return readlinkSync(abs);
  } catch {
    return undefined;
  }
}

/** Calls `visit` for each entry of the tree under `root` (not for the root itself). */
export async function walkTree(root: string, options: WalkOptions, visit: (entry: WalkEntry) => Promise<void>): Promise<void> {
  const skip = options.skip ?? [];
  const isSkipped = (s: BigIntStats) => skip.some((id) => id.dev === s.dev && id.ino === s.ino);
  const slice = new TimeSlice();

  const walkFolder = async (relDir: string, absDir: string): Promise<void> => {
    if (slice.due) await slice.pause();
    const listing = listFolder(relDir, absDir, options.rules, options.fileStats ?? true);
    for (const warning of listing.warnings) options.onWarning(warning);
    for (const { name, rel, stats } of listing.entries) {
      options.signal?.throwIfAborted();
      if (slice.due) await slice.pause(); // no promise per entry while the slice lasts
      const abs = childPath(absDir, name);
      if (stats instanceof Error) {
        options.onWarning(`${rel}: vanished while the tree was read (${errorText(stats)}); not in the backup`);
        continue;
      }
      const ancestorOnly = options.rules.isScopeAncestor(rel);
      if (stats === 'file') {
        if (!ancestorOnly) await visit({ rel, abs, kind: 'file' });
        continue;
      }
      if (stats.isSymbolicLink()) {
        const target = readlinkOrUndefined(abs);
        if (target === undefined) {
          options.onWarning(`${rel}: could not read the symlink; not in the backup`);
          continue;
        }
        const followable = (options.followMediaRoots ?? true) && (MEDIA_ROOTS as readonly string[]).includes(rel);
        const followed = followable ? await stat(abs, { bigint: true }).catch(() => undefined) : undefined;
        if (followed?.isDirectory()) {
          if (isSkipped(followed)) continue;
          await visit({ rel, abs, stats: followed, kind: 'dir', followedTarget: target });
          await walkFolder(rel, abs);
          continue;
        }
        if (!ancestorOnly) await visit({ rel, abs, stats, kind: 'symlink', linkTarget: target });
        continue;
      }
      if (stats.isDirectory()) {
        if (isSkipped(stats)) continue;
        if (!ancestorOnly) await visit({ rel, abs, stats, kind: 'dir' });
        await walkFolder(rel, abs);
        continue;
      }
      if (ancestorOnly) continue;
      if (stats.isFile()) await visit({ rel, abs, stats, kind: 'file' });
      else options.onWarning(`${rel}: a socket, FIFO or device, not a file, folder or symlink; not in the backup`);
    }
  };
  await walkFolder('', root);
}
