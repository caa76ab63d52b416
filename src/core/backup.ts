// Creating a database backup: the dump goes through parallel gzip into the partial archive, then the
// shared publish path (publish.ts) seals it, writes the manifest and renames it into place.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { AtomicFile } from '../archive/atomic-file.js';
import { GzipMemberWriter, type ByteOutput } from '../archive/gzip-members.js';
import { GzipSpool } from '../archive/gzip-spool.js';
import type { DumpResult, ProgressListener } from '../engines/engine.js';
import { openEngine } from '../engines/index.js';
import type { DatabaseTarget } from '../engines/target.js';
import { DEFAULT_DUMP_THREADS } from './dump-threads.js';
import { publishArchive } from '../repository/publish.js';
import type { BackupRecord, Manifest } from '../shared/types.js';

/**
 * gzip level of SQL dumps. On the bench's Magento-shaped dump (scale 0.3, 300 MB of SQL) level 3's files
 * are 8% larger than `mysqldump | gzip -6`'s (level 4: 4%, level 2: 10%; the bound is 15%), and the whole
 * dump took 16% less CPU than at level 4 (zlib's fast deflate, without lazy matching), which on 2 cores,
 * shared with the server formatting the rows, is 6% of the wall time.
 */
export const SQL_GZIP_LEVEL = 3;


export interface DatabaseBackupOptions {
  name?: string;
  keepDefiners?: boolean;
  /** gzip level 1-9 (default SQL_GZIP_LEVEL). */
  level?: number;
  /** Connections reading tables at once (default DEFAULT_DUMP_THREADS; MySQL servers use one). */
  threads?: number;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /** Clock, for tests. */
  now?: () => Date;
}

/** Dumps the database as gzip members into `out`; returns the dump's facts and its uncompressed size. */
export async function dumpDatabase(
  target: DatabaseTarget,
  out: ByteOutput,
  options: Pick<DatabaseBackupOptions, 'keepDefiners' | 'level' | 'threads' | 'onProgress' | 'signal'>,
): Promise<DumpResult & { sqlBytes: number }> {
  const engine = openEngine(target);
  try {
    const gzipOptions = { level: options.level ?? SQL_GZIP_LEVEL };
    const gzip = new GzipMemberWriter(out, gzipOptions);
    // Spools live beside the archive being written (same disk, the space check covered it).
    const spoolBase = out instanceof AtomicFile ? out.finalPath : path.join(os.tmpdir(), 'lifeboat-dump');
    // Half the main writer's members in flight: libuv's 4 threads are shared, more would only wait in memory.
    const openSpool = () => GzipSpool.open(`${spoolBase}.spool-${randomBytes(4).toString('hex')}.partial`, gzip, { ...gzipOptions, concurrency: 2 });
    const dump = await engine.dump(gzip, {
      keepDefiners: options.keepDefiners,
      onProgress: options.onProgress,
      signal: options.signal,
      threads: options.threads ?? DEFAULT_DUMP_THREADS,
      threadsAsked: options.threads !== undefined,
      openSpool,
    });
    return { ...dump, sqlBytes: await gzip.finish() };
  } finally {
    await engine.close();
  }
}

/** What a manifest records about a dump (its warnings apart). */
export function dumpFacts(dump: DumpResult & { sqlBytes: number }): Pick<Manifest, 'engine' | 'sqlBytes' | 'tables' | 'sequences' | 'objects' | 'definers'> {
  const { engine, sqlBytes, tables, sequences, objects, definers } = dump;
  return { engine, sqlBytes, tables, ...(sequences?.length ? { sequences } : {}), objects, ...(definers ? { definers } : {}) };
}

export async function createDatabaseBackup(
  target: DatabaseTarget,
  backupDir: string,
  options: DatabaseBackupOptions = {},
): Promise<BackupRecord> {
  return publishArchive(backupDir, 'db', options, async ({ out }) => {
    const dump = await dumpDatabase(target, out, options);
    return { ...dumpFacts(dump), warnings: dump.warnings };
  });
}
