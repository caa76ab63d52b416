import type { Command } from 'commander';
import type { BackupRecord } from '../shared/types.js';
import type { VerifyReport } from '../core/verify/database.js';
import type { Repository } from '../repository/repository.js';
import type { Settings } from '../config/settings.js';
import { progressBar } from './progress.js';
import { settings, stdio, withInterrupts } from './context.js';
import { log } from '../shared/log.js';
import { UsageError } from '../shared/errors.js';

/**
 * Reads the archive and checks it (a backup only off-site is fetched first) and keeps the outcome for the
 * page. A damaged archive, or one that could not be read, is told to the notification channels as a
 * verify job of the page is (not when interrupted: that proved nothing).
 */
async function readAndVerify(config: Settings, repository: Repository, record: BackupRecord, showProgress: boolean, dataSubset: number | undefined): Promise<VerifyReport> {
  const { verifyAndKeep, verifyNotifier } = await import('../core/verify/verify-job.js');
  const bar = progressBar(showProgress);
  const startedAt = new Date().toISOString();
  const tell = (state: 'succeeded' | 'failed', error?: string) =>
    verifyNotifier(config, record, log.warning)({ jobId: `verify of ${record.id}`, state, ...(error ? { error } : {}), startedAt, finishedAt: new Date().toISOString() }).catch(
      (failure: unknown) => log.warning(`notification failed: ${failure instanceof Error ? failure.message : String(failure)}`),
    );
  let interrupted = false;
  try {
    const report = await withInterrupts((signal) => {
      signal.addEventListener('abort', () => (interrupted = true), { once: true });
      return verifyAndKeep(config, repository, record, { signal, onProgress: bar.listener, dataSubset, onNotice: log.warning });
    }).finally(() => bar.done());
    await tell(report.ok ? 'succeeded' : 'failed', report.ok ? undefined : `damaged: ${report.problems.join('; ')}`);
    return report;
  } catch (error) {
    if (!interrupted) await tell('failed', error instanceof Error ? error.message : String(error));
    throw error;
  }
}

/** The verdict in one line: OK on stdout, anything else on stderr. */
async function printVerdict(record: BackupRecord, report: VerifyReport): Promise<void> {
  const { manifestRemedy } = await import('../repository/manifest-binding.js');
  if (record.problem) log.error(`${record.file}: NOT VERIFIED: ${record.problem}; ${manifestRemedy(record)}`);
  else if (report.ok) {
    const note = record.origin === 'foreign' ? ' (no manifest: checksum not known, only the archive itself was checked)' : '';
    stdio.out(`${record.file}: OK (${report.checked.join(', ')})${note}`);
  } else log.error(`${record.file}: DAMAGED: ${report.problems.join('; ')}`);
}

/** `--read-data-subset 10%` (or `10`): a share above 0 and at most 100. */
function parseSubset(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const percent = /^\d+(\.\d+)?%?$/.test(value) ? Number(value.replace('%', '')) : NaN;
  if (!(percent > 0 && percent <= 100)) throw new UsageError(`--read-data-subset must be a share like 10% (above 0, at most 100%), not "${value}"`);
  return percent;
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('re-read a backup and check its size, sha256 and compressed stream (gzip or zstd), and for file archives the tar stream, safe paths and counts (exit 1 when damaged)')
    .argument('<id>', 'the backup id or archive file name')
    .option('--json', 'print the report as JSON')
    .option('--read-data-subset <n%>', 'incremental backups: read and check only this share of the stored pieces (e.g. 10%); the rest is checked as always')
    .action(async (id: string, flags: { json?: boolean; readDataSubset?: string }): Promise<void> => {
      const dataSubset = parseSubset(flags.readDataSubset);
      const config = settings();
      const { Repository } = await import('../repository/repository.js');
      const repository = Repository.open(config);
      let report: VerifyReport;
      let record: BackupRecord;
      try {
        record = await repository.find(id, { onStoreUnreachable: log.warning });
        report = await readAndVerify(config, repository, record, !flags.json, dataSubset);
      } finally {
        repository.close();
      }
      if (flags.json) stdio.out(JSON.stringify(report));
      else await printVerdict(record, report);
      if (!report.ok) process.exitCode = 1;
    });
}
