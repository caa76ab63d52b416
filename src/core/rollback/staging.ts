// Where a rollback stages the archive: one work folder per swap unit, always on the same filesystem
// as the folder it replaces, so that the swap is renames only. The shop root's work folder sits beside
// the root (`<parent>/.lifeboat-rollback-<job>`), or inside it when the root is a mount point or its parent is
// not writable. A symlinked media folder (`pub/media` -> /mnt/media) and every mount point inside the
// covered tree are units of their own, staged inside themselves: the symlink and the mount stay, their
// contents are swapped.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { MEDIA_ROOTS, WORK_FOLDER_PREFIX, type TreeRules } from '../../archive/tree-rules.js';
import type { SwapUnit } from '../../archive/tree-swap.js';
import { removeFolder } from '../../archive/remove-folder.js';

/** Mount points from /proc/self/mountinfo (field 5, with its octal escapes undone); [] when unreadable. */
export async function mountPoints(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((field): field is string => Boolean(field))
    .map((field) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))));
}

/** Called with the units before each work folder is made, so that a crash never leaves one unrecorded. */
export type BeforeCreate = (units: SwapUnit[]) => Promise<void>;

function unitAt(rel: string, live: string, workParent: string, label: string): SwapUnit {
  const work = path.join(workParent, `${WORK_FOLDER_PREFIX}${label}`);
  return { rel, live, work, tree: path.join(work, 'tree'), prev: path.join(work, 'prev') };
}

async function makeWorkFolder(unit: SwapUnit): Promise<void> {
  await mkdir(unit.work);
  await mkdir(unit.tree);
}

const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

/**
 * The root's unit: its work folder beside the root when the parent is on the same filesystem and
 * writable for us, else inside the root.
 */
async function makeRootUnit(root: string, label: string, known: SwapUnit[], beforeCreate: BeforeCreate): Promise<SwapUnit> {
  const parent = path.dirname(root);
  const [rootInfo, parentInfo] = await Promise.all([stat(root), stat(parent).catch(() => undefined)]);
  if (parentInfo && parentInfo.dev === rootInfo.dev && parent !== root) {
    const beside = unitAt('', root, parent, label);
    await beforeCreate([...known, beside]);
    try {
      await makeWorkFolder(beside);
      return beside;
    } catch (error) {
      if (!NOT_WRITABLE.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    }
  }
  const inside = unitAt('', root, root, label);
  await beforeCreate([...known, inside]);
  await makeWorkFolder(inside);
  return inside;
}

const inside = (outer: string, inner: string) => inner !== outer && inner.startsWith(outer.endsWith('/') ? outer : outer + '/');

export interface PrepareOptions {
  /** Names the work folders (`.lifeboat-rollback-<label>`): the job's id; random when absent. */
  label?: string;
  beforeCreate?: BeforeCreate;
}

/**
 * Finds the units of a rollback and creates their work folders; the root unit comes first. Files that
 * are mount points themselves (a secret bind-mounted over app/etc/env.php) cannot be renamed: they are
 * returned as `pinned` (paths relative to the root), for the rollback to leave as they are.
 */
export async function prepareUnits(root: string, rules: TreeRules, options: PrepareOptions = {}): Promise<{ units: SwapUnit[]; pinned: string[] }> {
  const label = options.label ?? randomBytes(4).toString('hex');
  const beforeCreate = options.beforeCreate ?? (async () => undefined);
  const realRoot = await realpath(root);
  const units: SwapUnit[] = [];
  const add = async (unit: SwapUnit) => {
    await beforeCreate([...units, unit]);
    await makeWorkFolder(unit);
    units.push(unit);
  };
  const pinned: string[] = [];
  try {
    units.push(await makeRootUnit(realRoot, label, units, beforeCreate));
    for (const media of MEDIA_ROOTS) {
      // Left out, unless it holds what is restored (a chosen path below it: ChosenPathRules).
      if (rules.leavesOut(media) && !rules.isScopeAncestor(media)) continue;
      const abs = path.join(realRoot, media);
      const link = await lstat(abs).catch(() => undefined);
      if (!link?.isSymbolicLink()) continue;
      const target = await stat(abs).catch(() => undefined);
      if (!target?.isDirectory()) continue;
      const live = await realpath(abs);
      await add(unitAt(media, live, live, label));
    }
    const mounts = (await mountPoints()).sort((a, b) => a.length - b.length);
    for (const mount of mounts) {
      const owner = [...units].reverse().find((u) => inside(u.live, mount));
      if (!owner) continue;
      const rel = [owner.rel, path.relative(owner.live, mount).split(path.sep).join('/')].filter(Boolean).join('/');
      if (rules.leavesOut(rel) && !rules.isScopeAncestor(rel)) continue;
      if (units.some((u) => u.rel === rel)) continue;
      const info = await lstat(mount).catch(() => undefined);
      if (info?.isDirectory()) await add(unitAt(rel, mount, mount, label));
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
      await removeFolder(unit.work);
    } catch {
      failed.push(unit.work);
    }
  }
  return failed;
}
