// The list of backups when off-site storage is configured: the backup folder's and the store's, merged
// by archive file name, each with where it is (`locations`). In the store a backup counts only when its
// manifest is there and its archive object has the size the manifest says: an upload that failed
// half-way is never listed. An archive object beside a manifest that is not its own is listed with its
// `problem`, as in the backup folder (manifest-binding.ts). A Lifeboat backup only in the backup folder
// is marked `copyMissing`: its copy failed (or was taken before storage was configured); `lifeboat
// upload` makes it.
import { readObject, type ObjectStore } from '../stores/store.js';
import { folderStore, listFolderBackups, pickBackup } from './catalog.js';
import { OperationError, UsageError } from '../shared/errors.js';
import { requireBoundManifest } from './manifest-binding.js';
import { MANIFEST_SUFFIX, parseArchiveFileName } from './naming.js';
import { finishedAtOf, remoteRecordOf } from './offsite-manifest.js';
import type { BackupRecord } from '../shared/types.js';

/** The complete backups in the store, and the archive objects whose manifest is not their own (with `problem`). */
export async function listOffsiteBackups(store: ObjectStore): Promise<BackupRecord[]> {
  const objects = await store.list('', { shallow: true });
  const sizes = new Map(objects.map((o) => [o.key, o.size]));
  const records: BackupRecord[] = [];
  for (const object of objects) {
    if (!object.key.endsWith(MANIFEST_SUFFIX)) continue;
    const file = object.key.slice(0, -MANIFEST_SUFFIX.length);
    if (!parseArchiveFileName(file)) continue;
    // A manifest that vanished since the listing (deleted meanwhile) or cannot be read is not a backup.
    const text = await readObject(store, object.key).then((bytes) => bytes.toString('utf8'), () => undefined);
    const record = text === undefined ? undefined : remoteRecordOf(text, file, sizes.get(file));
    if (record) records.push(record);
  }
  return records;
}

/** Why the store could not be listed, in one line. */
function unreachableStore(store: ObjectStore, error: unknown): string {
  const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  return `off-site storage ${store.location} cannot be listed (${reason})`;
}

export interface ListOptions {
  /**
   * Called instead of failing when the store cannot be listed: the backup folder's backups are then
   * returned alone, without `locations`. For showing a list only, never for deciding what to delete.
   */
  onStoreUnreachable?: (line: string) => void;
}

/**
 * The backup folder's backups (`folder`: its store, or its path) and, when a store is given, the
 * store's, merged and newest first.
 */
export async function listAllBackups(folder: ObjectStore | string, store: ObjectStore | undefined, options: ListOptions = {}): Promise<BackupRecord[]> {
  const local = await listFolderBackups(folderStore(folder));
  if (!store) return local;
  let offsite: BackupRecord[];
  try {
    offsite = await listOffsiteBackups(store);
  } catch (error) {
    if (!options.onStoreUnreachable) throw error;
    options.onStoreUnreachable(`${unreachableStore(store, error)}; showing the backup folder only`);
    return local;
  }
  return mergeListings(local, offsite);
}

/** The backup folder's and the store's backups merged by file name, each with `locations`, newest first. */
function mergeListings(local: BackupRecord[], offsite: BackupRecord[]): BackupRecord[] {
  const remote = new Map(offsite.map((r) => [r.file, r]));
  const merged: BackupRecord[] = local.map((record) => {
    const copy = remote.get(record.file);
    remote.delete(record.file);
    // The same backup in both places (same id, each vouched for by its manifest), or a local archive only.
    const both = copy && copy.id === record.id && !copy.problem && !record.problem;
    if (both) return { ...record, locations: ['local', 's3'] };
    // Every Lifeboat backup is copied off-site when storage is configured; archives Lifeboat did not
    // make (no manifest) are never copied, so they miss nothing.
    return { ...record, locations: ['local'], ...(record.origin === 'lifeboat' ? { copyMissing: true } : {}) };
  });
  merged.push(...remote.values());
  return merged.sort((a, b) => b.time - a.time || finishedAtOf(b).localeCompare(finishedAtOf(a)) || a.file.localeCompare(b.file));
}

/**
 * Finds a backup by id, id prefix or file name, in the backup folder and the store. When the store cannot
 * be listed, a backup in the folder is still found (an outage of the bucket must not block a rollback
 * from the local copy); `onStoreUnreachable` is told.
 */
export async function findAnyBackup(folder: ObjectStore | string, store: ObjectStore | undefined, idOrFile: string, options: ListOptions = {}): Promise<BackupRecord> {
  const backups = folderStore(folder);
  const backupDir = backups.location;
  const local = await listFolderBackups(backups);
  if (!store) return pickBackup(local, idOrFile, backupDir);
  let offsite: BackupRecord[];
  try {
    offsite = await listOffsiteBackups(store);
  } catch (error) {
    const unreachable = unreachableStore(store, error);
    let record: BackupRecord;
    try {
      record = pickBackup(local, idOrFile, backupDir);
    } catch (notFound) {
      throw new OperationError(`${(notFound as Error).message}, and ${unreachable}`);
    }
    options.onStoreUnreachable?.(`${unreachable}; showing the backup folder only`);
    return record;
  }
  return pickBackup(mergeListings(local, offsite), idOrFile, `${backupDir} or ${store.location}`);
}

/** Where a backup is, for the WHERE column: `local`, `s3`, `local+s3`, or `local (copy missing)`. */
export function whereLabel(record: BackupRecord): string {
  const where = record.locations?.join('+') ?? 'local';
  return record.copyMissing ? `${where} (copy missing)` : where;
}

/**
 * What `lifeboat upload` copies: the backup `idOrFile` names, or (when undefined) every backup whose
 * copy is missing, and every archive in the backup folder whose manifest is not its own (its upload
 * refuses it, so that it is reported). A backup that is complete in both places is left out; one that
 * cannot be copied (only off-site, or not made by Lifeboat) is a usage error.
 */
export function backupsToUpload(records: BackupRecord[], idOrFile: string | undefined, where: string): BackupRecord[] {
  if (idOrFile === undefined) return records.filter((r) => r.copyMissing || (r.problem !== undefined && r.locations?.includes('local')));
  const record = pickBackup(records, idOrFile, where);
  if (!record.locations?.includes('local')) throw new UsageError(`${record.file} is not in the backup folder, only off-site; there is nothing to upload`);
  requireBoundManifest(record, 'upload it');
  if (record.origin !== 'lifeboat') throw new UsageError(`${record.file} has no manifest (Lifeboat did not make it); only Lifeboat's backups are copied off-site`);
  return record.locations.includes('s3') ? [] : [record];
}
