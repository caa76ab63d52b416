// Swapping a staged tree into a live one with renames, and undoing that on failure. The live tree is
// never emptied: each entry (in practice each top-level folder or file) is exchanged on its own. A file
// or symlink is replaced by one atomic rename over it (its old version hard-linked aside first); a
// folder is renamed aside and the staged one renamed in, so the name is missing only for the instant
// between those two renames. Folders that hold paths the rules leave untouched (var/, which holds
// var/backups and var/log) are not exchanged whole but merged entry by entry. Every rename is journaled
// and undone in reverse order if anything fails.
import type { BigIntStats, PathLike } from 'node:fs';
import { constants } from 'node:fs';
import { access, chmod, link, lstat, mkdir, readdir, rename, rmdir, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { utimesSeconds } from './utimes-seconds.js';
import type { TreeRules } from './tree-rules.js';

/** One folder of the shop that is swapped on its own: the root, a symlinked media folder, a mount point. */
export interface SwapUnit {
  /** Its path relative to the shop root ('' for the root). */
  rel: string;
  /** The real folder in the shop. */
  live: string;
  /** The work folder on the same filesystem: holds `tree` (staged) and `prev` (what was replaced). */
  work: string;
  tree: string;
  prev: string;
}

export type SwapOp =
  /** rename(from, to): a staged entry into place, or a live entry aside. */
  | { kind: 'move'; from: PathLike; to: PathLike }
  /** link(live, prev) then rename(staged, live): a file or symlink replaced in one atomic step. */
  | { kind: 'replace'; live: string; staged: string; prev: string };

export interface SwapPlan {
  ops: SwapOp[];
  /** Live folders whose entries the swap renames, with their times: an undo sets those back. */
  touchedFolders: { path: string; atimeNs: bigint; mtimeNs: bigint }[];
  /** Live folders merged entry by entry (their own metadata is re-applied after the swap). */
  merged: string[];
  /** Live folders not in the backup that were kept because they hold untouched paths: removed if empty. */
  leftover: string[];
}

export class SwapRefusedError extends Error {}

/** A swap failed and could not be fully undone: the work folders hold what is missing, keep them. */
export class SwapUndoError extends Error {}

const describeKind = (s: BigIntStats) => (s.isDirectory() ? 'folder' : s.isSymbolicLink() ? 'symlink' : 'file');
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

async function lstatOrUndefined(p: PathLike): Promise<BigIntStats | undefined> {
  try {
    return await lstat(p, { bigint: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * rename(), also for a folder without its owner's write permission (a read-only code folder, 0555, or
 * 000): moving a folder to another parent rewrites its `..` entry, which needs write permission on the
 * folder itself, and the shop's own user is not root. Such a folder of the user's own gets u+w for the
 * rename and its mode back at once, at its new place.
 */
export async function renameEntry(from: PathLike, to: PathLike): Promise<void> {
  let mode: number;
  try {
    await rename(from, to);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const info = code === 'EACCES' || code === 'EPERM' ? await lstatOrUndefined(from) : undefined;
    const uid = process.getuid?.();
    if (!info?.isDirectory() || (info.mode & 0o200n) !== 0n || uid === undefined || info.uid !== BigInt(uid)) throw error;
    mode = Number(info.mode & 0o7777n);
  }
  await chmod(from, mode | 0o200);
  try {
    await rename(from, to);
  } catch (error) {
    await chmod(from, mode).catch(() => undefined);
    throw error;
  }
  await chmod(to, mode);
}

/** Names in a folder; names that are not UTF-8 come back as raw bytes so they can still be moved. */
async function namesIn(dir: string): Promise<(string | Buffer)[]> {
  const raw = await readdir(dir, { encoding: 'buffer' });
  return raw.map((name) => {
    try {
      return strictUtf8.decode(name);
    } catch {
      return name;
    }
  });
}

/** The folder a path is in. Only a path's last name can be raw bytes, so the folder is always text. */
function parentOf(p: PathLike): string {
  if (typeof p === 'string') return path.dirname(p);
  const bytes = p as Buffer;
  return bytes.subarray(0, bytes.lastIndexOf(0x2f)).toString('utf8');
}

function join(dir: string, name: string | Buffer): PathLike {
  return typeof name === 'string' ? path.join(dir, name) : Buffer.concat([Buffer.from(dir + '/'), name]);
}

export function unitFor(units: SwapUnit[], rel: string): SwapUnit {
  let best = units[0];
  for (const unit of units) {
    if ((unit.rel === '' || rel === unit.rel || rel.startsWith(unit.rel + '/')) && unit.rel.length >= best.rel.length) best = unit;
  }
  return best;
}

/** Where `rel` lives in the shop (through its unit: a symlinked media folder resolves to its target). */
export function livePath(units: SwapUnit[], rel: string): string {
  const unit = unitFor(units, rel);
  return rel === unit.rel ? unit.live : path.join(unit.live, unit.rel === '' ? rel : rel.slice(unit.rel.length + 1));
}

/** Plans the swap of every unit's staged tree into its live folder. Reads only; changes nothing. */
export async function planSwap(units: SwapUnit[], rules: TreeRules): Promise<SwapPlan> {
  const plan: SwapPlan = { ops: [], touchedFolders: [], merged: [], leftover: [] };
  const unitRels = new Set(units.map((u) => u.rel));
  const unitBelow = (rel: string) => units.some((u) => u.rel !== '' && u.rel.startsWith(rel + '/'));

  const planFolder = async (unit: SwapUnit, rel: string, liveDir: string, stagedDir: string | undefined): Promise<void> => {
    const times = await lstat(liveDir, { bigint: true });
    plan.touchedFolders.push({ path: liveDir, atimeNs: times.atimeNs, mtimeNs: times.mtimeNs });
    const names = new Map<string, string | Buffer>();
    for (const name of await namesIn(liveDir)) names.set(typeof name === 'string' ? name : name.toString('latin1'), name);
    if (stagedDir) for (const name of await namesIn(stagedDir)) names.set(typeof name === 'string' ? name : name.toString('latin1'), name);
    for (const [shown, name] of [...names.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      const childRel = rel ? `${rel}/${shown}` : shown;
      if (rules.leavesOut(childRel) && !rules.isScopeAncestor(childRel)) continue; // untouched
      if (unitRels.has(childRel)) continue; // swapped as a unit of its own
      const liveChild = join(liveDir, name);
      const stagedChild = stagedDir ? join(stagedDir, name) : undefined;
      const live = await lstatOrUndefined(liveChild);
      const staged = stagedChild ? await lstatOrUndefined(stagedChild) : undefined;
      const inner = unit.rel === '' ? childRel : childRel.slice(unit.rel.length + 1);
      const prev = join(unit.prev, typeof name === 'string' ? inner : Buffer.from(inner, 'latin1'));
      const mustMerge = typeof name === 'string' && (rules.mayLeaveOutBelow(childRel) || rules.isScopeAncestor(childRel) || unitBelow(childRel));
      if (mustMerge && live?.isDirectory()) {
        if (staged && !staged.isDirectory()) {
          throw new SwapRefusedError(`the backup has ${childRel} as a ${describeKind(staged)}, but in the shop it is a folder holding paths Lifeboat leaves untouched; refusing to replace it`);
        }
        plan.merged.push(childRel);
        if (!staged) plan.leftover.push(liveChild as string);
        await planFolder(unit, childRel, liveChild as string, staged ? (stagedChild as string) : undefined);
        continue;
      }
      if (live && staged && !live.isDirectory() && !staged.isDirectory()) {
        plan.ops.push({ kind: 'replace', live: liveChild as string, staged: stagedChild as string, prev: prev as string });
        continue;
      }
      if (live) plan.ops.push({ kind: 'move', from: liveChild, to: prev });
      if (staged && stagedChild) plan.ops.push({ kind: 'move', from: stagedChild, to: liveChild });
    }
  };
  for (const unit of units) await planFolder(unit, unit.rel, unit.live, unit.tree);
  return plan;
}

/** Checks, before anything moves, that every folder a rename touches is writable. */
export async function checkWritable(plan: SwapPlan): Promise<void> {
  const dirs = new Set<string>();
  for (const op of plan.ops) {
    const paths = op.kind === 'move' ? [op.from, op.to] : [op.live, op.staged];
    for (const p of paths) dirs.add(parentOf(p));
  }
  for (const dir of dirs) {
    if (!(await lstatOrUndefined(dir))) continue; // a folder in the work area, created when needed
    await access(dir, constants.W_OK).catch(() => {
      throw new SwapRefusedError(`cannot write in ${dir}, so its entries cannot be replaced; nothing was changed`);
    });
  }
}

type Done = { undo: () => Promise<void> };

export interface SwapRun {
  /** Undoes every step done so far, newest first; returns the steps that could not be undone. */
  undo(): Promise<string[]>;
  steps: number;
}

/** Runs the plan; on failure undoes what it did and rethrows. `afterStep` is called after each rename. */
export async function runSwap(plan: SwapPlan, afterStep?: (steps: number) => void | Promise<void>): Promise<SwapRun> {
  const journal: Done[] = [];
  const run: SwapRun = {
    steps: 0,
    undo: async () => {
      const failed: string[] = [];
      for (const step of journal.reverse()) {
        try {
          await step.undo();
        } catch (error) {
          failed.push((error as Error).message);
        }
      }
      journal.length = 0;
      // Renames changed the mtimes of the folders they happened in: set those back too.
      for (const folder of plan.touchedFolders) {
        await utimes(folder.path, utimesSeconds(folder.atimeNs), utimesSeconds(folder.mtimeNs)).catch(() => undefined);
      }
      return failed;
    },
  };
  const step = async (done: Done) => {
    journal.push(done);
    run.steps++;
    await afterStep?.(run.steps);
  };
  try {
    for (const op of plan.ops) {
      if (op.kind === 'move') {
        await mkdir(parentOf(op.to), { recursive: true });
        await renameEntry(op.from, op.to);
        await step({ undo: () => renameEntry(op.to, op.from) });
        continue;
      }
      await mkdir(path.dirname(op.prev), { recursive: true });
      let linked = true;
      try {
        await link(op.live, op.prev);
      } catch {
        linked = false; // no hard links here (or not allowed): fall back to two renames
      }
      if (linked) {
        await renameEntry(op.staged, op.live);
        await step({ undo: () => renameEntry(op.prev, op.live) });
      } else {
        await renameEntry(op.live, op.prev);
        await step({ undo: () => renameEntry(op.prev, op.live) });
        await renameEntry(op.staged, op.live);
        await step({ undo: () => renameEntry(op.live, op.staged) });
      }
    }
  } catch (error) {
    const failed = await run.undo();
    if (failed.length) throw new SwapUndoError(`${(error as Error).message}; and undoing the swap failed too (${failed.join('; ')})`);
    throw error;
  }
  return run;
}

/** A path as a swap record stores it (JSON): a name that is not UTF-8 (only ever the last) as base64 bytes. */
export type RecordedPath = string | { base64: string };

/** A swap plan as JSON, for the rollback journal: enough to undo the swap from what is on disk. */
export interface RecordedSwap {
  ops: ({ kind: 'move'; from: RecordedPath; to: RecordedPath } | { kind: 'replace'; live: string; staged: string; prev: string })[];
  touchedFolders: { path: string; atimeNs: string; mtimeNs: string }[];
  leftover: string[];
}

const recordPath = (p: PathLike): RecordedPath => (typeof p === 'string' ? p : { base64: Buffer.from(p as Buffer).toString('base64') });
const pathOf = (p: RecordedPath): PathLike => (typeof p === 'string' ? p : Buffer.from(p.base64, 'base64'));

export function recordSwap(plan: SwapPlan): RecordedSwap {
  return {
    ops: plan.ops.map((op) => (op.kind === 'move' ? { kind: 'move', from: recordPath(op.from), to: recordPath(op.to) } : op)),
    touchedFolders: plan.touchedFolders.map((f) => ({ path: f.path, atimeNs: String(f.atimeNs), mtimeNs: String(f.mtimeNs) })),
    leftover: plan.leftover,
  };
}

/**
 * Undoes a recorded swap from what is on disk, newest step first, each only where it happened (recovery
 * after a crash has no in-memory journal): a move is undone when its target exists and its source does
 * not; a replaced file or symlink when its old version is in the work folder. Safe to repeat as long as
 * the work folders are untouched (the caller records that the undo is done before removing them).
 * Returns the steps that could not be undone.
 */
export async function undoRecordedSwap(swap: RecordedSwap): Promise<string[]> {
  const failed: string[] = [];
  for (const op of [...swap.ops].reverse()) {
    try {
      if (op.kind === 'move') {
        const from = pathOf(op.from);
        const to = pathOf(op.to);
        if ((await lstatOrUndefined(to)) && !(await lstatOrUndefined(from))) await renameEntry(to, from);
      } else if (await lstatOrUndefined(op.prev)) {
        await renameEntry(op.prev, op.live);
      }
    } catch (error) {
      failed.push((error as Error).message);
    }
  }
  for (const folder of swap.touchedFolders) {
    await utimes(folder.path, utimesSeconds(BigInt(folder.atimeNs)), utimesSeconds(BigInt(folder.mtimeNs))).catch(() => undefined);
  }
  return failed;
}

/**
 * Removes a folder and everything in it, never crossing into another filesystem (a mount point found
 * inside is an error, not something to empty). A folder's entries are removed several at once. An entry
 * that vanishes meanwhile is removed all the same: something else is removing it too (the rm of a
 * cleanup process killed half-way runs on while recovery removes the same folder).
 */
export async function removeTree(target: PathLike, device?: bigint): Promise<void> {
  const info = await lstatOrUndefined(target);
  if (!info) return;
  if (!info.isDirectory()) {
    await unlink(target).catch(unlessGone);
    return;
  }
  if (device !== undefined && info.dev !== device) throw new Error(`${String(target)} is on another filesystem; not removing it`);
  if ((info.mode & 0o700n) !== 0o700n) await chmod(target, Number(info.mode & 0o7777n) | 0o700).catch(unlessGone);
  const base = typeof target === 'string' ? Buffer.from(target) : (target as Buffer);
  const names = await readdir(target, { encoding: 'buffer' }).catch((error: unknown): Buffer[] => {
    unlessGone(error);
    return [];
  });
  for (let i = 0; i < names.length; i += REMOVE_BATCH) {
    await Promise.all(names.slice(i, i + REMOVE_BATCH).map((name) => removeTree(Buffer.concat([base, Buffer.from('/'), name]), info.dev)));
  }
  await rmdir(target).catch(unlessGone);
}

/** Rethrows an error unless it says the entry is already gone. */
function unlessGone(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

const REMOVE_BATCH = 32;
