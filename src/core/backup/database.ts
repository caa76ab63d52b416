// Creating a database backup: the dump goes through the codec's parallel frame writer into the partial
// archive, then the shared publish path (publish.ts) seals it, writes the manifest and renames it into place.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { AtomicFile } from '../../archive/atomic-file.js';
import type { Codec } from '../../archive/codec/codec.js';
import { FrameSpool } from '../../archive/codec/frame-spool.js';
import { FrameWriter, type ByteOutput } from '../../archive/codec/frame-writer.js';
import { codecNamed, DEFAULT_CODEC } from '../../archive/codec/registry.js';
import type { DumpResult, ProgressListener } from '../../engines/engine.js';
import { openEngine } from '../../engines/index.js';
import type { DatabaseTarget } from '../../engines/target.js';
import { DEFAULT_DUMP_THREADS } from './dump-threads.js';
import type { StripRules } from './strip-rules.js';
import { publishArchive } from '../../repository/publish.js';
import type { BackupRecord, CompressionName, FakeKind, Manifest } from '../../shared/types.js';

export interface DatabaseBackupOptions {
  name?: string;
  keepDefiners?: boolean;
  /** Tables whose rows are left out (`--strip`). */
  strip?: StripRules;
  /** Columns dumped with fake values (`--anonymize`), per table. */
  anonymize?: (table: string) => ReadonlyMap<string, FakeKind> | undefined;
  /** The codec to write the archive with (default gzip). */
  compression?: CompressionName;
  /** The codec's level (default: the codec's level for SQL, Codec.levels.sql). */
  level?: number;
  /** Connections reading tables at once (default DEFAULT_DUMP_THREADS; MySQL servers use one). */
  threads?: number;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /** Clock, for tests. */
  now?: () => Date;
}

/** The codec a backup asked for (gzip when none). */
export function codecFor(options: { compression?: CompressionName }): Codec {
  return options.compression ? codecNamed(options.compression) : DEFAULT_CODEC;
}

/** Dumps the database as frames of `codec` into `out`; returns the dump's facts and its uncompressed size. */
export async function dumpDatabase(
  target: DatabaseTarget,
  out: ByteOutput,
  codec: Codec,
  options: Pick<DatabaseBackupOptions, 'keepDefiners' | 'strip' | 'anonymize' | 'level' | 'threads' | 'onProgress' | 'signal'>,
): Promise<DumpResult & { sqlBytes: number }> {
  const engine = openEngine(target);
  try {
    const frameOptions = { level: options.level ?? codec.levels.sql };
    const frames = new FrameWriter(out, codec, frameOptions);
    // Spools live beside the archive being written (same disk, the space check covered it).
    const spoolBase = out instanceof AtomicFile ? out.finalPath : path.join(os.tmpdir(), 'lifeboat-dump');
    // Half the main writer's frames in flight: libuv's 4 threads are shared, more would only wait in memory.
    const openSpool = () => FrameSpool.open(`${spoolBase}.spool-${randomBytes(4).toString('hex')}.partial`, frames, { ...frameOptions, concurrency: 2 });
    try {
      const dump = await engine.dump(frames, {
        keepDefiners: options.keepDefiners,
        onProgress: options.onProgress,
        signal: options.signal,
        threads: options.threads ?? DEFAULT_DUMP_THREADS,
        threadsAsked: options.threads !== undefined,
        openSpool,
        ...(options.strip ? { withoutRows: options.strip.matches } : {}),
        ...(options.anonymize ? { fakeValues: options.anonymize } : {}),
      });
      return { ...dump, sqlBytes: await frames.finish() };
    } catch (error) {
      await frames.abandon(); // a failed dump's compressors are freed now, not when collected (`lifeboat serve` runs on)
      throw error;
    }
  } finally {
    await engine.close();
  }
}

/** What a manifest records about a dump (its warnings apart), and the `--strip` and `--anonymize` it was taken with. */
export function dumpFacts(
  dump: DumpResult & { sqlBytes: number },
  options: Pick<DatabaseBackupOptions, 'strip' | 'anonymize'> = {},
): Pick<Manifest, 'engine' | 'sqlBytes' | 'tables' | 'sequences' | 'objects' | 'definers' | 'strip' | 'anonymized'> {
  const { engine, sqlBytes, sequences, objects, definers } = dump;
  // The frame offset is stored under the manifest's name for it (see TableEntry.gzipOffset).
  const tables = dump.tables.map(({ frameOffset, ...table }) => ({ ...table, ...(frameOffset !== undefined ? { gzipOffset: frameOffset } : {}) }));
  return {
    engine,
    sqlBytes,
    tables,
    ...(sequences?.length ? { sequences } : {}),
    objects,
    ...(definers ? { definers } : {}),
    ...(options.strip ? { strip: options.strip.patterns } : {}),
    ...(options.anonymize ? { anonymized: true as const } : {}),
  };
}

/** The dump's warnings, and one for each `--strip` table name that matched no table (a typo, most likely). */
export function dumpWarnings(dump: DumpResult, strip?: StripRules): string[] {
  const unmatched = strip?.unmatched(dump.tables.map((t) => t.name)) ?? [];
  return [...dump.warnings, ...unmatched.map((pattern) => `--strip ${pattern} matched no table: every row of the other tables is in the backup`)];
}

export async function createDatabaseBackup(
  target: DatabaseTarget,
  backupDir: string,
  options: DatabaseBackupOptions = {},
): Promise<BackupRecord> {
  const codec = codecFor(options);
  // The dump's main thread has time to spare for the archive's hash (HashHere).
  return publishArchive(backupDir, 'db', { ...options, codec, hashHere: true }, async ({ out }) => {
    const dump = await dumpDatabase(target, out, codec, options);
    return { ...dumpFacts(dump, options), warnings: dumpWarnings(dump, options.strip) };
  });
}
