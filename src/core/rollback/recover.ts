// Recovery: brings a rollback that stopped (its process killed, or a failure half-way) to a whole shop,
// from its journal (journal.ts). The commit point of a rollback with a database is the database
// engine's (MySQL/MariaDB: its one RENAME TABLE; SQLite: its transaction's COMMIT), which comes after the
// files were swapped; without a database it is the end of the file swap. So:
//   1. the database settles first (finished when its swap had committed, else put back: the engine
//      reads where its tables are, and records its decision before it cleans up);
//   2. the files follow that answer: kept and their work folders removed, or put back from the work
//      folders (each rename undone where it happened); "settled" is recorded before anything is removed;
//   3. the journal goes.
// Every step can be interrupted and run again. The maintenance flag of the dead job is cleared by the
// caller afterwards (jobs.ts), so the shop stays in maintenance until it is whole.
import { chown, chmod, lstat, readdir, realpath, rmdir, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { openEngine } from '../../engines/index.js';
import type { DatabaseTarget } from '../../engines/target.js';
import { OperationError, UsageError } from '../../shared/errors.js';
import { PARTIAL_SUFFIX } from '../../repository/naming.js';
import { dataDirOf, indexDirOf, storeDirOf } from '../../archive/content/store-layout.js';
import { findJournals, RollbackJournal, type FilesJournal, type FoundJournal } from './journal.js';
import { cleanUpInBackground, removalLeavesShopAlone } from './background-cleanup.js';
import { reachedStep } from './step-pause.js';

export interface SettleResult {
  /** What the shop is now: as before the rollback, or the backup's. */
  shop: 'old' | 'new';
  /** What was done, a line each. */
  done: string[];
}

/** Settles one rollback from its journal; removes the journal when the shop is whole. */
export async function settleRollback(journal: RollbackJournal, target: DatabaseTarget | undefined): Promise<SettleResult> {
  const state = journal.state;
  const done: string[] = [];
  let shop: 'old' | 'new' = state.committed ? 'new' : 'old';
  if (state.database) {
    if (!target) throw new UsageError(`the rollback of ${state.backup.file} (job ${state.jobId}) changed the database: set LIFEBOAT_DATABASE_URL and run lifeboat recover again`);
    const outcome = await openEngine(target).recover(state.database, journal.forDatabase());
    done.push(...outcome.done);
    if (!state.committed) shop = outcome.database;
  }
  if (journal.state.files) await settleFiles(journal, shop, done);
  if (shop === 'old') done.push(...(await removeMadeFolders(state.restore?.folders ?? [])));
  await journal.finish();
  return { shop, done };
}

/** Removes the folders a restore made (RestoreMark.folders), innermost first, where they are empty again. */
async function removeMadeFolders(folders: string[]): Promise<string[]> {
  const done: string[] = [];
  for (const folder of [...folders].reverse()) {
    try {
      await rmdir(folder);
      done.push(`removed the folder ${folder}, which the restore had made`);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      done.push(`left the folder ${folder}, which the restore had made: ${code === 'ENOTEMPTY' || code === 'EEXIST' ? 'it holds files now' : (error as Error).message}`);
      break; // the folders around it are not empty either
    }
  }
  return done;
}

/**
 * The end of a rollback that committed: its work folders go, folders get their metadata, the journal
 * goes. With `background` (the restore then left the shop's old tables, RestoreOptions.leaveOldTables),
 * the shop's folders are finished here and a detached process (background-cleanup.ts) drops the old
 * tables and removes the work folders, where that leaves the shop alone; else that is done here.
 */
export async function finishCommitted(journal: RollbackJournal, target: DatabaseTarget | undefined, background = false): Promise<string[]> {
  const warnings: string[] = [];
  const files = journal.state.files;
  if (background && (!files || removalLeavesShopAlone(files))) {
    if (files) {
      await removeLeftoverFolders(files);
      await applyFolderMetas(files, warnings);
      await journal.updateFiles({ settled: 'new', metasApplied: true });
      await reachedStep('files-settled');
    }
    if (await cleanUpInBackground(journal, target)) return warnings;
  }
  if (background && journal.state.database && target) await openEngine(target).dropOldTables(journal.state.database);
  if (journal.state.files) await settleFiles(journal, 'new', [], warnings);
  await journal.finish();
  return warnings;
}

async function settleFiles(journal: RollbackJournal, shop: 'old' | 'new', done: string[], warnings: string[] = done): Promise<void> {
  const files = journal.state.files as FilesJournal;
  if (files.settled === undefined) {
    if (shop === 'old' && files.swap) {
      // The file-swap code is loaded only when there is a swap to undo (every job runs recovery first).
      const { undoRecordedSwap } = await import('../../archive/tree-swap.js');
      const failed = await undoRecordedSwap(files.swap);
      if (failed.length) {
        throw new OperationError(
          `could not put the shop's files back (${failed.join('; ')}); the replaced entries are in ${files.units.map((u) => u.prev).join(', ')}: fix the cause and run lifeboat recover again`,
        );
      }
      done.push(`put the shop's files back as they were (${files.swap.ops.length} renames undone where they had happened)`);
    }
    await journal.updateFiles({ settled: shop });
    await reachedStep('files-settled');
  }
  if (shop === 'new' && !files.metasApplied) await removeLeftoverFolders(files);
  await removeWorkFoldersOf(files, done);
  if (shop === 'new' && !files.metasApplied) await applyFolderMetas(files, warnings);
}

/** Removes the live folders the backup does not have that the swap kept for their untouched paths, where now empty (deepest first). */
async function removeLeftoverFolders(files: FilesJournal): Promise<void> {
  for (const dir of [...(files.swap?.leftover ?? [])].reverse()) await rmdir(dir).catch(() => undefined);
}

/** Removes the rollback's work folders that are still there, a line each in `done`. */
export async function removeWorkFoldersOf(files: FilesJournal, done: string[]): Promise<void> {
  const present = [];
  for (const unit of files.units) if (await lstat(unit.work).catch(() => undefined)) present.push(unit);
  // Imported here, not above: every job looks for rollbacks to recover, and the staging code (with the
  // extraction and the swap) is needed only when one left work folders.
  const { removeWorkFolders } = await import('./staging.js');
  const failed = await removeWorkFolders(present);
  for (const unit of present) if (!failed.includes(unit.work)) done.push(`removed the work folder ${unit.work}`);
  if (failed.length) throw new OperationError(`could not remove the work folder(s) ${failed.join(', ')}; remove them by hand (the shop itself is whole)`);
}

/** Sets the mode, owner and mtime the archive gives the folders the swap merged or left (deepest first). */
export async function applyFolderMetas(files: FilesJournal, warnings: string[] = []): Promise<void> {
  for (const meta of files.swap?.folderMetas ?? []) {
    try {
      const info = await lstat(meta.path);
      if (!info.isDirectory()) continue;
      if (process.getuid?.() === 0) await chown(meta.path, meta.uid, meta.gid);
      await chmod(meta.path, meta.mode);
      const { utimesSeconds } = await import('../../archive/extract.js');
      await utimes(meta.path, Date.now() / 1000, utimesSeconds(BigInt(meta.mtimeNs)));
    } catch (error) {
      warnings.push(`could not set the mode or time of ${meta.path} (${(error as Error).message})`);
    }
  }
}

/** A line for each rollback that stopped and was not settled yet (for `list` and the page). */
export async function interruptedRollbacks(home: string): Promise<string[]> {
  const { found, unreadable } = await findJournals(home);
  return [
    ...found.filter((entry) => entry.interrupted).map(describeInterrupted),
    ...unreadable.map((file) => `the rollback journal ${file} cannot be read: look at it and at the shop, then remove it by hand`),
  ];
}

function describeInterrupted(found: FoundJournal): string {
  const { state } = found;
  return `the rollback to ${state.backup.file} (job ${state.jobId}, started ${state.startedAt}) was interrupted at "${state.step}": the shop may be half rolled back until "lifeboat recover" (or the next job) settles it`;
}

export interface RecoveryPlace {
  home: string;
  root: string;
  backupDir: string;
  /** The shop's database, when it has one configured. */
  target?: DatabaseTarget;
  /**
   * Also report work folders no journal names, beside and in the shop (`lifeboat recover`); a job
   * starting does not, as another shop beside this one may be rolling back at that moment.
   */
  reportStrays?: boolean;
}

/**
 * Settles every rollback whose process is gone (from its journal), then removes what dead jobs left that
 * no journal names: partial archives in the backup folder and staging copies of the database. With
 * `reportStrays`, reports work folders no journal names beside or in the shop without removing them (they
 * may hold replaced files). The caller holds the job lock, so no job of this shop is running meanwhile. A
 * line for each thing done; an error when a rollback could not be settled (the shop is not whole).
 */
export async function recoverInterrupted(place: RecoveryPlace): Promise<string[]> {
  const lines: string[] = [];
  const { found, unreadable } = await findJournals(place.home);
  if (unreadable.length) {
    throw new OperationError(`cannot read the rollback journal(s) ${unreadable.join(', ')}; look at them and at the shop, then remove them by hand`);
  }
  for (const entry of found) {
    const { state } = entry;
    // The shop is whole; a background process is removing what the rollback replaced: nothing to say or wait for.
    if (!entry.interrupted && state.cleaningUp) continue;
    if (!entry.interrupted) {
      lines.push(`the rollback job ${state.jobId} (pid ${state.process.pid} on ${state.process.host}) is still running; left alone`);
      continue;
    }
    const settled = await settleRollback(RollbackJournal.resume(entry.file, state), place.target);
    const now = settled.shop === 'new' ? "the backup's" : 'as it was before the rollback';
    lines.push(`recovered the rollback to ${state.backup.file} (job ${state.jobId}), interrupted at "${state.step}": the shop is ${now}`);
    lines.push(...settled.done.map((line) => `  ${line}`));
  }
  lines.push(...(await removePartialFiles(place.backupDir)));
  // What the rollbacks still running (cleaning up in the background) work in is theirs.
  const running = found.filter((entry) => !entry.interrupted);
  const ongoing = running.flatMap(({ state }) => (state.database ? [state.database] : []));
  if (place.target) lines.push(...(await openEngine(place.target).clearLeftovers(ongoing)));
  if (place.reportStrays) {
    const named = new Set(running.flatMap((entry) => entry.state.files?.units.map((unit) => unit.work) ?? []));
    lines.push(...(await reportOldWorkFolders(place.root, named)));
  }
  return lines;
}

/**
 * Archives (and manifests, spools) a dead backup or download left half-written, and the pack and index
 * files of the incremental store a dead backup was writing (its whole packs wait for a prune: an index
 * may name them).
 */
async function removePartialFiles(backupDir: string): Promise<string[]> {
  const lines: string[] = [];
  for (const dir of [backupDir, dataDirOf(storeDirOf(backupDir)), indexDirOf(storeDirOf(backupDir))]) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith(PARTIAL_SUFFIX))) {
      await unlink(path.join(dir, name)).catch(() => undefined);
      lines.push(`removed ${path.join(dir, name)}, left half-written by a job that died`);
    }
  }
  return lines;
}

/** Work folders beside or in the shop that no journal names (`named`: those of running rollbacks): reported, never removed. */
async function reportOldWorkFolders(root: string, named: Set<string>): Promise<string[]> {
  const lines: string[] = [];
  for (const dir of [path.dirname(root), root]) {
    const names = await readdir(dir).catch(() => [] as string[]);
    const real = await realpath(dir).catch(() => dir); // journals name work folders under the root's real path
    for (const name of names.filter((n) => WORK_FOLDER_NAMES.test(n) && !named.has(path.join(real, n)))) {
      const prev = path.join(dir, name, 'prev');
      const held = await readdir(prev).catch(() => [] as string[]);
      lines.push(
        held.length
          ? `${path.join(dir, name)} is the work folder of a rollback that no journal names (an earlier version, or another shop beside this one); its prev/ holds replaced files (${held.slice(0, 3).join(', ')}${held.length > 3 ? ', ...' : ''}): move back what the shop misses, then remove it`
          : `${path.join(dir, name)} is the work folder of a rollback that no journal names (an earlier version, or another shop beside this one); it holds no replaced files: remove it when no rollback runs`,
      );
    }
  }
  return lines;
}

const WORK_FOLDER_NAMES = /^\.lifeboat-(stage|rollback)-/;
