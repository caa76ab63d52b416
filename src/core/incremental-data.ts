// The data of incremental backups that no backup uses any more, removed after a delete or a prune (the
// deleted backups' snapshot files first, then this): under the job lock, since a backup that runs meanwhile
// has packs no index names yet, and may reuse blobs that would go.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseSnapshot, type SnapshotDocument } from '../archive/content/snapshot-file.js';
import { pruneStore, type StorePruneResult } from '../archive/content/store-prune.js';
import { storeDirOf } from '../archive/content/store-layout.js';
import type { Settings } from '../config/settings.js';
import { INCREMENTAL_EXTENSION } from '../repository/naming.js';
import type { BackupRecord } from '../shared/types.js';
import { humanBytes } from '../shared/units.js';
import { newJobId } from './jobs/jobs.js';
import { jobPlacement } from './jobs/lock-db.js';

/**
 * Every snapshot file in the backup folder, whatever its manifest says: a snapshot that is there keeps
 * its data. One that cannot be read stops the removal (nothing is removed): which data it uses is unknown.
 */
async function snapshotsIn(backupDir: string): Promise<SnapshotDocument[]> {
  const names = (await readdir(backupDir)).filter((name) => name.endsWith(`.${INCREMENTAL_EXTENSION}`));
  const snapshots: SnapshotDocument[] = [];
  for (const name of names) {
    try {
      snapshots.push(parseSnapshot(await readFile(path.join(backupDir, name), 'utf8'), name));
    } catch (error) {
      throw new Error(`${(error as Error).message}; no incremental data was removed, since what it uses is unknown (move the file away if it is not a backup)`);
    }
  }
  return snapshots;
}

/** Removes the incremental data no backup uses; undefined when the backup folder has no content store. */
export async function removeUnusedData(settings: Settings): Promise<StorePruneResult | undefined> {
  const storeDir = storeDirOf(settings.backupDir);
  if (!(await readdir(storeDir).then(() => true, () => false))) return undefined;
  const lock = await jobPlacement(settings).lockTaker(newJobId(), 'remove unused incremental data');
  try {
    return await pruneStore(storeDir, await snapshotsIn(settings.backupDir));
  } finally {
    await lock.release();
  }
}

/** One line about what was removed. */
export function describeRemoved(result: StorePruneResult): string {
  const rewritten = result.packsRewritten > 0 ? ` (${result.packsRewritten} of them rewritten without their unused blobs)` : '';
  const unused = result.unusedBlobsKept > 0 ? ` (${result.unusedBlobsKept} unused blobs stay in packs mostly in use)` : '';
  return `incremental data no backup uses: removed ${result.packsRemoved} pack(s)${rewritten}, ${humanBytes(result.bytesRemoved)}; ${result.packsKept} pack(s) kept${unused}`;
}

/**
 * After backups were deleted: when one was incremental, removes the data no backup uses any more and
 * tells `say`; a failure (another job holds the lock) is only a warning: the next delete or prune does it.
 */
export async function removeDataOfDeleted(settings: Settings, deleted: BackupRecord[], say: (line: string) => void, warn: (line: string) => void): Promise<void> {
  if (!deleted.some((record) => record.file.endsWith(`.${INCREMENTAL_EXTENSION}`))) return;
  try {
    const result = await removeUnusedData(settings);
    if (result) say(describeRemoved(result));
  } catch (error) {
    warn(`incremental data no backup uses was not removed: ${(error as Error).message}; the next delete or prune removes it`);
  }
}
