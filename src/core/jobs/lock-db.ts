// The job lock when several app servers run jobs for one shop: the lock file in Lifeboat's home (which
// names the job, for this server) plus a named lock in the shop's MySQL/MariaDB server, which every
// server sees. The database frees the lock when the connection holding it ends, so a server that
// crashes never leaves the shop locked.
import { requireDatabase, type Settings } from '../../config/settings.js';
import { jobLockKind } from '../../config/cluster.js';
import { describeTarget, type MysqlTarget } from '../../engines/target.js';
import { dbLockName, describeDbLockHolder, takeDbLock, type HeldDbLock } from '../../engines/mysql/named-lock.js';
import { OperationError, UsageError } from '../../shared/errors.js';
import { acquireJobLock, type JobLock } from './lock.js';
import { maintenanceRootsOf } from '../maintenance/roots.js';

/** Takes the job lock for a job; throws an OperationError naming the holder when it is busy. */
export type JobLockTaker = (jobId: string, description: string) => Promise<JobLock>;

/** The MySQL/MariaDB target holding the job lock, or undefined when the lock file alone is used. */
export function jobLockDatabase(settings: Settings): MysqlTarget | undefined {
  if (jobLockKind(settings) === 'file') return undefined;
  const target = settings.databaseUrl ? requireDatabase(settings) : undefined;
  if (target?.kind !== 'mysql') {
    throw new UsageError('LIFEBOAT_JOB_LOCK=mysql needs a MySQL/MariaDB shop database (LIFEBOAT_DATABASE_URL=mysql://...); for an SQLite shop use LIFEBOAT_JOB_LOCK=file');
  }
  return target;
}

export function jobLockTaker(settings: Settings): JobLockTaker {
  const target = jobLockDatabase(settings);
  if (!target) return (jobId, description) => acquireJobLock(settings.home, jobId, description);
  return (jobId, description) => acquireDatabaseJobLock(settings.home, target, jobId, description);
}

export async function acquireDatabaseJobLock(home: string, target: MysqlTarget, jobId: string, description: string): Promise<JobLock> {
  // This server's own jobs are told apart by the lock file, whose refusal names the running job.
  const local = await acquireJobLock(home, jobId, description);
  const name = dbLockName(target.database);
  let held: HeldDbLock | undefined;
  try {
    held = await takeDbLock(target, name);
  } catch (error) {
    await local.release();
    throw new OperationError(
      `cannot take the job lock "${name}" in ${describeTarget(target)}: ${(error as Error).message}; check LIFEBOAT_DATABASE_URL, or use LIFEBOAT_JOB_LOCK=file on a single server`,
    );
  }
  if (!held) {
    await local.release();
    const holder = await describeDbLockHolder(target, name).catch(() => undefined);
    throw new OperationError(
      `another job is running on this shop from another server: the database lock "${name}" is held by ${holder ?? 'a connection that just let it go'}; wait for it, or find it with "lifeboat jobs" on that server and stop it with "lifeboat cancel JOB"`,
    );
  }
  const db = held;
  return {
    owner: local.owner,
    ...(local.tookOver ? { tookOver: local.tookOver } : {}),
    lost: db.lost,
    release: async () => {
      await db.release();
      await local.release();
    },
  };
}

/** What a job needs to know about the other servers: how to lock, and which roots get the maintenance flag. */
export function jobPlacement(settings: Settings): { lockTaker: JobLockTaker; maintenanceRoots: string[] } {
  return { lockTaker: jobLockTaker(settings), maintenanceRoots: maintenanceRootsOf(settings) };
}
