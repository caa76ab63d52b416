// Applying a retention policy to the backup folder. Backups a running job is reading are protected.
import type { StateStore } from '../state/state.js';
import type { ObjectStore } from '../stores/store.js';
import { deleteBackupEverywhere } from '../repository/delete.js';
import { listAllBackups } from '../repository/offsite-catalog.js';
import { planRetention, type RetentionPlan, type RetentionPolicy } from './retention.js';
import type { BackupRecord } from '../shared/types.js';

export interface PruneResult {
  plan: RetentionPlan;
  removed: BackupRecord[];
  kept: BackupRecord[];
}

export async function pruneBackups(
  backupDir: string,
  store: StateStore,
  policy: RetentionPolicy,
  options: { timezone: string; dryRun?: boolean; /** Off-site storage: its backups are pruned too. */ offsite?: ObjectStore },
): Promise<PruneResult> {
  const records = await listAllBackups(backupDir, options.offsite);
  const inUse = new Set((await store.unfinishedJobs()).flatMap((job) => (job.file ? [job.file] : [])));
  const plan = planRetention(
    records.map((r) => ({ id: r.id, time: r.time, type: r.type, protected: inUse.has(r.file) })),
    policy,
    options.timezone,
  );
  const byId = new Map(records.map((r) => [r.id, r]));
  const removed = plan.remove.map((r) => byId.get(r.id)).filter((r): r is BackupRecord => r !== undefined);
  if (!options.dryRun) for (const record of removed) await deleteBackupEverywhere(backupDir, options.offsite, record);
  return { plan, removed, kept: plan.keep.map((k) => byId.get(k.id)).filter((r): r is BackupRecord => r !== undefined) };
}
