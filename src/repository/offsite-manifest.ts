// The manifest of an off-site copy. An unencrypted copy has the same manifest as in the backup folder.
// An encrypted copy has a SealedManifest: a bucket's manifest is read by whoever can list the bucket, and
// table names, row counts, the database's name and the tree's paths say a lot about a shop, so only what
// `list` needs stays plain (names, times, sizes, the stored object's sha256) and the whole manifest is
// encrypted with the archive's key (the same LBOATENC format, see archive/encrypt.ts). Listing works
// without the key; verify and rollback open the sealed part first.
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDecryptor, createEncryptor, DecryptionError, type EncryptionSecret } from '../archive/encrypt.js';
import { recordOf } from './catalog.js';
import { bindManifest, checksummedManifest, unboundRecord } from './manifest-binding.js';
import { manifestFileName, parseArchiveFileName } from './naming.js';
import { backupTypeOf, ENCRYPTION_SCHEME, type BackupRecord, type Manifest, type SealedManifest } from '../shared/types.js';

/** The sealed part is small: one encryption chunk is plenty (the format's smallest allowed size is 1 KiB). */
const SEALED_CHUNK_SIZE = 64 * 1024;

async function transformAll(transform: Transform, input: Buffer): Promise<Buffer> {
  const output: Buffer[] = [];
  await pipeline(Readable.from([input]), transform, async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) output.push(chunk);
  });
  return Buffer.concat(output);
}

/** Small bytes (a manifest, a key check) encrypted in the archives' format, in one chunk. */
export async function sealBytes(plain: Buffer, secret: EncryptionSecret): Promise<Buffer> {
  return transformAll(await createEncryptor(secret, SEALED_CHUNK_SIZE), plain);
}

/** The plain bytes of `sealBytes`; a DecryptionError for a wrong key or changed bytes. */
export function openBytes(sealed: Buffer, secret: EncryptionSecret): Promise<Buffer> {
  return transformAll(createDecryptor(secret), sealed);
}

/** The manifest to put beside an encrypted archive object of `stored.size` bytes with sha256 `stored.sha256`. */
export async function sealManifest(manifest: Manifest, stored: { size: number; sha256: string }, secret: EncryptionSecret): Promise<SealedManifest> {
  const { stored: _local, ...whole } = manifest; // a local manifest has no `stored`; never seal a stale one
  const sealed = await sealBytes(Buffer.from(JSON.stringify(whole), 'utf8'), secret);
  return {
    formatVersion: 1,
    id: manifest.id,
    type: manifest.type,
    name: manifest.name,
    file: manifest.file,
    time: manifest.time,
    finishedAt: manifest.finishedAt,
    archive: { size: manifest.archive.size },
    stored: { encryption: ENCRYPTION_SCHEME, size: stored.size, sha256: stored.sha256 },
    sealed: sealed.toString('base64'),
    ...(manifest.incremental ? { incremental: manifest.incremental } : {}),
  };
}

/**
 * The whole manifest inside a sealed one, with `stored` set. A DecryptionError for a wrong key or a
 * changed sealed part; also when the sealed part belongs to another backup (moved between manifests).
 */
export async function openSealedManifest(sealed: SealedManifest, secret: EncryptionSecret): Promise<Manifest> {
  const plain = await openBytes(Buffer.from(sealed.sealed, 'base64'), secret);
  let whole: Manifest;
  try {
    whole = JSON.parse(plain.toString('utf8')) as Manifest;
  } catch {
    throw new DecryptionError('the sealed manifest is not JSON');
  }
  const same = whole.formatVersion === 1 && whole.id === sealed.id && whole.file === sealed.file && whole.type === sealed.type && whole.time === sealed.time;
  if (!same || whole.archive?.size !== sealed.archive.size) throw new DecryptionError(`the sealed manifest belongs to another backup than ${sealed.file}`);
  return { ...whole, stored: sealed.stored };
}

