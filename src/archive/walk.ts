// Walking a shop tree for an archive: every folder, file and symlink the rules cover, folders before
// their contents, names in a stable order. Symlinks are reported as symlinks, except a symlinked media
// root (`pub/media` -> /mnt/media), which is followed so that the media are in the backup. Folders
// that are the backup folder or Lifeboat's home (recognised by device and inode, wherever they are)
// are left out. Problems with single entries become warnings; the walk goes on.
import type { BigIntStats } from 'node:fs';
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { decodeName } from './tar-header.js';
import { MEDIA_ROOTS, type TreeRules } from './tree-rules.js';

export type WalkKind = 'file' | 'dir' | 'symlink';

export interface WalkEntry {
  /** Path relative to the root, '/'-separated. */
  rel: string;
  /** Absolute path to open (through a followed media symlink when inside one). */
  abs: string;
  stats: BigIntStats;
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
  onWarning: (message: string) => void;
  signal?: AbortSignal;
}

const LSTAT_BATCH = 64;
/** Subfolders listed ahead of the walk, per folder. */
const READ_AHEAD_FOLDERS = 8;
const errorText = (error: unknown) => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

/** The identity of a path (following symlinks), or undefined when it does not exist. */
export async function identityOf(file: string): Promise<FileIdentity | undefined> {
  const info = await stat(file, { bigint: true }).catch(() => undefined);
  return info ? { dev: info.dev, ino: info.ino } : undefined;
}

interface Listing {
  entries: { name: string; rel: string; stats: BigIntStats | Error }[];
  warnings: string[];
}

/** A folder's covered entries, sorted, each lstat'ed (concurrently: the thread pool does them in parallel). */
async function listFolder(relDir: string, absDir: string, rules: TreeRules): Promise<Listing> {
  const listing: Listing = { entries: [], warnings: [] };
  let names: Buffer[];
  try {
    names = await readdir(absDir, { encoding: 'buffer' });
  } catch (error) {
    listing.warnings.push(`could not read folder ${relDir || '.'} (${errorText(error)}); its contents are not in the backup`);
    return listing;
  }
  const decoded: string[] = [];
  for (const raw of names) {
    try {
      decoded.push(decodeName(raw, 'name'));
    } catch {
      listing.warnings.push(`${path.posix.join(relDir, raw.toString('latin1'))}: the name is not valid UTF-8; left out of the backup`);
    }
  }
  decoded.sort();
  const covered = decoded.map((name) => ({ name, rel: relDir ? `${relDir}/${name}` : name })).filter(({ rel }) => !rules.leavesOut(rel) || rules.isScopeAncestor(rel));
  for (let i = 0; i < covered.length; i += LSTAT_BATCH) {
    const batch = covered.slice(i, i + LSTAT_BATCH);
    const infos = await Promise.all(batch.map(({ name }) => lstat(path.join(absDir, name), { bigint: true }).catch((error: Error) => error)));
    batch.forEach((entry, index) => listing.entries.push({ ...entry, stats: infos[index] }));
  }
  return listing;
}

/** Calls `visit` for each entry of the tree under `root` (not for the root itself). */
export async function walkTree(root: string, options: WalkOptions, visit: (entry: WalkEntry) => Promise<void>): Promise<void> {
  const skip = options.skip ?? [];
  const isSkipped = (s: BigIntStats) => skip.some((id) => id.dev === s.dev && id.ino === s.ino);

  const walkFolder = async (relDir: string, absDir: string, pending: Promise<Listing>): Promise<void> => {
    const listing = await pending;
    for (const warning of listing.warnings) options.onWarning(warning);
    // The next few subfolders are listed ahead while this folder's entries are visited in order.
    const subfolders = listing.entries.filter((e) => !(e.stats instanceof Error) && e.stats.isDirectory());
    const ahead = new Map<string, Promise<Listing>>();
    const listAhead = (from: number) => {
      for (const sub of subfolders.slice(from, from + READ_AHEAD_FOLDERS)) {
        if (!ahead.has(sub.rel)) {
          const promise = listFolder(sub.rel, path.join(absDir, sub.name), options.rules);
          promise.catch(() => undefined);
          ahead.set(sub.rel, promise);
        }
      }
    };
    listAhead(0);
    let subIndex = 0;
    for (const { name, rel, stats } of listing.entries) {
      options.signal?.throwIfAborted();
      const abs = path.join(absDir, name);
      if (stats instanceof Error) {
        options.onWarning(`${rel}: vanished while the tree was read (${errorText(stats)}); not in the backup`);
        continue;
      }
      const ancestorOnly = options.rules.isScopeAncestor(rel);
      if (stats.isSymbolicLink()) {
        const target = await readlink(abs).catch(() => undefined);
        if (target === undefined) {
          options.onWarning(`${rel}: could not read the symlink; not in the backup`);
          continue;
        }
        const followable = (options.followMediaRoots ?? true) && (MEDIA_ROOTS as readonly string[]).includes(rel);
        const followed = followable ? await stat(abs, { bigint: true }).catch(() => undefined) : undefined;
        if (followed?.isDirectory()) {
          if (isSkipped(followed)) continue;
          await visit({ rel, abs, stats: followed, kind: 'dir', followedTarget: target });
          await walkFolder(rel, abs, listFolder(rel, abs, options.rules));
          continue;
        }
        if (!ancestorOnly) await visit({ rel, abs, stats, kind: 'symlink', linkTarget: target });
        continue;
      }
      if (stats.isDirectory()) {
        subIndex++;
        listAhead(subIndex);
        const listed = ahead.get(rel) ?? listFolder(rel, abs, options.rules);
        ahead.delete(rel);
        if (isSkipped(stats)) continue;
        if (!ancestorOnly) await visit({ rel, abs, stats, kind: 'dir' });
        await walkFolder(rel, abs, listed);
        continue;
      }
      if (ancestorOnly) continue;
      if (stats.isFile()) await visit({ rel, abs, stats, kind: 'file' });
      else options.onWarning(`${rel}: a socket, FIFO or device, not a file, folder or symlink; not in the backup`);
    }
  };
  await walkFolder('', root, listFolder('', root, options.rules));
}
