// What the last verify of each backup found, kept in Lifeboat's state (a setting, like the drills): the
// page shows it in the backup's row ("Verified 2 h ago", "Verify failed: …") and the newest one at a
// glance; it survives a restart of `lifeboat serve`. `lifeboat verify` and the page's Verify keep it alike.
import type { StateStore } from '../../state/state.js';
import type { BackupRecord } from '../../shared/types.js';
import type { VerifyReport } from './database.js';

export const VERIFIES_KEY = 'verifies';

/** Backups whose verify is kept: the oldest results go first (their backups are most likely pruned). */
const KEPT_RESULTS = 1000;

export interface VerifyRecord {
  backupId: string;
  file: string;
  /** The backup's type, name and time (unix seconds): what the page calls it by. */
  type: string;
  name: string;
  time: number;
  ok: boolean;
  finishedAt: string;
  /** What was checked, e.g. ["size", "sha256", "gzip"]. */
  checked: string[];
  /** What was wrong (empty when ok). */
  problems: string[];
}

export interface KeptVerifies {
  /** The newest verify of any backup. */
  last?: VerifyRecord;
  /** By backup id: the last verify of each. */
  byBackup: Record<string, VerifyRecord>;
}

export function verifyRecord(report: VerifyReport, record: BackupRecord, finishedAt = new Date()): VerifyRecord {
  return { backupId: record.id, file: record.file, type: record.type, name: record.name, time: record.time, ok: report.ok, finishedAt: finishedAt.toISOString(), checked: report.checked, problems: report.problems };
}

export async function keptVerifies(store: StateStore): Promise<KeptVerifies> {
  return (await store.getSetting<KeptVerifies>(VERIFIES_KEY)) ?? { byBackup: {} };
}

/** Keeps the verify's outcome as its backup's last one, and as the last one of all. */
export async function keepVerify(store: StateStore, result: VerifyRecord): Promise<void> {
  const kept = await keptVerifies(store);
  const others = Object.values(kept.byBackup)
    .filter((r) => r.backupId !== result.backupId)
    .sort((a, b) => (a.finishedAt < b.finishedAt ? 1 : -1))
    .slice(0, KEPT_RESULTS - 1);
  const byBackup = Object.fromEntries([result, ...others].map((r) => [r.backupId, r]));
  await store.setSetting(VERIFIES_KEY, { last: result, byBackup } satisfies KeptVerifies);
}
