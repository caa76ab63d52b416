// Where an archive is and how it is compressed (checked-sql.ts reads the SQL inside for restores).
import path from 'node:path';
import { parseArchiveFileName } from './naming.js';
import type { BackupRecord } from './types.js';

export function archivePath(backupDir: string, record: BackupRecord): string {
  return path.join(backupDir, record.file);
}

export function isGzipped(record: BackupRecord): boolean {
  if (record.manifest) return record.manifest.archive.compression === 'gzip';
  return parseArchiveFileName(record.file)?.compression !== 'none';
}
