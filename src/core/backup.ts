// Creating a database backup: dump through parallel gzip into `<file>.partial`, seal it, write the
// manifest, then publish the archive by rename. The archive's rename is the commit point: a backup that
// failed or was killed leaves at most a `.partial` file or an orphan manifest, never a listed archive.
import { randomBytes } from 'node:crypto';
import { access, mkdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { AtomicFile, writeFileAtomic } from '../archive/atomic-file.js';
import { GzipMemberWriter } from '../archive/gzip-members.js';
import type { ProgressListener } from '../engines/engine.js';
import { openEngine } from '../engines/index.js';
import type { DatabaseTarget } from '../engines/target.js';
import { archiveFileName, filterBackupName, manifestFileName } from './naming.js';
import type { BackupRecord, Manifest } from './types.js';
import { TOOL_VERSION } from './version.js';

export interface DatabaseBackupOptions {
  name?: string;
  keepDefiners?: boolean;
  /** gzip level 1-9 (default 6). */
  level?: number;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /** Clock, for tests. */
  now?: () => Date;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * Reserves a unique archive name. Two backups in the same second must not collide, and the name carries
 * the time as Magento's does; so when the name is taken, the next free second is used.
 */
async function reserveArchive(backupDir: string, time: number, name: string): Promise<{ file: string; out: AtomicFile; time: number }> {
  for (let t = time; t < time + 1000; t++) {
    const file = archiveFileName(t, 'db', name);
    const finalPath = path.join(backupDir, file);
    if ((await exists(finalPath)) || (await exists(path.join(backupDir, manifestFileName(file))))) continue;
    try {
      return { file, out: await AtomicFile.create(finalPath), time: t };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue; // another process is writing it
      throw error;
    }
  }
  throw new Error(`could not find a free archive name in ${backupDir}`);
}

export async function createDatabaseBackup(
  target: DatabaseTarget,
  backupDir: string,
  options: DatabaseBackupOptions = {},
): Promise<BackupRecord> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const name = filterBackupName(options.name ?? '');
  await mkdir(backupDir, { recursive: true });
  const { file, out, time } = await reserveArchive(backupDir, Math.floor(started.getTime() / 1000), name);
  const manifestPath = path.join(backupDir, manifestFileName(file));
  let manifestWritten = false;
  const engine = openEngine(target);
  try {
    const gzip = new GzipMemberWriter(out, { level: options.level });
    const dump = await engine.dump(gzip, { keepDefiners: options.keepDefiners, onProgress: options.onProgress, signal: options.signal });
    const sqlBytes = await gzip.finish();
    options.signal?.throwIfAborted();
    const archive = await out.seal();
    const manifest: Manifest = {
      formatVersion: 1,
      id: randomBytes(4).toString('hex'),
      type: 'db',
      name,
      file,
      time,
      startedAt: started.toISOString(),
      finishedAt: now().toISOString(),
      tool: { name: 'lifeboat', version: TOOL_VERSION },
      archive: { ...archive, compression: 'gzip' },
      engine: dump.engine,
      sqlBytes,
      tables: dump.tables,
      objects: dump.objects,
      warnings: dump.warnings,
    };
    await writeFileAtomic(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
    manifestWritten = true;
    await out.publish();
    return {
      id: manifest.id,
      file,
      type: 'db',
      name,
      time,
      size: archive.size,
      sha256: archive.sha256,
      origin: 'lifeboat',
      manifest,
    };
  } catch (error) {
    await out.abort();
    if (manifestWritten) await unlink(manifestPath).catch(() => undefined);
    throw error;
  } finally {
    await engine.close();
  }
}
