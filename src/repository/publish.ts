// The one path every backup takes to exist: reserve a unique archive name, write `<file>.partial`,
// seal it (flush, size, sha256), write the manifest (atomically), then publish the archive by rename.
// The archive's rename is the commit point: a backup that failed or was killed leaves at most a
// `.partial` file or an orphan manifest, never a listed archive.
import { randomBytes } from 'node:crypto';
import { access, mkdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { AtomicFile, writeFileAtomic } from '../archive/atomic-file.js';
import type { Codec } from '../archive/codec/codec.js';
import { DEFAULT_CODEC } from '../archive/codec/registry.js';
import { archiveFileName, filterBackupName, manifestFileName } from './naming.js';
import type { BackupRecord, BackupType, Manifest } from '../shared/types.js';
import { TOOL_VERSION } from '../shared/version.js';

/** What the writer of an archive knows when it starts. */
export interface ArchiveSlot {
  /** The archive's final file name, e.g. 1764000000_snapshot_before_upgrade.tgz */
  file: string;
  /** Unix time (seconds) in the file name. */
  time: number;
  started: Date;
  backupDir: string;
  /** The partial archive to write into. */
  out: AtomicFile;
}

/** The manifest fields that depend on what the archive holds; the rest are filled in here. */
export type ManifestContent = Omit<Manifest, 'formatVersion' | 'id' | 'type' | 'name' | 'file' | 'time' | 'startedAt' | 'finishedAt' | 'tool' | 'archive'>;

export interface PublishOptions {
  /** The name as the user typed it; filtered as Magento does. */
  name?: string;
  /** The codec the archive is written with: it names the file and goes into the manifest (default gzip). */
  codec?: Codec;
  signal?: AbortSignal;
  /** Clock, for tests. */
  now?: () => Date;
  /** The file is an incremental backup's snapshot (`.incremental.json`), not an archive of the codec. */
  incremental?: boolean;
  /** The archive's sha256 is worked out on the writing thread (AtomicFileOptions.hashHere). */
  hashHere?: boolean;
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
async function reserveArchive(
  backupDir: string,
  type: BackupType,
  time: number,
  name: string,
  codec: Codec,
  incremental: boolean,
  hashHere: boolean,
): Promise<{ file: string; out: AtomicFile; time: number }> {
  for (let t = time; t < time + 1000; t++) {
    const file = archiveFileName(t, type, name, codec, incremental);
    const finalPath = path.join(backupDir, file);
    if ((await exists(finalPath)) || (await exists(path.join(backupDir, manifestFileName(file))))) continue;
    try {
      return { file, out: await AtomicFile.create(finalPath, undefined, { hashHere }), time: t };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue; // another process is writing it
      throw error;
    }
  }
  throw new Error(`could not find a free archive name in ${backupDir}`);
}

/**
 * Creates one backup: `write` fills the partial archive and returns what the manifest says about its
 * content; everything else (naming, sealing, manifest, publishing, cleanup on failure) happens here.
 */
export async function publishArchive(
  backupDir: string,
  type: BackupType,
  options: PublishOptions,
  write: (slot: ArchiveSlot) => Promise<ManifestContent>,
): Promise<BackupRecord> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const name = filterBackupName(options.name ?? '');
  await mkdir(backupDir, { recursive: true });
  const codec = options.codec ?? DEFAULT_CODEC;
  const { file, out, time } = await reserveArchive(backupDir, type, Math.floor(started.getTime() / 1000), name, codec, options.incremental ?? false, options.hashHere ?? false);
  const manifestPath = path.join(backupDir, manifestFileName(file));
  let manifestWritten = false;
  try {
    const content = await write({ file, time, started, backupDir, out });
    options.signal?.throwIfAborted();
    const archive = await out.seal();
    const manifest: Manifest = {
      formatVersion: 1,
      id: randomBytes(4).toString('hex'),
      type,
      name,
      file,
      time,
      startedAt: started.toISOString(),
      finishedAt: now().toISOString(),
      tool: { name: 'lifeboat', version: TOOL_VERSION },
      archive: { ...archive, compression: codec.name },
      ...content,
    };
    await writeFileAtomic(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
    manifestWritten = true;
    await out.publish();
    return { id: manifest.id, file, type, name, time, size: archive.size, sha256: archive.sha256, origin: 'lifeboat', manifest };
  } catch (error) {
    await out.abort();
    if (manifestWritten) await unlink(manifestPath).catch(() => undefined);
    throw error;
  }
}
