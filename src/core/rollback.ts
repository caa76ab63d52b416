// Rolling the database back to a backup: verify the archive completely first (a damaged one is refused
// before anything is touched), then let the engine restore atomically from the SQL stream. The restore
// step alone (restoreDatabase) is shared with the rollback of .tgz archives, which read the dump from
// their staged tree.
import type { ProgressListener, RestoreResult } from '../engines/engine.js';
import { openEngine } from '../engines/index.js';
import type { DatabaseTarget } from '../engines/target.js';
import { openSql } from './archive-reader.js';
import { OperationError, UsageError } from './errors.js';
import type { BackupRecord } from './types.js';
import { verifyBackup } from './verify.js';

export interface RollbackOptions {
  /** Restore only these tables. */
  tables?: string[];
  onProgress?: ProgressListener;
  signal?: AbortSignal;
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
  options: RollbackOptions & { totalBytes?: number } = {},
): Promise<RestoreResult> {
  const engine = openEngine(target);
  try {
    return await engine.restore(sql, { tables: options.tables, totalBytes: options.totalBytes, onProgress: options.onProgress, signal: options.signal });
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
  options.onProgress?.({ phase: 'verify', rows: 0, bytes: 0 });
  const report = await verifyBackup(backupDir, record, {
    signal: options.signal,
    onBytes: (bytes, total) => options.onProgress?.({ phase: 'verify', rows: 0, bytes, totalBytes: total }),
  });
  if (!report.ok) {
    throw new OperationError(`${record.file} is damaged (${report.problems.join('; ')}); refusing to roll back, nothing was changed`);
  }
  return restoreDatabase(target, openSql(backupDir, record), { ...options, totalBytes: record.manifest?.sqlBytes });
}
