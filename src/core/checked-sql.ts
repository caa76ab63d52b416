// The SQL of a database archive, read once for a restore while it is checked against its manifest
// (size, sha256 of the archive bytes, uncompressed size): the rollback then reads the archive once
// instead of a verify pass followed by a replay. The restore loads a staging copy first, so the check
// can still refuse a damaged archive before the live database is touched (RestoreOptions.beforeSwap).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline, Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { archivePath, isGzipped } from './archive-reader.js';
import type { BackupRecord } from './types.js';

export interface CheckedSql {
  sql: AsyncIterable<Buffer>;
  /** What differs from the manifest, once `sql` was read to its end (an unread end is a problem too). */
  problems(): string[];
}

export function openCheckedSql(backupDir: string, record: BackupRecord, onBytes?: (bytes: number, total: number) => void): CheckedSql {
  const manifest = record.manifest;
  const hash = createHash('sha256');
  let archiveBytes = 0;
  let sqlBytes = 0;
  let ended = false;
  const raw = createReadStream(archivePath(backupDir, record), { highWaterMark: 1 << 20 });
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      archiveBytes += chunk.length;
      if (manifest) onBytes?.(archiveBytes, manifest.archive.size);
      callback(null, chunk);
    },
  });
  // Concatenated gzip members are read as one stream by Node's gunzip. pipeline() passes an error of any
  // stream on to the last one, whose iterator the restore reads: that is where errors are reported. The
  // no-op listeners are for errors after the restore stopped reading (zlib reports a truncated stream
  // once more when it is destroyed), which would otherwise crash the process.
  const gunzip = isGzipped(record) ? createGunzip({ chunkSize: 1 << 20 }) : undefined;
  const chain: (Readable | Transform)[] = gunzip ? [raw, tap, gunzip] : [raw, tap];
  for (const stream of chain) stream.on('error', () => undefined);
  pipeline(chain, () => undefined);
  const source: Readable = gunzip ?? tap;
  async function* counted(): AsyncIterable<Buffer> {
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        sqlBytes += chunk.length;
        yield chunk;
      }
      ended = true;
    } finally {
      source.destroy(); // a restore that stopped early leaves no open file behind (pipeline closes the rest)
    }
  }
  return {
    sql: counted(),
    problems() {
      if (!ended) return ['the archive was not read to its end'];
      if (!manifest) return [];
      const found: string[] = [];
      if (archiveBytes !== manifest.archive.size) found.push(`size is ${archiveBytes} bytes, the manifest says ${manifest.archive.size}`);
      const sha256 = hash.digest('hex');
      if (sha256 !== manifest.archive.sha256) found.push(`sha256 is ${sha256}, the manifest says ${manifest.archive.sha256}`);
      if (isGzipped(record) && sqlBytes !== manifest.sqlBytes) found.push(`holds ${sqlBytes} bytes of SQL, the manifest says ${manifest.sqlBytes}`);
      return found;
    },
  };
}
