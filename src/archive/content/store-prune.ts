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
import { open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { BlobIndex } from './blob-index.js';
import { indexFileText, parseIndexFile } from './index-file.js';
import { BlobReader } from './blob-reader.js';
import { readListing } from './listing.js';
import type { SnapshotDocument } from './snapshot-file.js';
import { PackWriter } from './pack-writer.js';
import { dataDirOf, indexDirOf, indexPathOf, isHexId, packPathOf, type PackRecord } from './store-layout.js';

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

/** Every blob the snapshots use: their listings' blobs and the contents of every file they list. */
async function usedBlobs(reader: BlobReader, snapshots: SnapshotDocument[]): Promise<Set<string>> {
  const used = new Set<string>();
  for (const snapshot of snapshots) {
    for (const id of snapshot.listing) used.add(id);
    for await (const entry of readListing(reader, snapshot.listing)) for (const id of entry.chunks ?? []) used.add(id);
  }
  return used;
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

/** Removes what no snapshot in `snapshots` uses from the store at `storeDir`. */
export async function pruneStore(storeDir: string, snapshots: SnapshotDocument[]): Promise<StorePruneResult> {
  const index = await BlobIndex.load(storeDir);
  const reader = new BlobReader(storeDir, index);
  let used: Set<string>;
  try {
    used = await usedBlobs(reader, snapshots);
  } finally {
    await reader.close();
  }
  const indexDir = indexDirOf(storeDir);
  const kept = new Map<string, PackRecord>();
  const dropped = new Set<string>();
  let unusedBlobsKept = 0;
  for (const name of index.files) {
    for (const pack of parseIndexFile(await readFile(path.join(indexDir, name), 'utf8'), name).packs) {
      if (kept.has(pack.id) || dropped.has(pack.id)) continue;
      const usedHere = pack.blobs.filter((b) => used.has(b.id)).length;
      if (usedHere === 0) dropped.add(pack.id);
      else {
        kept.set(pack.id, pack);
        unusedBlobsKept += pack.blobs.length - usedHere;
      }
    }
  }
  const files = await packFiles(storeDir);
  const orphans = [...files.packs.keys()].filter((id) => !kept.has(id) && !dropped.has(id));
  // Packs mostly in use but with a fair share of unused blobs: their used blobs go into new packs
  // (written before the new index names them), and they go with the dropped ones.
  const rewrite = [...kept.values()].filter((pack) => unusedBytes(pack, used) >= REWRITE_UNUSED * pack.size);
  const copies = await copyUsedBlobs(storeDir, rewrite, used);
  for (const pack of copies) kept.set(pack.id, pack);
  for (const pack of rewrite) {
    kept.delete(pack.id);
    dropped.add(pack.id);
    unusedBlobsKept -= pack.blobs.filter((b) => !used.has(b.id)).length;
  }
  if (dropped.size > 0 || index.files.length > 1) {
    // One index file for what stays (steps 2 and 3), unless the store has just that already.
    const content = indexFileText([...kept.values()]);
    const indexId = createHash('sha256').update(content).digest('hex');
    await writeFileAtomic(indexPathOf(storeDir, indexId), content);
    for (const name of index.files) if (name !== `${indexId}.json`) await unlink(path.join(indexDir, name)).catch(() => undefined);
  }
  // What the store shrank by: the rewritten packs' copies count against what was removed.
  let bytesRemoved = 0 - copies.reduce((sum, pack) => sum + pack.size, 0);
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
  for (const name of await readdir(indexDir).catch(() => [] as string[])) if (name.endsWith('.partial')) await unlink(path.join(indexDir, name)).catch(() => undefined);
  return { packsRemoved, bytesRemoved, packsKept: kept.size, packsRewritten: rewrite.length, unusedBlobsKept };
}

/** Stored bytes of a pack's blobs that no snapshot uses. */
function unusedBytes(pack: PackRecord, used: Set<string>): number {
  return pack.blobs.reduce((sum, blob) => sum + (used.has(blob.id) ? 0 : blob.length), 0);
}

/**
 * The used blobs of `packs`, copied as they are stored (not decompressed: verify checks them) into new
 * packs; the new packs' records.
 */
async function copyUsedBlobs(storeDir: string, packs: PackRecord[], used: Set<string>): Promise<PackRecord[]> {
  if (packs.length === 0) return [];
  const records: PackRecord[] = [];
  const writer = new PackWriter(storeDir, undefined, async (pack) => void records.push(pack));
  const copied = new Set<string>();
  try {
    for (const pack of packs) {
      const handle = await open(packPathOf(storeDir, pack.id), 'r');
      try {
        for (const blob of pack.blobs) {
          if (!used.has(blob.id) || copied.has(blob.id)) continue;
          const stored = Buffer.allocUnsafe(blob.length);
          for (let got = 0; got < blob.length; ) {
            const { bytesRead } = await handle.read(stored, got, blob.length - got, blob.offset + got);
            if (bytesRead === 0) throw new Error(`pack ${pack.id} ends inside blob ${blob.id}; nothing was removed`);
            got += bytesRead;
          }
          await writer.add({ id: blob.id, size: blob.size, zstd: blob.zstd }, stored);
          copied.add(blob.id);
        }
      } finally {
        await handle.close();
      }
    }
    await writer.finish();
    return records;
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
