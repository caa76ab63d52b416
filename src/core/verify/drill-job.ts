// A restore drill run as a job, from the command line or after a scheduled backup: it takes the job lock
// (a drill restores a whole database beside the shop: it must not share the server's disk and the
// binary log with a backup or a rollback, nor have its archive pruned meanwhile), is listed by `lifeboat
// jobs` and the page, can be cancelled, and its outcome is kept (drill-record.ts) whether it passed,
// failed or could not run. A drill that finds a table not as recorded is a failed job, with the tables
// named: `lifeboat jobs` must not say "succeeded" of a backup that does not restore.
import { requireDatabase, type Settings } from '../../config/settings.js';
import { Repository } from '../../repository/repository.js';
import { holdsDatabase, type BackupRecord } from '../../shared/types.js';
import { runJob } from '../jobs/jobs.js';
import { shopJob, type JobOptions } from '../operations.js';
import { drillDatabase, tablesThatDiffer, type DrillResult } from './drill.js';
import { drillTreeBackup } from './tree-drill.js';
import { drillRecord, keepDrill } from './drill-record.js';
import { damagedPart } from './archive-damage.js';

export async function drillBackup(settings: Settings, record: BackupRecord, request: JobOptions): Promise<{ jobId: string; result: DrillResult }> {
  // A code backup holds no database: it needs none to be drilled.
  const target = holdsDatabase(record.type) ? requireDatabase(settings) : undefined;
  const startedAt = new Date();
  let kept = false;
  const keep = async (result: DrillResult) => {
    kept = true;
    await keepDrill(settings, drillRecord(record, result), record.type, startedAt, request.onNotice);
  };
  const { jobId, result } = await runJob<DrillResult>({
    // A drill never puts the shop into maintenance: it does not touch it. It is not a reading job
    // (operations.ts, readingJob): it writes a scratch database on the shop's server, so it settles what
    // dead jobs left there first, as the other jobs that write do.
    ...shopJob(settings, { ...request, maintenance: false }),
    kind: 'drill',
    type: record.type,
    description: `drill ${record.file}`,
    file: record.file,
    summarize: () => ({ backupId: record.id, file: record.file }),
    // A cancelled drill proved nothing either way: only a drill that ran, or could not, is kept.
    onDone: async (outcome) => {
      if (kept || outcome.state !== 'failed') return;
      const differing = [`the drill could not run: ${outcome.error ?? 'unknown error'}`];
      await keepDrill(settings, { backupId: record.id, file: record.file, ok: false, finishedAt: outcome.finishedAt, seconds: 0, tables: 0, rows: 0, differing }, record.type, startedAt, request.onNotice);
    },
    work: async ({ signal, onProgress, log }) => {
      const repository = Repository.open(settings);
      try {
        await repository.secret(); // a bad key file fails before anything is read
        const onNotice = (line: string) => {
          request.onNotice?.(line);
          log(line);
        };
        const drill = (archiveDir: string, whole: BackupRecord) =>
          whole.type === 'db' ? drillDatabase(target!, archiveDir, whole, { signal, onProgress, onNotice }) : drillTreeBackup(target, archiveDir, settings.home, whole, { signal, onProgress, onNotice });
        const result = await repository.withLocalCopy(record, drill, { signal, onProgress });
        await keep(result);
        if (!result.ok) throw new DrillFailedError(result);
        log(`the backup restores: ${result.tables.length} tables${result.tree ? `, ${result.tree.counts.files} files` : ''} as recorded`);
        if (result.tree?.notCompared) log(result.tree.notCompared);
        return result;
      } finally {
        repository.close();
      }
    },
  });
  return { jobId, result };
}

/** A drill that ran and found tables not as recorded: the job fails, and the result goes with the error. */
export class DrillFailedError extends Error {
  constructor(readonly result: DrillResult) {
    super(
      result.damaged
        ? `${result.file} is damaged in ${damagedPart(result.damaged)}: nothing was restored`
        : result.tree?.damaged
        ? `${result.file} is damaged: ${result.tree.damaged}`
        : `${result.file} does not restore as recorded: ${tablesThatDiffer(result).join(', ')}`,
    );
  }
}
