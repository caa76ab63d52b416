// The data of an incremental backup fetched from the bucket, beside its snapshot file in a work folder
// (offsite-copy.ts's `.lifeboat-fetch-*`): the packs its uses record names, decrypted on the way, in a
// content store of their own (`<work folder>/incremental/`), indexed from the packs' own blob tables.
// Verify, rollback, restore and download then read it as they read the backup folder's store, with the
// same checks (every blob against its sha256 as it is read). A pack the backup folder's own store still
// holds is linked from there instead of fetched.
import { createWriteStream } from 'node:fs';
import { link, mkdir, open, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { EncryptionSecret } from '../archive/encrypt.js';
import { openStore } from '../archive/content/blob-writer.js';
import { IndexFileWriter } from '../archive/content/index-file.js';
import { packBlobs } from '../archive/content/pack-table.js';
import type { UsedPack } from '../archive/content/snapshot-packs.js';
import { packPathOf, storeDirOf, type PackRecord } from '../archive/content/store-layout.js';
import type { ObjectStore } from '../stores/store.js';
import { OperationError } from '../shared/errors.js';
import { openContent, openRemoteContent, packKey, readUses, type RemoteContent } from './offsite-content.js';

export interface ContentFetchOptions {
  signal?: AbortSignal;
  /** Bytes of packs in the work folder so far, of `total`. */
  onBytes?: (bytes: number, total: number) => void;
}

/** Links the pack from the backup folder's store when it is there with the same size; whether it did. */
async function linkLocal(backupDir: string, target: string, pack: UsedPack): Promise<boolean> {
  const local = packPathOf(storeDirOf(backupDir), pack.id);
  if ((await stat(local).catch(() => undefined))?.size !== pack.size) return false;
  return link(local, target).then(
    () => true,
    () => false,
  );
}

/** `onFetched`: the bytes of this pack written so far. */
async function download(content: RemoteContent, target: string, pack: UsedPack, signal: AbortSignal | undefined, onFetched: (bytes: number) => void): Promise<void> {
  const body = await openContent(content, packKey(pack.id), onFetched);
  await pipeline(body, createWriteStream(target, { mode: 0o640 }), { signal });
}

/** The pack at `file`, checked against its uses entry (size) and its id (its table's sha256); its index entry. */
async function indexEntry(file: string, pack: UsedPack): Promise<PackRecord> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size !== pack.size) throw new Error(`pack ${pack.id} is ${size} bytes, its backup's record says ${pack.size}`);
    return { id: pack.id, size, blobs: await packBlobs(handle, size, pack.id) };
  } finally {
    await handle.close();
  }
}

/**
 * Fetches the packs of the incremental backup `snapshotFile` from `store` into a content store in
 * `workDir` (whose snapshot file is fetched beside it), from the backup folder `backupDir` where it
 * still has them.
 */
export async function fetchContent(store: ObjectStore, backupDir: string, workDir: string, snapshotFile: string, secret: EncryptionSecret | undefined, options: ContentFetchOptions = {}): Promise<void> {
  const content = await openRemoteContent(store, secret);
  if (!content) throw new OperationError(`${store.location} holds no incremental data (no ${storeDirOf('')}/config.json), so ${snapshotFile} cannot be read from it`);
  const packs = await readUses(content, snapshotFile);
  const storeDir = storeDirOf(workDir);
  await openStore(storeDir);
  const total = packs.reduce((sum, pack) => sum + pack.size, 0);
  let done = 0;
  // The index is written a pack at a time from the packs' own tables: no list of every blob is held.
  const indexFile = new IndexFileWriter(storeDir);
  try {
    for (const pack of packs) {
      const target = packPathOf(storeDir, pack.id);
      await mkdir(path.dirname(target), { recursive: true });
      if (!(await linkLocal(backupDir, target, pack))) await download(content, target, pack, options.signal, (bytes) => options.onBytes?.(done + bytes, total));
      options.onBytes?.((done += pack.size), total);
      await indexFile.add(await indexEntry(target, pack));
    }
    await indexFile.commit();
  } catch (error) {
    await indexFile.abort();
    throw error;
  }
}
