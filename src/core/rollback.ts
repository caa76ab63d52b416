// Rolling the database back to a backup: the engine restores atomically from the SQL stream while the
// archive is checked against its manifest on the way (checked-sql.ts); a damaged one is refused before
// the swap, so before anything is touched. The restore
// step alone (restoreDatabase) is shared with the rollback of .tgz archives, which read the dump from
// their staged tree.
import { RestoreRefusedError, type ProgressListener, type RestoreOptions, type RestoreResult } from '../engines/engine.js';
import { openEngine } from '../engines/index.js';
import type { DatabaseTarget } from '../engines/target.js';
import { openCheckedSql } from './checked-sql.js';
import { OperationError, UsageError } from './errors.js';
import { checkRestoreFootprint } from './restore-footprint.js';
import type { BackupRecord } from './types.js';
import { verifyBackup } from './verify.js';

export interface RollbackOptions {
  /** Restore only these tables. */
  tables?: string[];
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /** Lines the user should see before the restore writes (the binary log's growth). */
  onNotice?: (line: string) => void;
}

/** What a backup's manifest tells the restore about the dump's objects (counts and owners). */
export function objectsOf(record: BackupRecord): Pick<RestoreOptions, 'objects' | 'definers'> {
  const manifest = record.manifest;
  if (!manifest?.engine) return {};
  return { objects: manifest.objects, ...(manifest.definers ? { definers: manifest.definers } : {}) };
}

/** Refuses a dump made by another engine than the target's, before anything is touched. */
export function requireSameEngine(record: BackupRecord, target: DatabaseTarget): void {
  const made = record.manifest?.engine?.kind;
  if (made && made !== target.kind) {
    throw new UsageError(`${record.file} holds a ${made} dump but LIFEBOAT_DATABASE_URL points at a ${target.kind} database; nothing was changed`);
  }
}

/** Refuses table names the backup's manifest does not list, before anything is touched. */
export function requireTables(record: BackupRecord, tables: string[] | undefined): void {
  if (!tables?.length || !record.manifest) return;
  const known = new Set(record.manifest.tables.map((t) => t.name));
  const missing = tables.filter((t) => !known.has(t));
  if (missing.length) throw new UsageError(`${record.file} holds no table ${missing.map((t) => `"${t}"`).join(', ')}; nothing was changed`);
}

/** Replaces the database's content with the SQL read from `sql`, atomically (the engine's restore). */
export async function restoreDatabase(
  target: DatabaseTarget,
  sql: AsyncIterable<Buffer>,
  options: RollbackOptions & Pick<RestoreOptions, 'totalBytes' | 'beforeSwap' | 'parallelSql' | 'exactValues' | 'objects' | 'definers'> = {},
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
    return await restoreDatabase(target, checked.sql, {
      ...options,
      totalBytes: record.manifest?.sqlBytes,
      parallelSql: checked.parallelSql,
      exactValues: record.origin === 'lifeboat',
      ...objectsOf(record),
      beforeSwap: async () => {
        damage = await checked.problems();
        if (damage.length) throw new Error('the archive does not match its manifest');
      },
    });
  } catch (error) {
    if (damage.length) throw refuse(damage);
    if (options.signal?.aborted || error instanceof RestoreRefusedError) throw error;
    // A damaged archive usually fails as broken gzip or SQL before its end: say so rather than the symptom.
    const report = await verifyBackup(backupDir, record, { signal: options.signal }).catch(() => undefined);
    if (report && !report.ok) throw refuse(report.problems);
    throw error;
  }
}
