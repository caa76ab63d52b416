// Deleting a backup removes its archive and its manifest (the archive first: if we are interrupted,
// an orphan manifest is ignored, whereas an archive without its manifest would show up as foreign).
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { manifestFileName } from './naming.js';
import type { BackupRecord } from './types.js';

export async function deleteBackup(backupDir: string, record: BackupRecord): Promise<void> {
  await unlink(path.join(backupDir, record.file));
  await unlink(path.join(backupDir, manifestFileName(record.file))).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}
