// Pruning a content store: a pack that is mostly unused is rewritten with only its used blobs (copied
// as stored), the old one goes, the blobs still in use read back whole, and a second run finds nothing.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlobReader } from '../../src/archive/content/blob-reader.js';
import { BlobWriter, openStore } from '../../src/archive/content/blob-writer.js';
import { ListingWriter } from '../../src/archive/content/listing.js';
import { snapshotDocument, type SnapshotDocument } from '../../src/archive/content/snapshot-file.js';
import { checkStoreStructure } from '../../src/archive/content/store-check.js';
import { pruneStore } from '../../src/archive/content/store-prune.js';

/** A snapshot listing one file whose contents are `chunks`. */
async function snapshotOf(writer: BlobWriter, chunks: string[]): Promise<SnapshotDocument> {
  const listing = new ListingWriter(writer);
  listing.add({ path: 'file.bin', type: 'file', mode: 0o644, uid: 0, gid: 0, mtimeNs: '0', size: chunks.length * 100_000, chunks });
  return snapshotDocument(await listing.finish(), listing.entries);
}

describe('prune of a content store', () => {
  it('rewrites a pack that is mostly unused, keeping every blob in use readable', async () => {
    const storeDir = path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-prune-')), 'incremental');
    const writer = new BlobWriter(storeDir, await openStore(storeDir));
    const contents = Array.from({ length: 10 }, () => randomBytes(100_000));
    const ids = await Promise.all(contents.map((c) => writer.store(c, true)));
    const everything = await snapshotOf(writer, ids);
    const half = await snapshotOf(writer, ids.slice(0, 5));
    await writer.commit();
    const packs = async () => (await readdir(path.join(storeDir, 'data'), { recursive: true })).filter((n) => /^[0-9a-f]{64}$/.test(path.basename(n)));
    const [before] = await packs();

    expect(await pruneStore(storeDir, [everything, half])).toMatchObject({ packsRemoved: 0, packsRewritten: 0 });
    const pruned = await pruneStore(storeDir, [half]);
    expect(pruned).toMatchObject({ packsRemoved: 1, packsRewritten: 1, packsKept: 1, unusedBlobsKept: 0 });
    expect(pruned.bytesRemoved).toBeGreaterThan(450_000);
    expect(await packs()).not.toContain(before);
    expect(await checkStoreStructure(storeDir)).toEqual([]);
    const reader = new BlobReader(storeDir, await openStore(storeDir));
    for (let i = 0; i < 5; i++) expect((await reader.read(ids[i])).equals(contents[i])).toBe(true);
    expect(reader.index.has(ids[7])).toBe(false);
    await reader.close();
    expect(await pruneStore(storeDir, [half])).toMatchObject({ packsRemoved: 0, packsRewritten: 0, bytesRemoved: 0 });
  });
});
