// Copying backups between the backup folder and the off-site store (the second target).
//   upload: the archive first (and a file backup's file index, offsite-index.ts), then its manifest. The manifest is the commit point in the bucket: an
//     archive object without its manifest (an upload that failed half-way) is never listed.
//   fetch: a backup that is only off-site is streamed into a work folder inside the backup folder
//     (`.lifeboat-fetch-*`, never listed, removed afterwards) and then read by the usual verify/rollback.
// With LIFEBOAT_ENCRYPTION_KEY_FILE the archive is encrypted on its way out (archive -> encrypt -> store)
// and decrypted on its way back; a wrong key or a changed object fails the fetch, before anything else.
// The manifest beside an encrypted archive is sealed too (offsite-manifest.ts); a fetch opens it first.
// The manifest is written with `ifAbsent` (S3 conditional writes): a manifest of another backup under
// the same name is never replaced.
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AtomicFile } from '../archive/atomic-file.js';
import { DecryptionError, loadEncryptionSecret, type EncryptionSecret } from '../archive/encrypt.js';
import { Meter, readChain, writeChain } from '../archive/filter-chain.js';
import { ObjectExistsError, readObject, type ObjectStore } from '../stores/store.js';
import { OperationError, UsageError } from '../shared/errors.js';
import { makeOwnedFolder, removeAbandonedFolders } from '../shared/owned-folder.js';
import { requireBoundManifest } from './manifest-binding.js';
import { isIncrementalFile, manifestFileName } from './naming.js';
import { usesKey } from './offsite-content.js';
import { fetchContent } from './offsite-content-fetch.js';
import { uploadContent } from './offsite-content-upload.js';
import { remoteRecordOf, sealManifest } from './offsite-manifest.js';
import { fetchFileIndex, fileIndexKey, uploadFileIndex } from './offsite-index.js';
import { openStoredRecord } from './offsite-read.js';
import { ENCRYPTION_SCHEME, type BackupRecord } from '../shared/types.js';

/** Bytes copied so far of `totalBytes`, in the engines' progress shape (rows stay 0), for the progress bar. */
export type CopyProgressListener = (progress: { phase: string; rows: number; bytes: number; totalBytes?: number }) => void;

