// Settings for running one shop from several app servers: where the job lock lives
// (LIFEBOAT_JOB_LOCK=file|mysql) and every shop root that gets the maintenance flag
// (LIFEBOAT_MAINTENANCE_ROOTS, comma- or colon-separated; in the config file also a list).
import path from 'node:path';
import { UsageError } from '../shared/errors.js';
import { requireDatabase, type Settings } from './settings.js';

export type JobLockKind = 'file' | 'mysql';

export interface ClusterSettings {
  /** Set only when LIFEBOAT_JOB_LOCK is given; otherwise chosen by `jobLockKind` below. */
  jobLock?: JobLockKind;
  /** Extra shop roots for the maintenance flag, absolute; absent when only LIFEBOAT_ROOT is used. */
  maintenanceRoots?: string[];
}

export function parseClusterSettings(jobLock: string | undefined, roots: string | undefined, baseDir: string): ClusterSettings {
  if (jobLock !== undefined && jobLock !== 'file' && jobLock !== 'mysql') {
    throw new UsageError(`LIFEBOAT_JOB_LOCK must be "file" (a lock file in LIFEBOAT_HOME) or "mysql" (a lock in the shop's MySQL/MariaDB server, for several servers), not "${jobLock}"`);
  }
  const maintenanceRoots = (roots ?? '')
    .split(/[,:]/)
    .map((root) => root.trim())
    .filter(Boolean)
    .map((root) => path.resolve(baseDir, root));
  return { ...(jobLock ? { jobLock } : {}), ...(maintenanceRoots.length ? { maintenanceRoots } : {}) };
}

/**
 * LIFEBOAT_JOB_LOCK when set; otherwise "mysql" when several servers are declared (LIFEBOAT_MAINTENANCE_ROOTS)
 * and the shop's database is MySQL/MariaDB, else "file".
 */
export function jobLockKind(settings: Settings): JobLockKind {
  if (settings.jobLock) return settings.jobLock;
  if (!settings.maintenanceRoots?.length || !settings.databaseUrl) return 'file';
  return requireDatabase(settings).kind === 'mysql' ? 'mysql' : 'file';
}
