// Scheduled backups with several app servers: every server may run `lifeboat cron` (or `serve`'s
// scheduler) at the same moment, but each keeps its own state, so the claim in the local state cannot
// stop the others. Across servers an occurrence is claimed with a database lock named after it; the
// server that gets it first checks that no backup for the occurrence exists yet (in the shared backup
// folder or the off-site store: one may have finished before the others started) and runs it.
import type { Settings } from '../../config/settings.js';
import type { MysqlTarget } from '../../engines/target.js';
import { dbLockName, describeDbLockHolder, takeDbLock } from '../../engines/mysql/named-lock.js';
import { jobLockDatabase } from '../jobs/lock-db.js';
import { filterBackupName } from '../../repository/naming.js';
import { Repository } from '../../repository/repository.js';
import { occurrenceKey, type Schedule } from './schedule.js';
import { scheduledName, type SharedClaim } from './scheduled.js';
import type { BackupRecord } from '../../shared/types.js';

/** The scheduled backup written for the occurrence due at `due`, if one exists (started at or after it). */
export async function findOccurrenceBackup(settings: Settings, schedule: Schedule, due: Date): Promise<BackupRecord | undefined> {
  const repository = Repository.open(settings);
  try {
    const name = filterBackupName(scheduledName(schedule));
    const records = await repository.list();
    return records.find((record) => record.type === schedule.type && record.name === name && record.time * 1000 >= due.getTime());
  } finally {
    repository.close();
  }
}

async function claimOccurrence(settings: Settings, target: MysqlTarget, schedule: Schedule, due: Date): Promise<SharedClaim> {
  const name = dbLockName(target.database, `schedule@${occurrenceKey(due)}`);
  const held = await takeDbLock(target, name);
  if (!held) {
    const holder = await describeDbLockHolder(target, name).catch(() => undefined);
    return { status: 'running-elsewhere', holder: holder ?? 'another server, which has just finished' };
  }
  try {
    const done = await findOccurrenceBackup(settings, schedule, due);
    if (done) {
      await held.release();
      return { status: 'ran-elsewhere', file: done.file };
    }
  } catch (error) {
    await held.release();
    throw error;
  }
  return { status: 'claimed', release: () => held.release() };
}

/** The cross-server claim when the job lock is in the database (several servers); undefined on one server. */
export function sharedOccurrenceClaimer(settings: Settings): ((schedule: Schedule, due: Date) => Promise<SharedClaim>) | undefined {
  const target = jobLockDatabase(settings);
  if (!target) return undefined;
  return (schedule, due) => claimOccurrence(settings, target, schedule, due);
}
