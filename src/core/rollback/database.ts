// Rolling the database back to a backup: the engine restores atomically from the SQL stream while the
// archive is checked against its manifest on the way (checked-sql.ts); a damaged one is refused before
// the swap, so before anything is touched. The restore
// step alone (restoreDatabase) is shared with the rollback of .tgz archives, which read the dump from
// their staged tree.
import { RestoreRefusedError, type ProgressListener, type RestoreOptions, type RestoreResult } from '../../engines/engine.js';
import { openEngine } from '../../engines/index.js';
import type { DatabaseTarget } from '../../engines/target.js';
import { archivePath, codecOf, readSqlFile } from '../archive-reader.js';
import { openCheckedSql } from './checked-sql.js';
import { OperationError, UsageError } from '../../shared/errors.js';
import { checkRestoreFootprint } from './restore-footprint.js';
import type { BackupRecord } from '../../shared/types.js';
import { verifyBackup } from '../verify/database.js';
import { finishCommitted, settleRollback } from './recover.js';
import { RollbackJournal, type RestoreMark } from './journal.js';

export interface RollbackOptions {
  /** Restore only these tables. */
  tables?: string[];
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /**
   * Where the rollback keeps its journal (Lifeboat's home) and the job's id, which names the journal and
   * what the rollback creates. Jobs always give it; without it a crash leaves nothing recovery can read.
   */
  journal?: JournalPlace;
  /** Lines the user should see before the restore writes (the binary log's growth). */
  onNotice?: (line: string) => void;
  /** Drop the shop's old tables in a detached process once the database is the backup's (see background-cleanup.ts). */
  cleanUpInBackground?: boolean;
  /** Run on the staged copy before the swap (RestoreOptions.stagedStatements). */
  stagedStatements?: string[];
}

export interface JournalPlace {
  home: string;
  jobId: string;
  /** A restore into another place than the shop (journal.ts, RestoreMark). */
  restore?: RestoreMark;
}

/** Starts the rollback's journal where the caller keeps one. */
export async function beginJournal(place: JournalPlace | undefined, record: BackupRecord): Promise<RollbackJournal | undefined> {
  if (!place) return undefined;
  return RollbackJournal.begin(place.home, place.jobId, { id: record.id, file: record.file, type: record.type }, place.restore);
}

/**
 * After a rollback failed: settles what it left (recover.ts puts back what it had changed, or finishes it
 * when the failure came after the commit point, and removes its helper schemas and work folders).
 * Returns the error to report: the original one when the shop is as it was; when the shop ended as the
 * backup's, one line saying so; when settling failed too, one line saying that `lifeboat recover` will
 * finish it.
 */
export async function settleAfterFailure(journal: RollbackJournal | undefined, target: DatabaseTarget | undefined, error: unknown): Promise<unknown> {
  if (!journal) return error;
  const first = error instanceof Error ? error.message : String(error);
  try {
    const { shop } = await settleRollback(journal, target);
    if (shop === 'old') return error;
    return new OperationError(`the shop was rolled back to ${journal.state.backup.file} (wholly: its commit point had passed), but the rollback failed afterwards: ${first}`);
  } catch (settleError) {
    return new OperationError(`${first}; putting the shop back failed too (${(settleError as Error).message}); run "lifeboat recover" once the cause is fixed`);
  }
}

/** What a backup's manifest tells the restore about the dump's objects (counts, owners, sizes of the tables' rows). */
export function objectsOf(record: BackupRecord): Pick<RestoreOptions, 'objects' | 'definers' | 'tableBytes'> {
  const manifest = record.manifest;
  if (!manifest?.engine) return {};
  const tableBytes = manifest.tables.length ? Object.fromEntries(manifest.tables.map((t) => [t.name, t.dataLength])) : undefined;
  return { objects: manifest.objects, ...(manifest.definers ? { definers: manifest.definers } : {}), ...(tableBytes ? { tableBytes } : {}) };
}

/** Refuses a dump made by another engine than the target's (`setting` names where it came from), before anything is touched. */
export function requireSameEngine(record: BackupRecord, target: DatabaseTarget, setting = 'LIFEBOAT_DATABASE_URL'): void {
  const made = record.manifest?.engine?.kind;
  if (made && made !== target.kind) {
    throw new UsageError(`${record.file} holds a ${made} dump but ${setting} points at a ${target.kind} database; nothing was changed`);
  }
}

/**
 * Refuses table names the backup's manifest does not list, before anything is touched. A sequence counts
 * as a table; where an older manifest has sequences without their names, the restore checks the names
 * (before its swap) instead.
 */
