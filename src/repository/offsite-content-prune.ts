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
import { parseIndexFile } from '../archive/content/index-file.js';
import type { ObjectStore } from '../stores/store.js';
import { OperationError } from '../shared/errors.js';
import { CONFIG_KEY, DATA_PREFIX, INDEX_PREFIX, indexKey, openRemoteContent, putContent, readContent, readUses, remoteSnapshotFiles, USES_PREFIX, type RemoteContent } from './offsite-content.js';

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

/** Step 2: every index file names only packs in use. */
async function rewriteIndexes(content: RemoteContent, used: Set<string>): Promise<void> {
  for (const object of await content.store.list(INDEX_PREFIX)) {
    const name = path.posix.basename(object.key);
    const packs = parseIndexFile((await readContent(content, object.key)).toString('utf8'), name).packs;
    const staying = packs.filter((pack) => used.has(pack.id));
    if (staying.length === packs.length) continue;
    if (staying.length > 0) {
      const index = Buffer.from(JSON.stringify({ packs: staying }) + '\n', 'utf8');
      const key = indexKey(createHash('sha256').update(index).digest('hex'));
      if (key === object.key) continue;
      await putContent(content, key, [index]);
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
