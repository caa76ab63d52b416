// Where a rollback stages the archive: one work folder per swap unit, always on the same filesystem
// as the folder it replaces, so that the swap is renames only. The shop root's work folder sits beside
// the root (`<parent>/.lifeboat-stage-*`), or inside it when the root is a mount point or its parent is
// not writable. A symlinked media folder (`pub/media` -> /mnt/media) and every mount point inside the
// covered tree are units of their own, staged inside themselves: the symlink and the mount stay, their
// contents are swapped.
import { lstat, mkdir, mkdtemp, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { MEDIA_ROOTS, WORK_FOLDER_PREFIX, type TreeRules } from '../archive/tree-rules.js';
import { removeTree, type SwapUnit } from '../archive/tree-swap.js';

/** Mount points from /proc/self/mountinfo (field 5, with its octal escapes undone); [] when unreadable. */
export async function mountPoints(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((field): field is string => Boolean(field))
    .map((field) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))));
}

async function makeUnit(rel: string, live: string, workParent: string): Promise<SwapUnit> {
  const work = await mkdtemp(path.join(workParent, WORK_FOLDER_PREFIX));
  const unit: SwapUnit = { rel, live, work, tree: path.join(work, 'tree'), prev: path.join(work, 'prev') };
  await mkdir(unit.tree);
  return unit;
}

async function rootWorkParent(root: string): Promise<string> {
  const parent = path.dirname(root);
  const [rootInfo, parentInfo] = await Promise.all([stat(root), stat(parent).catch(() => undefined)]);
  if (!parentInfo || parentInfo.dev !== rootInfo.dev || parent === root) return root;
  const probe = await mkdtemp(path.join(parent, WORK_FOLDER_PREFIX)).catch(() => undefined);
  if (!probe) return root; // the parent is not writable for us
  await removeTree(probe);
  return parent;
}

const inside = (outer: string, inner: string) => inner !== outer && inner.startsWith(outer.endsWith('/') ? outer : outer + '/');

/**
 * Finds the units of a rollback and creates their work folders; the root unit comes first. Files that
 * are mount points themselves (a secret bind-mounted over app/etc/env.php) cannot be renamed: they are
 * returned as `pinned` (paths relative to the root), for the rollback to leave as they are.
 */
export async function prepareUnits(root: string, rules: TreeRules): Promise<{ units: SwapUnit[]; pinned: string[] }> {
  const realRoot = await realpath(root);
  const units: SwapUnit[] = [await makeUnit('', realRoot, await rootWorkParent(realRoot))];
  const pinned: string[] = [];
  try {
    for (const media of MEDIA_ROOTS) {
      if (rules.leavesOut(media)) continue;
      const abs = path.join(realRoot, media);
      const link = await lstat(abs).catch(() => undefined);
      if (!link?.isSymbolicLink()) continue;
      const target = await stat(abs).catch(() => undefined);
      if (!target?.isDirectory()) continue;
      const live = await realpath(abs);
      units.push(await makeUnit(media, live, live));
    }
    const mounts = (await mountPoints()).sort((a, b) => a.length - b.length);
    for (const mount of mounts) {
      const owner = [...units].reverse().find((u) => inside(u.live, mount));
      if (!owner) continue;
      const rel = [owner.rel, path.relative(owner.live, mount).split(path.sep).join('/')].filter(Boolean).join('/');
      if (rules.leavesOut(rel) && !rules.isScopeAncestor(rel)) continue;
      if (units.some((u) => u.rel === rel)) continue;
      const info = await lstat(mount).catch(() => undefined);
      if (info?.isDirectory()) units.push(await makeUnit(rel, mount, mount));
      else if (info) pinned.push(rel);
    }
  } catch (error) {
    await removeWorkFolders(units);
    throw error;
  }
  return { units: units.sort((a, b) => a.rel.length - b.rel.length), pinned };
}

/** Removes the work folders (staging and replaced entries); returns the ones that could not be removed. */
export async function removeWorkFolders(units: SwapUnit[]): Promise<string[]> {
  const failed: string[] = [];
  for (const unit of units) {
    try {
      const device = (await stat(unit.work, { bigint: true }).catch(() => undefined))?.dev;
      await removeTree(unit.work, device);
    } catch {
      failed.push(unit.work);
    }
  }
  return failed;
}