export interface OffsiteOptions {
  signal?: AbortSignal;
  onProgress?: CopyProgressListener;
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

/** A meter that hashes what passes and reports it as the `phase` of a copy of `total` bytes. */
function progressMeter(phase: string, total: number, onProgress?: CopyProgressListener): Meter {
  return new Meter({ sha256: true, onBytes: (bytes) => onProgress?.({ phase, rows: 0, bytes, totalBytes: total }) });
}

/**
 * What the store holds under the backup's manifest key: nothing, a manifest of this backup (a complete
 * copy, or one whose archive object is missing or of the wrong size), or another backup's.
 */
async function remoteCopyState(store: ObjectStore, record: BackupRecord): Promise<'none' | 'complete' | 'incomplete' | 'other'> {
  const manifestKey = manifestFileName(record.file);
  if (!(await store.stat(manifestKey))) return 'none';
  const text = (await readObject(store, manifestKey)).toString('utf8');
  const found = remoteRecordOf(text, record.file, (await store.stat(record.file))?.size);
  if (found) return !found.problem && found.id === record.id ? 'complete' : 'other';
  try {
    return (JSON.parse(text) as { id?: unknown }).id === record.id ? 'incomplete' : 'other';
  } catch {
    return 'other'; // not ours to replace
  }
}

/** The commit point: the manifest, written only where no manifest is (S3 conditional write). */
async function putManifest(store: ObjectStore, key: string, bytes: Buffer, signal: AbortSignal | undefined): Promise<void> {
  try {
    await store.put(key, Readable.from([bytes]), { signal, ifAbsent: true });
  } catch (error) {
    // A retried PUT whose first attempt was stored but not answered meets its own manifest: that is success.
    if (error instanceof ObjectExistsError && (await readObject(store, key).catch(() => undefined))?.equals(bytes)) return;
    throw error;
  }
}

/**
 * Copies a published backup (archive, then manifest) to the store. On failure, what was uploaded is
 * removed (best effort: without its manifest it is not listed anyway) and an OperationError says so.
 * A complete copy already there is left as it is; another backup's manifest under the same name is
 * never replaced.
 */
/**
 * What an upload sent: the archive's bytes as stored (encrypted when the copies are), or for an
 * incremental backup the bytes of the packs the bucket lacked (its small snapshot file, index and uses
 * record left out), and how many.
 */
export interface UploadOutcome {
  sentBytes: number;
  newPacks?: number;
}

export async function uploadBackup(
  store: ObjectStore,
  backupDir: string,
  record: BackupRecord,
  options: OffsiteOptions = {},
): Promise<UploadOutcome> {
  requireBoundManifest(record, 'upload it');
  const manifest = record.manifest;
  if (!manifest) throw new OperationError(`${record.file} has no manifest; only Lifeboat's backups are copied off-site`);
  const manifestKey = manifestFileName(record.file);
  const failed = (why: string) => new OperationError(`backup ${record.id} (${record.file}) is complete in ${backupDir}, but copying it to ${store.location} failed: ${why}`);
  let state: Awaited<ReturnType<typeof remoteCopyState>>;
  try {
    state = await remoteCopyState(store, record);
  } catch (error) {
    throw failed((error as Error).message);
  }
  if (state === 'complete') return { sentBytes: 0 };
  if (state === 'other') throw failed(`it already holds ${manifestKey} of another backup; nothing was uploaded (is another shop using the same LIFEBOAT_STORAGE_URL prefix?)`);
  let committed = false;
  try {
    // A copy of this backup that is not complete: unlist it first (manifest first), then copy anew.
    if (state === 'incomplete') await store.remove(manifestKey);
    // An incremental backup's data first: its snapshot file is of no use in the bucket without it.
    const newPacks = isIncrementalFile(record.file)
      ? await uploadContent(store, backupDir, record, options.secret, { signal: options.signal, onBytes: (bytes, total) => options.onProgress?.({ phase: 'upload', rows: 0, bytes, totalBytes: total }) })
      : undefined;
    const file = path.join(backupDir, record.file);
    const size = (await stat(file)).size;
    const plain = progressMeter('upload', size, options.onProgress);
    const storedHash = new Meter({ sha256: true });
    const source = await writeChain(createReadStream(file, { highWaterMark: 1 << 20 }), { plain, encrypt: options.secret, stored: storedHash });
    const stored = await store.put(record.file, source, { signal: options.signal });
    // The local archive is read again here: a copy of bytes that changed since the backup would be useless.
    if (plain.sha256() !== manifest.archive.sha256) throw new Error(`the archive in ${backupDir} no longer has its manifest's sha256; run "lifeboat verify ${record.id}"`);
    const remote = await store.stat(record.file);
    if (remote?.size !== stored.size) throw new Error(`${store.location} holds ${remote?.size ?? 'no'} bytes of it, ${stored.size} were sent`);
    if (!options.secret && stored.size !== manifest.archive.size) throw new Error(`sent ${stored.size} bytes, the manifest says ${manifest.archive.size}`);
    await uploadFileIndex(store, backupDir, record, options.secret, options.signal);
    const remoteManifest = options.secret ? await sealManifest(manifest, { size: stored.size, sha256: storedHash.sha256() }, options.secret) : manifest;
    const bytes = Buffer.from(JSON.stringify(remoteManifest, null, 2) + '\n', 'utf8');
    await putManifest(store, manifestKey, bytes, options.signal);
    committed = true;
    return newPacks ? { sentBytes: newPacks.bytes, newPacks: newPacks.packs } : { sentBytes: stored.size };
  } catch (error) {
    // A manifest that appeared meanwhile is another writer's: leave both objects alone.
    const raced = error instanceof ObjectExistsError;
    if (!committed && !raced) {
      await store.remove(manifestKey).catch(() => undefined);
      await store.remove(record.file).catch(() => undefined);
      const indexKey = fileIndexKey(record);
      if (indexKey) await store.remove(indexKey).catch(() => undefined);
      if (isIncrementalFile(record.file)) await store.remove(usesKey(record.file)).catch(() => undefined);
    }
    if (options.signal?.aborted) throw error;
    if (raced) throw failed(`another writer put ${manifestKey} there meanwhile; nothing of it was removed, check it with "lifeboat list"`);
    throw failed((error as Error).message);
  }
}

/** Whether the backup has a copy in the backup folder (true when off-site storage is not configured). */
export function isLocal(record: BackupRecord): boolean {
  return !record.locations || record.locations.includes('local');
}

/** A folder holding a backup's archive (and manifest), and what to call when done with it. */
export interface LocalCopy {
  archiveDir: string;
  /** The record with its whole manifest (a sealed off-site one opened with the key). */
  record: BackupRecord;
  release(): Promise<void>;
}

const FETCH_PREFIX = '.lifeboat-fetch-';
/** A fetch's work folder: mkdtemp's six characters, or the eight hex digits earlier versions used. */
const FETCH_FOLDER = /^\.lifeboat-fetch-[A-Za-z0-9]{6,8}$/;

/**
 * The folder that holds the backup's archive: the backup folder when the backup is there, else a work
 * folder the archive was fetched into (with its manifest, and an incremental backup's packs), removed
 * by `release`.
 */
export async function openLocalCopy(store: ObjectStore | undefined, backupDir: string, record: BackupRecord, options: OffsiteOptions = {}): Promise<LocalCopy> {
  if (isLocal(record)) return { archiveDir: backupDir, record, release: async () => undefined };
  if (!store) throw new OperationError(`${record.file} is only in off-site storage, which is not configured (LIFEBOAT_STORAGE_URL)`);
  // The record with its whole manifest: a sealed one is opened before anything is fetched.
  const whole = await openStoredRecord(store, record, options.secret);
  // Work folders record their process: one a killed fetch left (kill -9, with a whole tree's packs in
  // it) is removed by the next fetch into the same backup folder.
  await mkdir(backupDir, { recursive: true });
  await removeAbandonedFolders(backupDir, FETCH_FOLDER);
  const fetchDir = await makeOwnedFolder(backupDir, FETCH_PREFIX);
  const release = () => rm(fetchDir, { recursive: true, force: true });
  try {
    await fetchArchive(store, whole, fetchDir, options);
    if (isIncrementalFile(record.file)) await fetchIncrementalData(store, backupDir, fetchDir, whole, options);
    return { archiveDir: fetchDir, record: whole, release };
  } catch (error) {
    await release();
    throw error;
  }
}

/** Runs `work` with the folder that holds the backup's archive (see openLocalCopy), released afterwards. */
export async function withLocalCopy<T>(
  store: ObjectStore | undefined,
  backupDir: string,
  record: BackupRecord,
  work: (archiveDir: string, record: BackupRecord) => Promise<T>,
  options: OffsiteOptions = {},
): Promise<T> {
  const copy = await openLocalCopy(store, backupDir, record, options);
  try {
    return await work(copy.archiveDir, copy.record);
  } finally {
    await copy.release();
  }
}

/** The packs of an incremental backup, beside its fetched snapshot file; failures in one line, as a fetch's. */
async function fetchIncrementalData(store: ObjectStore, backupDir: string, fetchDir: string, record: BackupRecord, options: OffsiteOptions): Promise<void> {
  try {
    await fetchContent(store, backupDir, fetchDir, record.file, options.secret, {
      signal: options.signal,
      onBytes: (bytes, total) => options.onProgress?.({ phase: 'download', rows: 0, bytes, totalBytes: total }),
    });
  } catch (error) {
    if (options.signal?.aborted || error instanceof UsageError || error instanceof OperationError) throw error;
    if (error instanceof DecryptionError) throw new OperationError(`the data of ${record.file} in ${store.location} cannot be decrypted: ${error.message}; refusing to use it, nothing was changed`);
    throw new OperationError(`could not fetch the data of ${record.file} from ${store.location}: ${(error as Error).message}; nothing was changed`);
  }
}

function needKey(store: ObjectStore, record: BackupRecord): UsageError {
  return new UsageError(`${record.file} is encrypted in ${store.location}: set LIFEBOAT_ENCRYPTION_KEY_FILE to its key; nothing was changed`);
}

async function fetchArchive(store: ObjectStore, record: BackupRecord, dir: string, options: OffsiteOptions): Promise<void> {
  const stored = record.manifest?.stored;
  if (stored && stored.encryption !== ENCRYPTION_SCHEME) throw new OperationError(`${record.file} is stored with an unknown encryption "${stored.encryption}"; nothing was changed`);
  if (stored && !options.secret) throw needKey(store, record);
  const out = await AtomicFile.create(path.join(dir, record.file));
  try {
    const expected = record.manifest?.archive.size ?? record.size;
    const body = await store.get(record.file);
    const writeOut = async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) await out.write(chunk);
    };
    const storedHash = progressMeter('download', stored?.size ?? expected, options.onProgress);
    const decrypt = stored ? options.secret : undefined;
    await pipeline(readChain(body, { stored: storedHash, decrypt }), writeOut, { signal: options.signal });
    const { size } = await out.commit();
    if (size !== expected) throw new Error(`got ${size} bytes, the manifest says ${expected}`);
    // A plain copy's sha256 is checked by verify (which reports it); a sealed manifest has the encrypted object's.
    if (stored?.sha256 && storedHash.sha256() !== stored.sha256) throw new Error(`its sha256 differs from the manifest's: the object was changed`);
    if (record.manifest) await writeFile(path.join(dir, manifestFileName(record.file)), JSON.stringify(record.manifest, null, 2) + '\n');
    await fetchFileIndex(store, record, dir, options.secret, options.signal);
  } catch (error) {
    await out.abort();
    if (options.signal?.aborted) throw error;
    if (error instanceof DecryptionError) {
      throw new OperationError(`${record.file} in ${store.location} cannot be decrypted: ${error.message}; refusing to use it, nothing was changed`);
    }
    throw new OperationError(`could not fetch ${record.file} from ${store.location}: ${(error as Error).message}; nothing was changed`);
  }
}
