// The SQL of a database archive, read once for a restore while it is checked against its manifest
// (size and sha256 of the archive bytes, uncompressed size): the rollback then reads the archive once
// instead of a verify pass followed by a replay. The restore loads a staging copy first, so the check
// can still refuse a damaged archive before the live database is touched (RestoreOptions.beforeSwap).
// A local Lifeboat archive is read as two streams of its tables (parallel-sql.ts); its bytes are then
// checked by a third, sequential read that decompresses nothing.
import { PassThrough, Writable, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { feedFile } from '../../archive/file-feed.js';
import type { RestoreOptions } from '../../engines/engine.js';
import { readChecked } from '../archive-check.js';
import { archivePath, codecOf } from '../archive-reader.js';
import { openParallelSql } from './parallel-sql.js';
import type { BackupRecord } from '../../shared/types.js';

export interface CheckedSql {
  /** The SQL for the restore (its main stream when there are several). */
  sql: AsyncIterable<Buffer>;
  /** More streams of the same dump to load at once (RestoreOptions.parallelSql); empty when read as one. */
  parallelSql: NonNullable<RestoreOptions['parallelSql']>;
  /** Once every stream was read to its end: what differs from the manifest (an unread end too). */
  problems(): Promise<string[]>;
  /**
   * Stops reading the archive. The reading starts at once, ahead of the restore: a restore that fails
   * before it reads (a refused preflight, a staging copy that cannot be made) would otherwise leave the
   * reader waiting on a full stream, its thread alive, and the command would never exit.
   */
  close(): void;
}

/** `split`: read a Lifeboat archive as two streams where its manifest allows (a whole-database restore). */
export function openCheckedSql(backupDir: string, record: BackupRecord, split: boolean): CheckedSql {
  const file = archivePath(backupDir, record);
  const manifest = record.manifest;
  const parallel = split && manifest ? openParallelSql(file, manifest) : undefined;
  if (manifest && parallel) {
    const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    const read = readChecked(file, manifest, discard);
    const done = finished(discard);
    done.catch(() => undefined); // awaited in problems()
    return {
      sql: parallel.main,
      parallelSql: [parallel.first],
      async problems() {
        try {
          await done;
        } catch (error) {
          return [`cannot be read (${(error as Error).message})`];
        }
        const problem = await read.problem();
        return problem ? [problem] : [];
      },
      close: () => discard.destroy(),
    };
  }

  // Concatenated frames are read as one stream by the codec's decompressor. A read error destroys it with
  // that error, which its iterator throws to the restore; the no-op listener is for errors after the
  // restore stopped reading (zlib reports a truncated stream once more when it is destroyed).
  const codec = codecOf(record);
  const source: Readable & Writable = codec ? codec.createDecompressor() : new PassThrough();
  source.on('error', () => undefined);
  const read = manifest ? readChecked(file, manifest, source) : undefined;
  if (!read) void feedFile(file, source);
  let sqlBytes = 0;
  let ended = false;
  async function* counted(): AsyncIterable<Buffer> {
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        sqlBytes += chunk.length;
        yield chunk;
      }
      ended = true;
    } finally {
      source.destroy(); // a restore that stopped early stops the file's reading too
    }
  }
  return {
    sql: counted(),
    parallelSql: [],
    async problems() {
      if (!ended) return ['the archive was not read to its end'];
      if (!manifest || !read) return [];
      const found: string[] = [];
      const problem = await read.problem();
      if (problem) found.push(problem);
      if (codec && sqlBytes !== manifest.sqlBytes) found.push(`holds ${sqlBytes} bytes of SQL, the manifest says ${manifest.sqlBytes}`);
      return found;
    },
    close: () => source.destroy(),
  };
}
