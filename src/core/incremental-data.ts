// The data of incremental backups that no backup uses any more, removed after a delete or a prune (the
// deleted backups' snapshot files first, then this): under the job lock, since a backup that runs meanwhile
// has packs no index names yet, and may reuse blobs that would go.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseSnapshot, type SnapshotDocument } from '../archive/content/snapshot-file.js';
import { pruneStore, type StorePruneResult } from '../archive/content/store-prune.js';
import { storeDirOf } from '../archive/content/store-layout.js';
import type { Settings } from '../config/settings.js';
import { isIncrementalFile } from '../repository/naming.js';
import type { RemotePruneResult } from '../repository/offsite-content-prune.js';
import { Repository } from '../repository/repository.js';
import type { BackupRecord } from '../shared/types.js';
import { humanBytes } from '../shared/units.js';
import { newJobId } from './jobs/jobs.js';
import { jobPlacement } from './jobs/lock-db.js';

/**
 * Every snapshot file in the backup folder, whatever its manifest says: a snapshot that is there keeps
 * its data. One that cannot be read stops the removal (nothing is removed): which data it uses is unknown.
 */
async function snapshotsIn(backupDir: string): Promise<SnapshotDocument[]> {
  const names = (await readdir(backupDir)).filter(isIncrementalFile);
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

/** What was removed from the backup folder's store and from the bucket's (each absent when it has none), and what failed. */
export interface RemovedData {
  local?: StorePruneResult;
  offsite?: RemotePruneResult;
  /** One line per part that failed (nothing it would remove is lost: the next run removes it). */
  failures: string[];
}

const hasLocalStore = (backupDir: string) => readdir(storeDirOf(backupDir)).then(() => true, () => false);

/** The bucket's part: the data no backup in the bucket uses. */
async function removeUnusedOffsiteData(settings: Settings): Promise<RemotePruneResult | undefined> {
  const repository = Repository.open(settings);
  try {
    return await repository.pruneOffsiteData();
  } finally {
    repository.close();
  }
}

/** `part`'s result, or undefined with its failure noted in `failures`. */
async function attempt<T>(part: () => Promise<T>, failures: string[]): Promise<T | undefined> {
  try {
    return await part();
  } catch (error) {
    failures.push((error as Error).message);
    return undefined;
  }
}

/**
 * Removes the incremental data no backup uses, under the job lock: in the backup folder's store, and
 * in the bucket's when off-site storage is set (one failing does not stop the other).
 */
export async function removeUnusedData(settings: Settings): Promise<RemovedData> {
  const local = await hasLocalStore(settings.backupDir);
  const failures: string[] = [];
  if (!local && !settings.storage) return { failures };
  const lock = await jobPlacement(settings).lockTaker(newJobId(), 'remove unused incremental data');
  try {
    const removed: RemovedData = { failures };
    if (local) removed.local = await attempt(async () => pruneStore(storeDirOf(settings.backupDir), await snapshotsIn(settings.backupDir)), failures);
    if (settings.storage) removed.offsite = await attempt(() => removeUnusedOffsiteData(settings), failures);
    return removed;
  } finally {
    await lock.release();
  }
}

/** One line about what was removed from the backup folder's store. */
export function describeRemoved(result: StorePruneResult): string {
  const rewritten = result.packsRewritten > 0 ? ` (${result.packsRewritten} of them rewritten without their unused blobs)` : '';
  const unused = result.unusedBlobsKept > 0 ? ` (${result.unusedBlobsKept} unused blobs stay in packs mostly in use)` : '';
  return `incremental data no backup uses: removed ${result.packsRemoved} pack(s)${rewritten}, ${humanBytes(result.bytesRemoved)}; ${result.packsKept} pack(s) kept${unused}`;
}

/** One line about what was removed from the bucket's store. */
export function describeRemovedOffsite(result: RemotePruneResult, location: string): string {
  return `off-site incremental data no backup uses (${location}): removed ${result.packsRemoved} pack(s), ${humanBytes(result.bytesRemoved)}; ${result.packsKept} pack(s) kept`;
}

/**
 * After backups were deleted: when one was incremental, removes the data no backup uses any more (in
 * the backup folder and in the bucket) and tells `say`; a failure (another job holds the lock, the
 * bucket cannot be reached) is only a warning: the next delete or prune does it.
 */
export async function removeDataOfDeleted(settings: Settings, deleted: BackupRecord[], say: (line: string) => void, warn: (line: string) => void): Promise<void> {
  if (!deleted.some((record) => isIncrementalFile(record.file))) return;
  let removed: RemovedData;
  try {
    removed = await removeUnusedData(settings);
  } catch (error) {
    removed = { failures: [(error as Error).message] };
  }
  if (removed.local) say(describeRemoved(removed.local));
  if (removed.offsite && settings.storage) say(describeRemovedOffsite(removed.offsite, settings.storage.url));
  for (const failure of removed.failures) warn(`incremental data no backup uses was not removed: ${failure}; the next delete or prune removes it`);
}
