// Deleting a backup removes its archive and its manifest (the archive first: if we are interrupted,
// an orphan manifest is ignored, whereas an archive without its manifest would show up as foreign).
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { manifestFileName } from './naming.js';
import type { ObjectStore } from '../stores/store.js';
import type { BackupRecord } from '../shared/types.js';

export async function deleteBackup(backupDir: string, record: BackupRecord): Promise<void> {
  await unlink(path.join(backupDir, record.file));
  await unlink(path.join(backupDir, manifestFileName(record.file))).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

/**
 * Deletes a backup wherever it is (`record.locations`). In the store the manifest goes first: it is what
 * makes the backup listed there, so an interruption leaves an unlisted archive object, never a listed
 * backup without its archive.
 */
export async function deleteBackupEverywhere(backupDir: string, store: ObjectStore | undefined, record: BackupRecord): Promise<void> {
  if (store && record.locations?.includes('s3')) {
    await store.remove(manifestFileName(record.file));
    await store.remove(record.file);
  }
  if (!record.locations || record.locations.includes('local')) await deleteBackup(backupDir, record);
}