function isSealedManifest(value: Record<string, unknown>): value is Record<string, unknown> & SealedManifest {
  const stored = value.stored as Record<string, unknown> | undefined;
  const archive = value.archive as Record<string, unknown> | undefined;
  return (
    typeof value.sealed === 'string' &&
    typeof value.id === 'string' &&
    typeof value.time === 'number' &&
    typeof value.name === 'string' &&
    typeof value.finishedAt === 'string' &&
    backupTypeOf(value.type) !== undefined &&
    typeof archive?.size === 'number' &&
    typeof stored?.size === 'number' &&
    typeof stored.sha256 === 'string' &&
    typeof stored.encryption === 'string' &&
    (value.incremental === undefined || isIncrementalSummary(value.incremental))
  );
}

function isIncrementalSummary(value: unknown): boolean {
  const summary = value as Record<string, unknown> | null;
  return typeof summary === 'object' && summary !== null && typeof summary.addedBytes === 'number' && typeof summary.treeBytes === 'number';
}

/** A record for an archive object whose manifest in the store does not vouch for it (see `problem`). */
function unboundRemoteRecord(file: string, objectSize: number, problem: string): BackupRecord | undefined {
  const parsed = parseArchiveFileName(file);
  if (!parsed) return undefined;
  return { ...unboundRecord({ file, type: parsed.type, name: parsed.name, time: parsed.time, size: objectSize }, problem), locations: ['s3'] };
}

/** The record a sealed manifest vouches for, when the encrypted object has the size it says. */
function sealedRecordOf(sealed: SealedManifest, file: string, objectSize: number): BackupRecord | undefined {
  if (sealed.stored.size !== objectSize) return undefined;
  const { id, name, time } = sealed;
  return { id, file, type: backupTypeOf(sealed.type)!, name, time, size: sealed.archive.size, origin: 'lifeboat', sealedManifest: sealed, locations: ['s3'] };
}

/**
 * The record a manifest object in the store vouches for (listed at `s3`), or undefined when there is no
 * backup to list: the archive object is missing or not of the size the manifest says (a copy that did
 * not finish). A manifest beside an archive object that it does not belong to (it names another
 * archive, cannot be parsed, is of an unknown format) gives a record with that `problem`, as in the
 * backup folder (manifest-binding.ts), instead of hiding the archive.
 */
export function remoteRecordOf(text: string, file: string, objectSize: number | undefined): BackupRecord | undefined {
  if (objectSize === undefined) return undefined;
  const bound = bindManifest(text, file);
  if ('problem' in bound) return unboundRemoteRecord(file, objectSize, bound.problem);
  const { fields } = bound;
  if (typeof fields.sealed === 'string') {
    if (isSealedManifest(fields)) return sealedRecordOf(fields, file, objectSize);
    return unboundRemoteRecord(file, objectSize, `its manifest ${manifestFileName(file)} is sealed but lacks what listing needs`);
  }
  const checked = checksummedManifest(fields, file);
  if ('problem' in checked) return unboundRemoteRecord(file, objectSize, checked.problem);
  const { manifest } = checked;
  if ((manifest.stored?.size ?? manifest.archive.size) !== objectSize) return undefined;
  return { ...recordOf(manifest, manifest.archive.size), locations: ['s3'] };
}

/** The record with its whole manifest: a sealed one opened with the key (others are returned as they are). */
export async function openSealedRecord(record: BackupRecord, secret: EncryptionSecret): Promise<BackupRecord> {
  if (!record.sealedManifest) return record;
  const manifest = await openSealedManifest(record.sealedManifest, secret);
  return { ...record, sha256: manifest.archive.sha256, manifest };
}

/** The finish time a record's manifest (whole or sealed) gives, for ordering backups of the same second. */
export function finishedAtOf(record: BackupRecord): string {
  return record.manifest?.finishedAt ?? record.sealedManifest?.finishedAt ?? '';
}
