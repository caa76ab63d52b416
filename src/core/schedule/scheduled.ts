// Running the schedule: find the most recent due occurrence, claim it (so `lifeboat cron` run twice, or
// by two processes, runs it once), take the backup as a queued-if-busy job, apply retention, notify.
// The same function serves `lifeboat cron` (once) and the scheduler inside `lifeboat serve` (a loop).
import type { StateStore } from '../../state/state.js';
import type { RetentionPolicy } from './retention.js';
import { lastDueRun, occurrenceKey, parseScheduleInput, type Schedule } from './schedule.js';
import type { BackupRecord } from '../../shared/types.js';

export const SCHEDULE_KEY = 'schedule';

/** The saved schedule plus when it was saved (so a schedule saved at 10:00 for 02:00 does not run at once). */
export type SavedSchedule = Schedule & { savedAt: string };

export async function loadSchedule(store: StateStore): Promise<SavedSchedule | undefined> {
  const saved = await store.getSetting<SavedSchedule>(SCHEDULE_KEY);
  // The type is parsed again: schedules saved by earlier versions spell a System backup `snapshot`.
  return saved ? { ...parseScheduleInput({ type: saved.type }, saved), savedAt: saved.savedAt } : undefined;
}

export interface ScheduledRunDeps {
  store: StateStore;
  now: Date;
  /** Takes the backup (as a job that waits for a running one). */
  runBackup(schedule: Schedule, name: string): Promise<BackupRecord>;
  /** Applies the retention policy after a successful scheduled backup. */
  prune?(policy: RetentionPolicy, schedule: Schedule): Promise<number>;
  /** A restore drill of the new backup (Schedule.drill): whether every table came back as recorded. */
  drill?(record: BackupRecord): Promise<boolean>;
  /**
   * With several app servers: claims the occurrence for this server across all of them (see
   * shared.ts). Absent on a single server, where the claim in the local state is enough.
   */
  claimShared?(schedule: Schedule, due: Date): Promise<SharedClaim>;
}

/** The outcome of claiming an occurrence across servers. */
export type SharedClaim =
  | { status: 'claimed'; release(): Promise<void> }
  | { status: 'running-elsewhere'; holder: string }
  | { status: 'ran-elsewhere'; file: string };

export type ScheduledOutcome =
  | { status: 'no-schedule' | 'disabled' | 'not-due' }
  | { status: 'already-ran'; occurrence: string }
  | { status: 'running-elsewhere'; occurrence: string; holder: string }
  | { status: 'ran-elsewhere'; occurrence: string; file: string }
  | { status: 'succeeded'; occurrence: string; record: BackupRecord; pruned: number; drilled?: boolean }
  | { status: 'failed'; occurrence: string; error: Error };

/** Scheduled backups say so in their name (Magento called them "WebSetupWizard"). */
export function scheduledName(schedule: Schedule): string {
  return `scheduled ${schedule.frequency}`;
}

export async function runDueOccurrence(deps: ScheduledRunDeps): Promise<ScheduledOutcome> {
  const schedule = await loadSchedule(deps.store);
  if (!schedule) return { status: 'no-schedule' };
  if (!schedule.enabled) return { status: 'disabled' };
  const due = lastDueRun(schedule, deps.now, new Date(schedule.savedAt));
  if (!due) return { status: 'not-due' };
  const occurrence = occurrenceKey(due);
  if (!(await deps.store.claimOccurrence(`${schedule.type}@${occurrence}`, 'pending'))) return { status: 'already-ran', occurrence };
  const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));
  let shared: SharedClaim | undefined;
  try {
    shared = await deps.claimShared?.(schedule, due);
  } catch (error) {
    return { status: 'failed', occurrence, error: asError(error) };
  }
  if (shared?.status === 'running-elsewhere') return { status: 'running-elsewhere', occurrence, holder: shared.holder };
  if (shared?.status === 'ran-elsewhere') return { status: 'ran-elsewhere', occurrence, file: shared.file };
  try {
    let record: BackupRecord;
    try {
      record = await deps.runBackup(schedule, scheduledName(schedule));
    } catch (error) {
      return { status: 'failed', occurrence, error: asError(error) };
    }
    // The drill comes before the pruning: it restores the new backup, which retention always keeps.
    const drilled = schedule.drill && deps.drill ? await deps.drill(record) : undefined;
    const pruned = schedule.retention && deps.prune ? await deps.prune(schedule.retention, schedule) : 0;
    return { status: 'succeeded', occurrence, record, pruned, ...(drilled !== undefined ? { drilled } : {}) };
  } finally {
    await shared?.release();
  }
}

/**
 * An occurrence that should have run more than `graceMs` ago and has not (the machine was off, cron is
 * not installed, the server was down): returned once, for an alert. It still runs late as the most
 * recent due occurrence unless a newer one supersedes it.
 */
export async function findMissedOccurrence(store: StateStore, now: Date, graceMs: number): Promise<string | undefined> {
  const schedule = await loadSchedule(store);
  if (!schedule?.enabled) return undefined;
  const due = lastDueRun(schedule, new Date(now.getTime() - graceMs), new Date(schedule.savedAt));
  if (!due) return undefined;
  const key = `${schedule.type}@${occurrenceKey(due)}`;
  if (await store.isOccurrenceClaimed(key)) return undefined;
  return (await store.claimOccurrence(`missed-alert:${key}`, 'alert')) ? occurrenceKey(due) : undefined;
}
