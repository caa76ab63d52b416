// The shop's backups at a glance (the page's summary above the grid, GET /api/overview): the last good
// backup and whether it is as fresh as the schedule promises, the next scheduled run, the space the
// backups take and what is left on their disk, the off-site copy, the last restore drill and verify, and the sizes
// of recent backups for a small chart.
import { statfs } from 'node:fs/promises';
import { nextRun, type Schedule } from './schedule/schedule.js';
import type { KeptDrills } from './verify/drill-record.js';
import type { VerifyRecord } from './verify/verify-record.js';
import type { BackupRecord } from '../shared/types.js';

/** ok: as fresh as the schedule wants; late: one period overdue; missing: none, or two periods overdue; unscheduled: no schedule to judge by. */
export type Freshness = 'ok' | 'late' | 'missing' | 'unscheduled';

export interface Overview {
  lastBackup: { id: string; type: string; name: string; time: number; size: number } | null;
  ageSeconds: number | null;
  freshness: Freshness;
  schedule: { enabled: boolean; type: string; frequency: string; nextRun: string | null; drill: boolean } | null;
  space: { backups: number; usedBytes: number; freeBytes: number | null };
  offsite: { configured: boolean; missing: number };
  drill: KeptDrills;
  /** The newest verify of any backup (the page's Verify or `lifeboat verify`); null before the first. */
  lastVerify: VerifyRecord | null;
  /** The newest 30 backups, oldest first: when, how large, which type. */
  sizes: { time: number; size: number; type: string }[];
}

const PERIOD_SECONDS = { daily: 24 * 3600, weekly: 7 * 24 * 3600, monthly: 31 * 24 * 3600 };
/** A run may take a while and start a little late: an hour's grace before a backup counts as overdue. */
const GRACE_SECONDS = 3600;

export function freshness(ageSeconds: number | null, schedule: Schedule | undefined): Freshness {
  if (!schedule?.enabled) return ageSeconds === null ? 'missing' : 'unscheduled';
  if (ageSeconds === null) return 'missing';
  const period = PERIOD_SECONDS[schedule.frequency];
  return ageSeconds <= period + GRACE_SECONDS ? 'ok' : ageSeconds <= 2 * period + GRACE_SECONDS ? 'late' : 'missing';
}

export async function overview(input: {
  records: BackupRecord[];
  schedule: Schedule | undefined;
  drills: KeptDrills;
  lastVerify?: VerifyRecord;
  backupDir: string;
  offsiteConfigured: boolean;
  now?: Date;
}): Promise<Overview> {
  const now = input.now ?? new Date();
  const good = input.records.filter((r) => !r.problem).sort((a, b) => b.time - a.time);
  const last = good[0];
  const ageSeconds = last ? Math.max(0, Math.round(now.getTime() / 1000 - last.time)) : null;
  const disk = await statfs(input.backupDir).catch(() => undefined);
  const schedule = input.schedule;
  return {
    lastBackup: last ? { id: last.id, type: last.type, name: last.name, time: last.time, size: last.size } : null,
    ageSeconds,
    freshness: freshness(ageSeconds, schedule),
    schedule: schedule
      ? { enabled: schedule.enabled, type: schedule.type, frequency: schedule.frequency, nextRun: schedule.enabled ? nextRun(schedule, now).toISOString() : null, drill: schedule.drill === true }
      : null,
    space: { backups: input.records.length, usedBytes: input.records.reduce((sum, r) => sum + r.size, 0), freeBytes: disk ? disk.bavail * disk.bsize : null },
    offsite: { configured: input.offsiteConfigured, missing: input.records.filter((r) => r.copyMissing).length },
    drill: input.drills,
    lastVerify: input.lastVerify ?? null,
    sizes: good.slice(0, 30).reverse().map((r) => ({ time: r.time, size: r.size, type: r.type })),
  };
}
