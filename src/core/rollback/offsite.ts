// `rollback --table` of a database backup that is only in off-site storage: instead of fetching the
// whole archive, only the parts that hold the tables are read from the store (table-sql.ts),
// decrypted on the way when the copy is encrypted, and restored. The archive's sha256 cannot be checked
// on a part; each gzip member's CRC is, and an encrypted copy's chunks are authenticated. A failed read
// fails the restore, which leaves the database as it was.
import type { ProgressListener, RestoreResult } from '../../engines/engine.js';
import type { DatabaseTarget } from '../../engines/target.js';
import type { Repository } from '../../repository/repository.js';
import { OperationError } from '../../shared/errors.js';
import { journaledRestore, objectsOf, requireSameEngine, requireTables, restoreDatabase, type JournalPlace } from './database.js';
import { planTableSql, readTableSql, type ArchiveRangeReader } from './table-sql.js';
import type { BackupRecord } from '../../shared/types.js';

export interface StoreRollbackOptions {
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  onNotice?: (line: string) => void;
  journal?: JournalPlace;
}

/** Rethrows a failed read of the store as one line that says nothing was changed. */
async function* readOrExplain(where: string | undefined, record: BackupRecord, sql: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* sql;
  } catch (error) {
    if (error instanceof OperationError) throw error;
    throw new OperationError(`could not read the tables of ${record.file} from ${where}: ${(error as Error).message}; nothing was changed`);
  }
}

/**
 * Restores `tables` of a database backup from its copy in the repository's bucket, reading only their part of the
 * archive. Undefined when the archive cannot be read by parts (an SQLite dump, no per-table offsets):
 * then the caller fetches it whole.
 */
export async function rollbackTablesFromStore(
  target: DatabaseTarget,
  repository: Repository,
  found: BackupRecord,
  tables: string[],
  options: StoreRollbackOptions = {},
): Promise<RestoreResult | undefined> {
  const { record, open } = await repository.openArchive(found);
  requireSameEngine(record, target);
  requireTables(record, tables);
  const plan = record.manifest && planTableSql(record.manifest, tables);
  if (!plan) return undefined;
  const read: ArchiveRangeReader = (start, end) => open({ start, end: end - 1 });
  const sql = readOrExplain(repository.offsiteLocation, record, readTableSql(read, plan));
  return journaledRestore(options.journal, record, target, false, (journaling) =>
    restoreDatabase(target, sql, {
      tables,
      onProgress: options.onProgress,
      signal: options.signal,
      onNotice: options.onNotice,
      totalBytes: plan.sqlBytes,
      ownDump: record.origin === 'lifeboat',
      ...objectsOf(record),
      ...journaling,
    }),
  );
}
