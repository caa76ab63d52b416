// Copying backups between the backup folder and the off-site store (the second target).
//   upload: the archive first, then its manifest. The manifest is the commit point in the bucket: an
//     archive object without its manifest (an upload that failed half-way) is never listed.
//   fetch: a backup that is only off-site is streamed into a work folder inside the backup folder
//     (`.lifeboat-fetch-*`, never listed, removed afterwards) and then read by the usual verify/rollback.
// With LIFEBOAT_ENCRYPTION_KEY_FILE the archive is encrypted on its way out (archive -> encrypt -> store)
// and decrypted on its way back; a wrong key or a changed object fails the fetch, before anything else.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AtomicFile } from '../archive/atomic-file.js';
import { createDecryptor, createEncryptor, DecryptionError, loadEncryptionSecret, type EncryptionSecret } from '../archive/encrypt.js';
import type { OffsiteSettings } from '../config-storage.js';
import type { ProgressListener } from '../engines/engine.js';
import { S3Store } from '../stores/s3.js';
import type { ObjectStore } from '../stores/store.js';
import { archivePath } from './archive-reader.js';
import { OperationError, UsageError } from './errors.js';
import { manifestFileName } from './naming.js';
import { ENCRYPTION_SCHEME, type BackupRecord, type Manifest } from './types.js';

export interface OffsiteOptions {
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Encrypts uploads; needed to fetch encrypted copies. */
  secret?: EncryptionSecret;
}

/** The secret from LIFEBOAT_ENCRYPTION_KEY_FILE, or undefined when it is not set. */
export async function loadOffsiteSecret(keyFile: string | undefined): Promise<EncryptionSecret | undefined> {
  if (!keyFile) return undefined;
  try {
    return await loadEncryptionSecret(keyFile);
  } catch (error) {
    throw new UsageError(`LIFEBOAT_ENCRYPTION_KEY_FILE: ${(error as Error).message}`);
  }
}

/** The configured off-site store, or undefined when LIFEBOAT_STORAGE_URL is not set. */
export function openOffsiteStore(storage: OffsiteSettings | undefined): S3Store | undefined {
  if (!storage) return undefined;
  return new S3Store({ bucket: storage.bucket, prefix: storage.prefix, endpoint: storage.endpoint, region: storage.region });
}

function progressCounter(phase: string, total: number, onProgress?: ProgressListener): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      onProgress?.({ phase, rows: 0, bytes, totalBytes: total });
      callback(null, chunk);
    },
  });
}

/**
 * Copies a published backup (archive, then manifest) to the store. On failure, what was uploaded is
 * removed (best effort: without its manifest it is not listed anyway) and an OperationError says so.
 */
export async function uploadBackup(
  store: ObjectStore,
  backupDir: string,
  record: BackupRecord,
  options: OffsiteOptions = {},
): Promise<void> {
  if (!record.manifest) throw new OperationError(`${record.file} has no manifest; only Lifeboat's backups are copied off-site`);
  const manifestKey = manifestFileName(record.file);
  try {
    const file = archivePath(backupDir, record);
    const size = (await stat(file)).size;
    const counted = createReadStream(file, { highWaterMark: 1 << 20 }).pipe(progressCounter('upload', size, options.onProgress));
    const source = options.secret ? counted.pipe(await createEncryptor(options.secret)) : counted;
    const stored = await store.put(record.file, source, { signal: options.signal });
    const remote = await store.stat(record.file);
    if (remote?.size !== stored.size) throw new Error(`${store.location} holds ${remote?.size ?? 'no'} bytes of it, ${stored.size} were sent`);
    const remoteManifest: Manifest = options.secret ? { ...record.manifest, stored: { encryption: ENCRYPTION_SCHEME, size: stored.size } } : record.manifest;
    if (!options.secret && stored.size !== record.manifest.archive.size) throw new Error(`sent ${stored.size} bytes, the manifest says ${record.manifest.archive.size}`);
    const manifest = Buffer.from(JSON.stringify(remoteManifest, null, 2) + '\n', 'utf8');
    await store.put(manifestKey, Readable.from([manifest]), { signal: options.signal });
  } catch (error) {
    await store.remove(manifestKey).catch(() => undefined);
    await store.remove(record.file).catch(() => undefined);
    if (options.signal?.aborted) throw error;
    throw new OperationError(
      `backup ${record.id} (${record.file}) is complete in ${backupDir}, but copying it to ${store.location} failed: ${(error as Error).message}`,
    );
  }
}

/** Whether the backup has a copy in the backup folder (true when off-site storage is not configured). */
export function isLocal(record: BackupRecord): boolean {
  return !record.locations || record.locations.includes('local');
}

/**
 * Runs `work` with the folder that holds the backup's archive: the backup folder when the backup is
 * there, else a work folder the archive was fetched into (with its manifest), removed afterwards.
 */
export async function withLocalCopy<T>(
  store: ObjectStore | undefined,
  backupDir: string,
  record: BackupRecord,
  work: (archiveDir: string) => Promise<T>,
  options: OffsiteOptions = {},
): Promise<T> {
  if (isLocal(record)) return work(backupDir);
  if (!store) throw new OperationError(`${record.file} is only in off-site storage, which is not configured (LIFEBOAT_STORAGE_URL)`);
  const fetchDir = path.join(backupDir, `.lifeboat-fetch-${randomBytes(4).toString('hex')}`);
  await mkdir(fetchDir, { recursive: true });
  try {
    await fetchArchive(store, record, fetchDir, options);
    return await work(fetchDir);
  } finally {
    await rm(fetchDir, { recursive: true, force: true });
  }
}

async function fetchArchive(store: ObjectStore, record: BackupRecord, dir: string, options: OffsiteOptions): Promise<void> {
  const stored = record.manifest?.stored;
  if (stored && stored.encryption !== ENCRYPTION_SCHEME) throw new OperationError(`${record.file} is stored with an unknown encryption "${stored.encryption}"; nothing was changed`);
  if (stored && !options.secret) throw new UsageError(`${record.file} is encrypted in ${store.location}: set LIFEBOAT_ENCRYPTION_KEY_FILE to its key; nothing was changed`);
  const out = await AtomicFile.create(path.join(dir, record.file));
  try {
    const expected = record.manifest?.archive.size ?? record.size;
    const body = await store.get(record.file);
    const writeOut = async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) await out.write(chunk);
    };
    const counter = progressCounter('download', stored?.size ?? expected, options.onProgress);
    if (stored && options.secret) await pipeline(body, counter, createDecryptor(options.secret), writeOut, { signal: options.signal });
    else await pipeline(body, counter, writeOut, { signal: options.signal });
    const { size } = await out.commit();
    if (size !== expected) throw new Error(`got ${size} bytes, the manifest says ${expected}`);
    if (record.manifest) await writeFile(path.join(dir, manifestFileName(record.file)), JSON.stringify(record.manifest, null, 2) + '\n');
  } catch (error) {
    await out.abort();
    if (options.signal?.aborted) throw error;
    if (error instanceof DecryptionError) {
      throw new OperationError(`${record.file} in ${store.location} cannot be decrypted: ${error.message}; refusing to use it, nothing was changed`);
    }
    throw new OperationError(`could not fetch ${record.file} from ${store.location}: ${(error as Error).message}; nothing was changed`);
  }
}
