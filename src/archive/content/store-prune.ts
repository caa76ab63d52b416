// Removing from a content store the data no snapshot uses, in an order that a crash at any point
// cannot turn into a loss (the deleted backups' snapshot files are gone before this runs):
//   1. every blob the snapshots use is marked (their listings read through);
//   2. the used blobs of packs with a fifth or more unused are copied into new packs;
//   3. a new index file is written, naming only the packs that stay (the new ones among them);
//   4. the other index files are removed;
//   5. then the packs no snapshot uses, the rewritten ones, the packs no index names (a crashed backup's)
//      and partial files (packs and index files).
// A crash after 2 leaves new packs no index names; after 3, two indexes naming packs that still exist
// (a blob in two packs is read from either); after 4, packs no index names: the next run removes them.
// Packs with less unused stay whole (their unused blobs are counted).
// The caller holds the job lock: a backup writing meanwhile would have packs no index names yet.
import { createHash } from 'node:crypto';
import { open, readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { BlobIndex } from './blob-index.js';
import { IndexFileWriter, indexFileText, readIndexFile } from './index-file.js';
import { BlobReader } from './blob-reader.js';
import { readListing } from './listing.js';
import type { SnapshotDocument } from './snapshot-file.js';
import { PackWriter } from './pack-writer.js';
import { claimStoreForWriting } from './blob-writer.js';
import { dataDirOf, indexDirOf, indexPathOf, isHexId, packPathOf, type BlobPlace, type PackRecord } from './store-layout.js';

/** A pack whose unused blobs are at least this share of it is rewritten without them. */
const REWRITE_UNUSED = 0.2;

export interface StorePruneResult {
  packsRemoved: number;
  bytesRemoved: number;
  packsKept: number;
  /** Packs whose used blobs were copied into new packs, to drop their unused ones. */
  packsRewritten: number;
  /** Blobs no snapshot uses that stay, in packs other blobs of which are used. */
  unusedBlobsKept: number;
}

/** A blob's mark in the index (BlobIndex.mark): used by a snapshot; copied into a new pack. */
const USED = 1;
const COPIED = 2;

/** Marks in `index` every blob the snapshots use: their listings' blobs and the contents of every file they list. */
async function markUsedBlobs(reader: BlobReader, snapshots: SnapshotDocument[]): Promise<void> {
  const index = reader.index;
  for (const snapshot of snapshots) {
    for (const id of snapshot.listing) index.mark(id, USED);
    for await (const entry of readListing(reader, snapshot.listing)) for (const id of entry.chunks ?? []) index.mark(id, USED);
  }
}

/** Each pack the index files name, once (the first record of a pack two files name), a pack at a time. */
async function* indexedPacks(storeDir: string, files: readonly string[]): AsyncGenerator<PackRecord> {
  const seen = new Set<string>();
  for (const name of files) {
    for await (const pack of readIndexFile(path.join(indexDirOf(storeDir), name), name)) {
      if (seen.has(pack.id)) continue;
      seen.add(pack.id);
      yield pack;
    }
  }
}

/** The pack files in the data folder: path by pack id, and partial files. */
async function packFiles(storeDir: string): Promise<{ packs: Map<string, string>; partials: string[] }> {
  const packs = new Map<string, string>();
  const partials: string[] = [];
  const dataDir = dataDirOf(storeDir);
  for (const name of await readdir(dataDir, { recursive: true }).catch(() => [] as string[])) {
    const file = path.join(dataDir, name);
    if (name.endsWith('.partial')) partials.push(file);
    else if (isHexId(path.basename(name))) packs.set(path.basename(name), file);
  }
  return { packs, partials };
}

/**
 * Removes what no snapshot in `snapshots` uses from the store at `storeDir`. What is held grows with the
 * store only by the index (with a mark per blob) and the pack ids: the index files are read a pack at a
 * time, three times (to sort the packs, to copy the rewritten ones' used blobs, to write the new index).
 */
export async function pruneStore(storeDir: string, snapshots: SnapshotDocument[]): Promise<StorePruneResult> {
  // Packs may be rewritten; and a store of a format this Lifeboat does not know is left alone.
  await claimStoreForWriting(storeDir);
  const index = await BlobIndex.load(storeDir);
  const reader = new BlobReader(storeDir, index);
  try {
    await markUsedBlobs(reader, snapshots);
  } finally {
    await reader.close();
  }
  const used = (blob: BlobPlace) => index.isMarked(blob.id, USED);
  const kept = new Set<string>();
  const dropped = new Set<string>();
  // Packs mostly in use but with a fair share of unused blobs: their used blobs go into new packs
  // (written before the new index names them), and they go with the dropped ones.
  const rewrite = new Set<string>();
  let unusedBlobsKept = 0;
  for await (const pack of indexedPacks(storeDir, index.files)) {
    const usedHere = pack.blobs.filter(used).length;
    if (usedHere === 0) dropped.add(pack.id);
    else if (unusedBytes(pack, used) >= REWRITE_UNUSED * pack.size) {
      rewrite.add(pack.id);
      dropped.add(pack.id);
    } else {
      kept.add(pack.id);
      unusedBlobsKept += pack.blobs.length - usedHere;
    }
  }
  const files = await packFiles(storeDir);
  const orphans = [...files.packs.keys()].filter((id) => !kept.has(id) && !dropped.has(id));
  let copiedBytes = 0;
  let packsKept = kept.size;
  if (dropped.size > 0 || index.files.length > 1) {
    // One index file for what stays (steps 2 and 3), unless the store has just that already: the
    // copies' records as their packs are sealed, then the kept packs' as the old files name them.
    const indexFile = new IndexFileWriter(storeDir);
    let indexId: string | undefined;
    try {
      await copyUsedBlobs(storeDir, index, indexedPacks(storeDir, index.files), rewrite, async (copy) => {
        copiedBytes += copy.size;
        packsKept++;
        await indexFile.add(copy);
      });
      for await (const pack of indexedPacks(storeDir, index.files)) if (kept.has(pack.id)) await indexFile.add(pack);
      indexId = await indexFile.commit();
    } catch (error) {
      await indexFile.abort();
      throw error;
    }
    if (indexId === undefined) {
      // Nothing stays: an index file naming no pack, as a store that never had one.
      const content = indexFileText([]);
      indexId = createHash('sha256').update(content).digest('hex');
      await writeFileAtomic(indexPathOf(storeDir, indexId), content);
    }
    for (const name of index.files) if (name !== `${indexId}.json`) await unlink(path.join(indexDirOf(storeDir), name)).catch(() => undefined);
  }
  // What the store shrank by: the rewritten packs' copies count against what was removed.
  let bytesRemoved = 0 - copiedBytes;
  let packsRemoved = 0;
  for (const id of [...dropped, ...orphans]) {
    const file = files.packs.get(id);
    if (!file) continue; // removed by an earlier, interrupted run
    bytesRemoved += (await stat(file)).size;
    await unlink(file);
    packsRemoved++;
  }
  for (const partial of files.partials) await unlink(partial).catch(() => undefined);
  // A dead backup's index file, written as its packs were sealed.
  const indexDir = indexDirOf(storeDir);
  for (const name of await readdir(indexDir).catch(() => [] as string[])) if (name.endsWith('.partial')) await unlink(path.join(indexDir, name)).catch(() => undefined);
  return { packsRemoved, bytesRemoved, packsKept, packsRewritten: rewrite.size, unusedBlobsKept };
}

/** Stored bytes of a pack's blobs that no snapshot uses. */
function unusedBytes(pack: PackRecord, used: (blob: BlobPlace) => boolean): number {
  return pack.blobs.reduce((sum, blob) => sum + (used(blob) ? 0 : blob.length), 0);
}

/**
 * The used blobs of the packs `rewrite` names (of `packs`), copied as they are stored (not
 * decompressed: verify checks them) into new packs, each new pack's record given to `onSealed`.
 */
async function copyUsedBlobs(storeDir: string, index: BlobIndex, packs: AsyncIterable<PackRecord>, rewrite: ReadonlySet<string>, onSealed: (pack: PackRecord) => Promise<void>): Promise<void> {
  if (rewrite.size === 0) return;
  const writer = new PackWriter(storeDir, undefined, onSealed);
  try {
    for await (const pack of packs) {
      if (!rewrite.has(pack.id)) continue;
      const handle = await open(packPathOf(storeDir, pack.id), 'r');
      try {
        for (const blob of pack.blobs) {
          // A blob in two rewritten packs is copied once.
          if (!index.isMarked(blob.id, USED) || !index.mark(blob.id, COPIED)) continue;
          const stored = Buffer.allocUnsafe(blob.length);
          for (let got = 0; got < blob.length; ) {
            const { bytesRead } = await handle.read(stored, got, blob.length - got, blob.offset + got);
            if (bytesRead === 0) throw new Error(`pack ${pack.id} ends inside blob ${blob.id}; nothing was removed`);
            got += bytesRead;
          }
          await writer.add({ id: blob.id, size: blob.size, zstd: blob.zstd }, stored);
        }
      } finally {
        await handle.close();
      }
    }
    await writer.finish();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
