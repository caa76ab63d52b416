// Reading an archive back: the raw bytes (for checksums) and the SQL inside (for restores).
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { parseArchiveFileName } from './naming.js';
import type { BackupRecord } from './types.js';

export function archivePath(backupDir: string, record: BackupRecord): string {
  return path.join(backupDir, record.file);
}

export function isGzipped(record: BackupRecord): boolean {
  if (record.manifest) return record.manifest.archive.compression === 'gzip';
  return parseArchiveFileName(record.file)?.compression !== 'none';
}

/** The uncompressed SQL of a database archive, as a stream of buffers. */
export function openSql(backupDir: string, record: BackupRecord): AsyncIterable<Buffer> {
  const raw = createReadStream(archivePath(backupDir, record), { highWaterMark: 1 << 20 });
  if (!isGzipped(record)) return raw;
  // Concatenated gzip members are read as one stream by Node's gunzip.
  return raw.pipe(createGunzip({ chunkSize: 1 << 20 }));
}
