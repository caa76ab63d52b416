// `lifeboat upload` runs outside a job. Copying an incremental backup sends packs that no uses record
// in the bucket names until the copy ends; a prune of the bucket meanwhile (a delete, a prune, which
// hold the job lock) would remove them. So an upload that holds an incremental backup takes the job
// lock too; other uploads do not (a backup's own copy runs inside its job, which holds it already).
import type { Settings } from '../config/settings.js';
import { isIncrementalFile } from '../repository/naming.js';
import type { BackupRecord } from '../shared/types.js';
import { newJobId } from './jobs/jobs.js';
import { jobPlacement } from './jobs/lock-db.js';

/** Runs `work`, under the job lock when one of `records` is incremental. */
export async function withUploadLock<T>(settings: Settings, records: BackupRecord[], work: () => Promise<T>): Promise<T> {
  if (!records.some((record) => isIncrementalFile(record.file))) return work();
  const lock = await jobPlacement(settings).lockTaker(newJobId(), 'upload incremental backups');
  try {
    return await work();
  } finally {
    await lock.release();
  }
}
