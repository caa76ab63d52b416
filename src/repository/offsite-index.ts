// A file backup's file index (`<archive>.files.gz`, named by its manifest's tree.index) on its way to the
// bucket and back: uploaded after the archive and before the manifest (the commit point), encrypted with
// the archive's key when there is one (it holds the tree's paths); fetched beside the archive when a
// backup only in the bucket is used (or read alone, to restore one file by ranged reads). Its sha256 in the manifest is checked by whoever reads it (a drill).
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import type { EncryptionSecret } from '../archive/encrypt.js';
import { readChain, writeChain } from '../archive/filter-chain.js';
import type { ObjectStore } from '../stores/store.js';
import type { BackupRecord } from '../shared/types.js';

/** The index's key in the store, when the backup has one. */
export function fileIndexKey(record: BackupRecord): string | undefined {
  return record.manifest?.tree?.index?.file;
}

/** Copies the backup's index from `backupDir` to the store (encrypted with `secret`, if given). */
export async function uploadFileIndex(store: ObjectStore, backupDir: string, record: BackupRecord, secret: EncryptionSecret | undefined, signal?: AbortSignal): Promise<void> {
  const key = fileIndexKey(record);
  if (!key) return;
  const source = await writeChain(createReadStream(path.join(backupDir, key)), { encrypt: secret });
  await store.put(key, source, { signal });
}

/**
 * Fetches the backup's index into `dir`, decrypted when the archive is stored encrypted. An index missing
 * in the store is left missing: what reads it says so.
 */
export async function fetchFileIndex(store: ObjectStore, record: BackupRecord, dir: string, secret: EncryptionSecret | undefined, signal?: AbortSignal): Promise<void> {
  const key = fileIndexKey(record);
  const plain = await readStoredFileIndex(store, record, secret);
  signal?.throwIfAborted();
  if (key && plain) await writeFile(path.join(dir, key), plain);
}

/** The backup's index from the store, decrypted when the archive is stored encrypted; undefined when it has none there. */
export async function readStoredFileIndex(store: ObjectStore, record: BackupRecord, secret: EncryptionSecret | undefined): Promise<Buffer | undefined> {
  const key = fileIndexKey(record);
  if (!key || !(await store.stat(key))) return undefined;
  const decrypt = record.manifest?.stored ? secret : undefined;
  return buffer(readChain(await store.get(key), { decrypt }));
}
