// Verifying a backup: the archive re-read and checked (database.ts, tree.ts), fetched first when it is
// only off-site, and the outcome kept as the backup's last verify (verify-record.ts). The page's Verify
// runs it as a job (the job lock, progress, a log, a place in the job history); `lifeboat verify` runs it
// directly, so that it can check an archive while a backup runs.
import type { Settings } from '../../config/settings.js';
import type { ProgressListener } from '../../engines/engine.js';
import { Repository } from '../../repository/repository.js';
import { OperationError } from '../../shared/errors.js';
import type { BackupRecord } from '../../shared/types.js';
import { StateStore } from '../../state/state.js';
import { runJob } from '../jobs/jobs.js';
import { readingJob, type JobOptions } from '../operations.js';
import { unboundReport, verifyBackup, type VerifyReport } from './database.js';
import { keepVerify, verifyRecord } from './verify-record.js';

export interface VerifyOptions {
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Incremental backups: the share (percent) of the stored pieces to read. */
  dataSubset?: number;
  /** Told when the outcome could not be kept (the state unreachable): the verdict itself still stands. */
  onNotice?: (line: string) => void;
}

/**
 * Reads the archive and checks it, then keeps the outcome. An archive whose manifest is not its own has
 * nothing to be checked against: it is not read (nor fetched), and fails.
 */
export async function verifyAndKeep(settings: Settings, repository: Repository, record: BackupRecord, options: VerifyOptions = {}): Promise<VerifyReport> {
  let report: VerifyReport;
  if (record.problem) report = unboundReport(record);
  else {
    await repository.secret(); // a bad key file fails before anything is read
    const { signal, onProgress, dataSubset } = options;
    report = await repository.withLocalCopy(
      record,
      (archiveDir, whole) =>
        verifyBackup(archiveDir, whole, {
          signal,
          ...(dataSubset !== undefined ? { dataSubset } : {}),
          onBytes: (bytes, total) => onProgress?.({ phase: 'verify', rows: 0, bytes, totalBytes: total }),
        }),
      { signal, onProgress },
    );
  }
  await StateStore.with(settings, (store) => keepVerify(store, verifyRecord(report, record))).catch((error: unknown) =>
    options.onNotice?.(`could not keep the outcome of the verify in Lifeboat's state: ${error instanceof Error ? error.message : String(error)}`),
  );
  return report;
}

/** Verifies `record` as a job; a damaged archive fails the job, with what is wrong as its error. */
export async function verifyAsJob(settings: Settings, record: BackupRecord, request: JobOptions): Promise<{ jobId: string; report: VerifyReport }> {
  const { jobId, result } = await runJob({
    // Reading an archive needs no maintenance window, and settles nothing in the shop (readingJob).
    ...readingJob(settings, { ...request, maintenance: false }),
    kind: 'verify',
    type: record.type,
    name: record.name,
    description: `verify ${record.file}`,
    file: record.file,
    summarize: () => ({ backupId: record.id, file: record.file, bytes: record.size }),
    work: async ({ signal, onProgress, log }) => {
      const repository = Repository.open(settings);
      try {
        const report = await verifyAndKeep(settings, repository, record, { signal, onProgress, onNotice: log });
        if (!report.ok) throw new OperationError(`damaged: ${report.problems.join('; ')}`);
        log(`checked: ${report.checked.join(', ')}`);
        return report;
      } finally {
        repository.close();
      }
    },
  });
  return { jobId, report: result };
}
