// Deleting a backup removes its archive and its manifest (in the backup folder the archive first: if we
// are interrupted, an orphan manifest is ignored, whereas an archive without its manifest would show up
// as foreign). A file archive's file index goes last (an orphan index is never listed). A part that is
// already gone is not an error.
import { folderStore } from './catalog.js';
import { fileIndexName, isIncrementalFile, manifestFileName } from './naming.js';
import { usesKey } from './offsite-content.js';
import type { ObjectStore } from '../stores/store.js';
import type { BackupRecord } from '../shared/types.js';

/** Removes a backup from the backup folder (`folder`, or the local folder at that path). */
export async function deleteBackup(folder: ObjectStore | string, record: BackupRecord): Promise<void> {
  const store = folderStore(folder);
  await store.remove(record.file);
  await store.remove(manifestFileName(record.file));
  if (record.type !== 'db') await store.remove(fileIndexName(record.file));
}

/**
 * Deletes a backup wherever it is (`record.locations`). In the store the manifest goes first: it is what
 * makes the backup listed there, so an interruption leaves an unlisted archive object, never a listed
 * backup without its archive.
 */
export async function deleteBackupEverywhere(folder: ObjectStore | string, store: ObjectStore | undefined, record: BackupRecord): Promise<void> {
  if (store && record.locations?.includes('s3')) {
    await store.remove(manifestFileName(record.file));
    await store.remove(record.file);
    if (record.type !== 'db') await store.remove(fileIndexName(record.file));
    // An incremental backup's record of the packs it uses; the packs go with the next prune of the bucket.
    if (isIncrementalFile(record.file)) await store.remove(usesKey(record.file));
  }
  if (!record.locations || record.locations.includes('local')) await deleteBackup(folder, record);
}
