// Removing from the bucket's incremental store what no backup in the bucket uses, in the order of the
// local prune (store-prune.ts), so that a crash at any point loses nothing a listed backup needs and
// the next run finishes (the deleted backups' manifests and snapshot files are gone before this runs):
//   1. the packs in use: those the uses records of the snapshot files in the bucket name (a snapshot
//      file whose record cannot be read stops the prune: what it uses is unknown);
//   2. index files naming packs no longer in use are replaced by ones naming only the packs that stay
//      (the new one written before the old one is removed);
//   3. the packs not in use (a deleted backup's, or a failed upload's) are removed;
//   4. then the uses records of snapshot files that are gone, and, when no backup is left, the config
//      (a later upload may then choose encryption anew).
// A pack part of whose blobs is unused stays whole: rewriting it would download and upload it.
// The caller holds the job lock: an upload running meanwhile has packs that no uses record names yet.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { EncryptionSecret } from '../archive/encrypt.js';
import { indexFilePieces, readIndexStream, type PackTable } from '../archive/content/index-file.js';
import type { PackRecord } from '../archive/content/store-layout.js';
import type { ObjectStore } from '../stores/store.js';
import { OperationError } from '../shared/errors.js';
import { CONFIG_KEY, DATA_PREFIX, INDEX_PREFIX, indexKey, openContent, openRemoteContent, putContent, readUses, remoteSnapshotFiles, USES_PREFIX, type RemoteContent } from './offsite-content.js';

export interface RemotePruneResult {
  packsRemoved: number;
  /** Bytes of the removed pack objects, as stored (encrypted, when they are). */
  bytesRemoved: number;
  packsKept: number;
}

/** Step 1: the packs the snapshot files in the bucket use. */
async function packsInUse(content: RemoteContent, snapshots: string[]): Promise<Set<string>> {
  const used = new Set<string>();
  for (const file of snapshots) {
    try {
      for (const pack of await readUses(content, file)) used.add(pack.id);
    } catch (error) {
      throw new OperationError(`${(error as Error).message}; no off-site incremental data was removed, since what it uses is unknown`);
    }
  }
  return used;
}

/** The packs of the bucket's index object `key`, a pack at a time. */
async function* indexObjectPacks(content: RemoteContent, key: string): AsyncGenerator<PackRecord> {
  yield* readIndexStream(await openContent(content, key), path.posix.basename(key));
}

/** Of `packs`, those in `used`, as pack tables (an index file's pieces are made of those), counted in `count`. */
async function* tablesInUse(packs: AsyncIterable<PackRecord>, used: Set<string>, count: { packs: number }): AsyncGenerator<PackTable> {
  for await (const pack of packs) {
    if (!used.has(pack.id)) continue;
    count.packs++;
    yield { id: pack.id, size: pack.size, table: Buffer.from(JSON.stringify(pack.blobs), 'utf8') };
  }
}

/**
 * Step 2: every index file names only packs in use. Each index object is read a pack at a time: once
 * to find packs not in use, and when it has some, again for the new object's bytes (held as bytes,
 * not records, since its key is their sha256, known before it is put).
 */
async function rewriteIndexes(content: RemoteContent, used: Set<string>): Promise<void> {
  for (const object of await content.store.list(INDEX_PREFIX)) {
    let allUsed = true;
    for await (const pack of indexObjectPacks(content, object.key)) allUsed &&= used.has(pack.id);
    if (allUsed) continue;
    const staying = { packs: 0 };
    const index: Buffer[] = [];
    const hash = createHash('sha256');
    for await (const piece of indexFilePieces(tablesInUse(indexObjectPacks(content, object.key), used, staying))) {
      index.push(piece);
      hash.update(piece);
    }
    if (staying.packs > 0) {
      const key = indexKey(hash.digest('hex'));
      if (key === object.key) continue;
      await putContent(content, key, index);
    }
    await content.store.remove(object.key);
  }
}

/** Removes from the bucket's incremental store what no backup there uses; undefined when it has no store. */
export async function pruneRemoteContent(store: ObjectStore, secret: EncryptionSecret | undefined): Promise<RemotePruneResult | undefined> {
  const content = await openRemoteContent(store, secret);
  if (!content) return undefined;
  const snapshots = await remoteSnapshotFiles(store);
  const used = await packsInUse(content, snapshots);
  await rewriteIndexes(content, used);
  const result: RemotePruneResult = { packsRemoved: 0, bytesRemoved: 0, packsKept: 0 };
  for (const object of await store.list(DATA_PREFIX)) {
    if (used.has(path.posix.basename(object.key))) {
      result.packsKept++;
      continue;
    }
    await store.remove(object.key);
    result.packsRemoved++;
    result.bytesRemoved += object.size;
  }
  const present = new Set(snapshots);
  for (const object of await store.list(USES_PREFIX)) if (!present.has(object.key.slice(USES_PREFIX.length))) await store.remove(object.key);
  if (snapshots.length === 0) await store.remove(CONFIG_KEY);
  return result;
}
