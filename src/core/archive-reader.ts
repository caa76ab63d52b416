// Where an archive is and how it is compressed (checked-sql.ts reads the SQL inside for restores).
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { parseArchiveFileName } from '../repository/naming.js';
import type { BackupRecord } from '../shared/types.js';

export function archivePath(backupDir: string, record: BackupRecord): string {
  return path.join(backupDir, record.file);
}

export function isGzipped(record: BackupRecord): boolean {
  if (record.manifest) return record.manifest.archive.compression === 'gzip';
  return parseArchiveFileName(record.file)?.compression !== 'none';
}

/** The SQL of a dump file, decompressed when `gzipped`, in 1 MiB pieces (a read error ends it with that error). */
export function readSqlFile(file: string, gzipped: boolean): AsyncIterable<Buffer> {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  if (!gzipped) return raw;
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  raw.on('error', (error) => gunzip.destroy(error));
  return raw.pipe(gunzip);
}
