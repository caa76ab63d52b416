// The scheduler: `runScheduledOnce` is what `lifeboat cron` does and what `lifeboat serve` does each
// minute. A due occurrence runs once (claimed in the state), queued behind a running job; retention is
// applied after a success; missed runs are notified here, a job's own end by the job (operations.ts).
import type { StateStore } from '../../state/state.js';
import type { Settings } from '../../config/settings.js';
import type { BackupRecord } from '../../shared/types.js';
import { notify, type JobEvent } from '../notify/notify.js';
import type { NotifyConfig } from '../../config/notify-config.js';
import { effectiveNotify } from '../notify/settings.js';
import { shopName, takeBackup } from '../operations.js';
import { Repository } from '../../repository/repository.js';
import { pruneBackups } from './prune.js';
import { removeDataOfDeleted } from '../incremental-data.js';
import { findMissedOccurrence, runDueOccurrence } from './scheduled.js';
import { sharedOccurrenceClaimer } from './shared.js';

export interface ScheduledRunReport {
  status: 'no-schedule' | 'disabled' | 'not-due' | 'already-ran' | 'running-elsewhere' | 'ran-elsewhere' | 'succeeded' | 'failed';
  message: string;
  occurrence?: string;
  file?: string;
  pruned?: number;
  /** Set when the schedule drills its backups: whether the drill found every table as recorded. */
  drilled?: boolean;
  error?: string;
  /** An occurrence that was missed (reported once). */
  missed?: string;
}

/** A scheduled run missed by more than this is reported as missed. */
const MISSED_GRACE_MS = 60 * 60 * 1000;


async function send(config: NotifyConfig | undefined, event: JobEvent, onNotice?: (line: string) => void): Promise<void> {
  if (!config) return;
  for (const result of await notify(config, event)) {
    if (!result.ok) onNotice?.(`notification failed: ${result.error}`);
  }
}

export async function runScheduledOnce(
  settings: Settings,
  store: StateStore,
  now: Date,
  options: { signal?: AbortSignal; onNotice?: (line: string) => void } = {},
): Promise<ScheduledRunReport> {
  const started = new Date().toISOString();
  const missed = await findMissedOccurrence(store, now, MISSED_GRACE_MS);
  if (missed) {
    await send(
      await effectiveNotify(settings, store),
      { shop: shopName(settings), jobId: '-', kind: 'missed-schedule', state: 'failed', error: `the scheduled backup due at ${missed} did not run`, startedAt: started, finishedAt: started },
      options.onNotice,
    );
  }
  const outcome = await runDueOccurrence({
    store,
    now,
    claimShared: sharedOccurrenceClaimer(settings),
    runBackup: async (schedule, name) => {
      const result = await takeBackup(settings, {
        type: schedule.type,
        name,
        maintenance: schedule.maintenance,
        trigger: 'schedule',
        waitForLock: true,
        signal: options.signal,
        onNotice: options.onNotice,
      });
      return result.record;
    },
    drill: (record) => drillScheduled(settings, record, options),
    prune: async (policy, schedule) => {
      const repository = Repository.open(settings);
      try {
        const { removed } = await pruneBackups(repository, store, policy, { timezone: schedule.timezone });
        const notice = options.onNotice ?? (() => undefined);
        await removeDataOfDeleted(settings, removed, notice, notice);
        return removed.length;
      } finally {
        repository.close();
      }
    },
  });
  const base = { ...(missed ? { missed } : {}) };
  switch (outcome.status) {
    case 'no-schedule':
      return { ...base, status: outcome.status, message: 'no schedule is set; nothing to do' };
    case 'disabled':
      return { ...base, status: outcome.status, message: 'the schedule is disabled; nothing to do' };
    case 'not-due':
      return { ...base, status: outcome.status, message: 'no scheduled backup is due yet' };
    case 'already-ran':
      // With a shared state the claim may be another server's, whose backup may still be running.
      return {
        ...base,
        status: outcome.status,
        occurrence: outcome.occurrence,
        message: settings.stateTarget
          ? `the backup due at ${outcome.occurrence} was claimed already, by this server or another one sharing the state; nothing to do here`
          : `the backup due at ${outcome.occurrence} has already run`,
      };
    case 'running-elsewhere':
      return { ...base, status: outcome.status, occurrence: outcome.occurrence, message: `the backup due at ${outcome.occurrence} is being run by another server (${outcome.holder}); nothing to do here` };
    case 'ran-elsewhere':
      return { ...base, status: outcome.status, occurrence: outcome.occurrence, file: outcome.file, message: `the backup due at ${outcome.occurrence} has already run on another server: ${outcome.file}` };
    case 'succeeded': {
      const { record } = outcome;
      return {
        ...base,
        status: 'succeeded',
        occurrence: outcome.occurrence,
        file: record.file,
        pruned: outcome.pruned,
        ...(outcome.drilled !== undefined ? { drilled: outcome.drilled } : {}),
        message: `scheduled backup for ${outcome.occurrence} written: ${record.file}${drillWords(outcome.drilled)}${outcome.pruned ? `; pruned ${outcome.pruned} old backup(s)` : ''}`,
      };
    }
    case 'failed': {
      return { ...base, status: 'failed', occurrence: outcome.occurrence, error: outcome.error.message, message: `scheduled backup for ${outcome.occurrence} failed: ${outcome.error.message}` };
    }
  }
}

function drillWords(drilled: boolean | undefined): string {
  return drilled === undefined ? '' : drilled ? '; the drill restored it as recorded' : '; THE DRILL DID NOT RESTORE IT AS RECORDED (see lifeboat drill)';
}

/**
 * The drill after a scheduled backup, as a job of its own (drill-job.ts: its outcome is kept and a
 * failure notified, also when it could not run at all); it never fails the backup.
 */
async function drillScheduled(settings: Settings, record: BackupRecord, options: { signal?: AbortSignal; onNotice?: (line: string) => void }): Promise<boolean> {
  const { drillBackup } = await import('../verify/drill-job.js');
  try {
    const { result } = await drillBackup(settings, record, { trigger: 'schedule', waitForLock: true, ...options });
    return result.ok;
  } catch (error) {
    options.onNotice?.(`the drill of ${record.file} failed: ${(error as Error).message}`);
    return false;
  }
}

