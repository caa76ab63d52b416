// Reading a backup in off-site storage without fetching all of it: a byte range of the plain archive,
// straight from the store, decrypted on the way when the copy is encrypted. Only the encrypted chunks
// (1 MiB) that hold the range are requested, in one ranged GET. Used by the web admin's download.
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { DecryptionError, openDecryptedRange, type EncryptedSource, type EncryptionSecret } from '../archive/encrypt.js';
import type { ObjectStore } from '../stores/store.js';
import { OperationError, UsageError } from '../shared/errors.js';
import { openSealedRecord } from './offsite-manifest.js';
import { ENCRYPTION_SCHEME, type BackupRecord } from '../shared/types.js';

/** Plain archive bytes from `start` to `end`, both included (an HTTP Range's numbers). */
export interface PlainRange {
  start: number;
  end: number;
}

/** Size of the plain archive (the manifest's; a copy in the store may be larger, encrypted). */
export function plainArchiveSize(record: BackupRecord): number {
  return record.manifest?.archive.size ?? record.size;
}

function requireSecret(store: ObjectStore, record: BackupRecord, secret: EncryptionSecret | undefined): EncryptionSecret {
  if (!secret) throw new UsageError(`${record.file} is encrypted in ${store.location}: set LIFEBOAT_ENCRYPTION_KEY_FILE to its key; nothing was changed`);
  return secret;
}

function cannotDecrypt(store: ObjectStore, record: BackupRecord, error: unknown): unknown {
  if (!(error instanceof DecryptionError)) return error;
  return new OperationError(`${record.file} in ${store.location} cannot be decrypted: ${error.message}; refusing to use it`);
}

/** Rethrows decryption failures met while streaming as the one-line OperationError. */
async function* decrypted(store: ObjectStore, record: BackupRecord, parts: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* parts;
  } catch (error) {
    throw cannotDecrypt(store, record, error);
  }
}

/**
 * The record with its whole manifest, for its sha256 and tables (verify, rollback, --table, a download):
 * a sealed manifest (an encrypted copy's) is opened with the key. A missing or wrong key, or an unknown
 * scheme, stops here with one line, before anything is read or changed.
 */
export async function openStoredRecord(store: ObjectStore, record: BackupRecord, secret: EncryptionSecret | undefined): Promise<BackupRecord> {
  if (!record.sealedManifest) return record;
  if (record.sealedManifest.stored.encryption !== ENCRYPTION_SCHEME) {
    throw new OperationError(`${record.file} is stored with an unknown encryption "${record.sealedManifest.stored.encryption}"; nothing was changed`);
  }
  const key = requireSecret(store, record, secret);
  try {
    return await openSealedRecord(record, key);
  } catch (error) {
    const why = error instanceof DecryptionError ? error.message : `unreadable (${(error as Error).message})`;
    throw new OperationError(`the manifest of ${record.file} in ${store.location} cannot be decrypted: ${why}; refusing to use it, nothing was changed`);
  }
}

/**
 * Opens the plain bytes `range` (the whole archive when left out) of a backup's copy in `store`. An
 * encrypted copy needs `secret`; a wrong key fails here, before any byte is returned, and a changed
 * chunk fails the stream when it is reached.
 */
export async function openStoredRange(store: ObjectStore, record: BackupRecord, secret: EncryptionSecret | undefined, range?: PlainRange): Promise<Readable> {
  const { start, end } = range ?? { start: 0, end: plainArchiveSize(record) - 1 };
  const length = end - start + 1;
  const stored = record.manifest?.stored ?? record.sealedManifest?.stored;
  if (!stored) return store.get(record.file, { offset: start, length });
  if (stored.encryption !== ENCRYPTION_SCHEME) throw new OperationError(`${record.file} is stored with an unknown encryption "${stored.encryption}"`);
  const key = requireSecret(store, record, secret);
  const source: EncryptedSource = {
    size: stored.size,
    read: async (offset, bytes) => buffer(await store.get(record.file, { offset, length: bytes })),
    stream: (offset, bytes) => store.get(record.file, { offset, length: bytes }),
  };
  try {
    return Readable.from(decrypted(store, record, await openDecryptedRange(key, source, start, length)), { objectMode: false });
  } catch (error) {
    throw cannotDecrypt(store, record, error);
  }
}
