// Applying a retention policy to the backup repository (the backup folder, and the bucket when there is
// one). Backups a running job is reading are protected.
import type { StateStore } from '../../state/state.js';
import type { Repository } from '../../repository/repository.js';
import { planRetention, type RetentionPlan, type RetentionPolicy } from './retention.js';
import type { BackupRecord } from '../../shared/types.js';

export interface PruneResult {
  plan: RetentionPlan;
  removed: BackupRecord[];
  kept: BackupRecord[];
}

/** `store` only tells which backups running jobs read (a dry run where there is no state passes none). */
export async function pruneBackups(repository: Repository, store: Pick<StateStore, 'unfinishedJobs'>, policy: RetentionPolicy, options: { timezone: string; dryRun?: boolean }): Promise<PruneResult> {
  // What is deleted is decided from a fresh listing, never from one cached by a dry run before.
  const records = await repository.list({ fresh: !options.dryRun });
  const inUse = new Set((await store.unfinishedJobs()).flatMap((job) => (job.file ? [job.file] : [])));
  const plan = planRetention(
    records.map((r) => ({ id: r.id, time: r.time, type: r.type, protected: inUse.has(r.file) })),
    policy,
    options.timezone,
  );
  const byId = new Map(records.map((r) => [r.id, r]));
  const removed = plan.remove.map((r) => byId.get(r.id)).filter((r): r is BackupRecord => r !== undefined);
  if (!options.dryRun) for (const record of removed) await repository.delete(record);
  return { plan, removed, kept: plan.keep.map((k) => byId.get(k.id)).filter((r): r is BackupRecord => r !== undefined) };
}