export function requireTables(record: BackupRecord, tables: string[] | undefined): void {
  const manifest = record.manifest;
  if (!tables?.length || !manifest) return;
  if (manifest.sequences === undefined && manifest.objects.sequences > 0) return;
  const known = new Set([...manifest.tables.map((t) => t.name), ...(manifest.sequences ?? [])]);
  const missing = tables.filter((t) => !known.has(t));
  if (missing.length) throw new UsageError(`${record.file} holds no table ${missing.map((t) => `"${t}"`).join(', ')}; nothing was changed`);
}

/** Replaces the database's content with the SQL read from `sql`, atomically (the engine's restore). */
export async function restoreDatabase(
  target: DatabaseTarget,
  sql: AsyncIterable<Buffer>,
  options: Omit<RollbackOptions, 'journal'> & Pick<RestoreOptions, 'totalBytes' | 'beforeSwap' | 'parallelSql' | 'stagedStatements' | 'ownDump' | 'rereadSql' | 'objects' | 'definers' | 'journal' | 'label' | 'leaveOldTables'> = {},
): Promise<RestoreResult> {
  const engine = openEngine(target);
  try {
    const { onNotice, ...restore } = options;
    return await engine.restore(sql, { ...restore, beforeWrite: (footprint) => checkRestoreFootprint(footprint, onNotice) });
  } finally {
    await engine.close();
  }
}

export async function rollbackDatabase(
  target: DatabaseTarget,
  backupDir: string,
  record: BackupRecord,
  options: RollbackOptions = {},
): Promise<RestoreResult> {
  if (record.type !== 'db') {
    throw new UsageError(`${record.file} is a ${record.type} archive: roll it back with rollbackTree (lifeboat rollback does)`);
  }
  requireSameEngine(record, target);
  requireTables(record, options.tables);
  // One read: the archive is checked while the staging copy loads, and refused before the swap.
  const checked = openCheckedSql(backupDir, record, !options.tables?.length);
  let damage: string[] = [];
  const refuse = (problems: string[]) =>
    new OperationError(`${record.file} is damaged (${problems.join('; ')}); refusing to roll back, nothing was changed`);
  try {
    return await journaledRestore(options.journal, record, target, options.cleanUpInBackground, (journaling) =>
      restoreDatabase(target, checked.sql, {
        tables: options.tables,
        onProgress: options.onProgress,
        signal: options.signal,
        onNotice: options.onNotice,
        stagedStatements: options.stagedStatements,
        totalBytes: record.manifest?.sqlBytes,
        parallelSql: checked.parallelSql,
        ownDump: record.origin === 'lifeboat',
        rereadSql: () => readSqlFile(archivePath(backupDir, record), codecOf(record)),
        ...objectsOf(record),
        ...journaling,
        beforeSwap: async () => {
          damage = await checked.problems();
          if (damage.length) throw new Error('the archive does not match its manifest');
        },
      }),
    );
  } catch (error) {
    if (damage.length) throw refuse(damage);
    if (options.signal?.aborted || error instanceof RestoreRefusedError) throw error;
    // A damaged archive usually fails as a broken compressed stream or SQL before its end: say so rather than the symptom.
    const report = await verifyBackup(backupDir, record, { signal: options.signal }).catch(() => undefined);
    if (report && !report.ok) throw refuse(report.problems);
    throw error;
  } finally {
    checked.close(); // a restore that stopped before the end of the archive stops its reading too
  }
}

/**
 * Runs a database restore under the rollback's journal (when the caller keeps one): recorded as committed
 * and removed on success (`background`: once a detached process dropped the old tables); on failure settled (recover.ts), and the error says if that failed too.
 */
export async function journaledRestore(
  place: JournalPlace | undefined,
  record: BackupRecord,
  target: DatabaseTarget,
  background: boolean | undefined,
  restore: (journaling: Pick<RestoreOptions, 'journal' | 'label' | 'leaveOldTables'>) => Promise<RestoreResult>,
): Promise<RestoreResult> {
  const journal = await beginJournal(place, record);
  try {
    const result = await restore(journal ? { journal: journal.forDatabase(), label: journal.jobId, leaveOldTables: background } : {});
    if (journal) {
      await journal.update({ committed: true, step: 'committed' });
      await finishCommitted(journal, target, background);
    }
    return result;
  } catch (failure) {
    throw await settleAfterFailure(journal, target, failure);
  }
}
