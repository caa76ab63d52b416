// Where an archive is and how it is compressed (checked-sql.ts reads the SQL inside for restores).
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { Codec } from '../archive/codec/codec.js';
import { codecNamed, DEFAULT_CODEC } from '../archive/codec/registry.js';
import { readChain } from '../archive/filter-chain.js';
import { parseArchiveFileName } from '../repository/naming.js';
import type { BackupRecord } from '../shared/types.js';

export function archivePath(backupDir: string, record: BackupRecord): string {
  return path.join(backupDir, record.file);
}

/** The archive's codec: the manifest's, else the file name's; undefined for Magento's plain .sql dumps. */
export function codecOf(record: BackupRecord): Codec | undefined {
  if (record.manifest) return codecNamed(record.manifest.archive.compression);
  const compression = parseArchiveFileName(record.file)?.compression ?? DEFAULT_CODEC.name;
  return compression === 'none' ? undefined : codecNamed(compression);
}

/** The SQL of a dump file, decompressed with `codec` when given, in 1 MiB pieces (a read error ends it with that error). */
export function readSqlFile(file: string, codec: Codec | undefined): AsyncIterable<Buffer> {
  return readChain(createReadStream(file, { highWaterMark: 1 << 20 }), { decompress: codec });
}
