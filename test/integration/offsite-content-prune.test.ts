// The bucket's prune of incremental data against a real S3 server, on a store laid out by hand: an index
// object that names a pack still in use and one no backup uses is replaced by one naming only the first
// (in the line layout, keyed by its sha256), an index written on one line (before) likewise, one whose
// packs are all in use stays as it is, and only the unused pack's object is removed.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexFileText } from '../../src/archive/content/index-file.js';
import { STORE_FORMAT, STORE_VERSION, type PackRecord } from '../../src/archive/content/store-layout.js';
import { CONFIG_KEY, DATA_PREFIX, INDEX_PREFIX, indexKey, packKey, writeUses } from '../../src/repository/offsite-content.js';
import { pruneRemoteContent } from '../../src/repository/offsite-content-prune.js';
import type { S3Store } from '../../src/stores/s3.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

const id = (n: number) => createHash('sha256').update(String(n)).digest('hex');
const pack = (n: number): PackRecord => ({ id: id(-n), size: 100, blobs: [0, 1].map((i) => ({ id: id(n * 10 + i), offset: i * 50, length: 50, size: 60, zstd: true })) });
const SNAPSHOT = '1700000000_snapshot.incremental.json';
/** The key of an index object: its sha256. */
const keyOf = (index: string) => indexKey(createHash('sha256').update(index).digest('hex'));

describe("the bucket's prune of incremental data", () => {
  let s3: TestS3;
  let store: S3Store;
  const put = (key: string, text: string) => store.put(key, Readable.from([Buffer.from(text, 'utf8')]));
  const keys = async (prefix: string) => (await store.list(prefix)).map((o) => o.key).sort();
  const text = async (key: string) => (await buffer(await store.get(key))).toString('utf8');

  beforeAll(async () => {
    s3 = await startS3();
    store = s3.store('prune');
  });
  afterAll(async () => s3?.stop());

  it('replaces index objects naming unused packs by ones naming only the used, and removes only the unused packs', async () => {
    const [used, unused, usedToo, unusedOld, usedOld] = [1, 2, 3, 4, 5].map(pack);
    await put(CONFIG_KEY, JSON.stringify({ format: STORE_FORMAT, version: STORE_VERSION }));
    await put(SNAPSHOT, 'the snapshot file');
    await writeUses({ store, secret: undefined }, SNAPSHOT, [used, usedToo, usedOld].map((p) => ({ id: p.id, size: p.size })));
    for (const p of [used, unused, usedToo, unusedOld, usedOld]) await put(packKey(p.id), 'x'.repeat(p.size));
    const mixed = indexFileText([used, unused]);
    const allUsed = indexFileText([usedToo]);
    const oneLine = JSON.stringify({ packs: [unusedOld, usedOld] }) + '\n';
    for (const index of [mixed, allUsed, oneLine]) await put(keyOf(index), index);

    expect(await pruneRemoteContent(store, undefined)).toEqual({ packsRemoved: 2, bytesRemoved: 200, packsKept: 3 });
    expect(await keys(DATA_PREFIX)).toEqual([used, usedToo, usedOld].map((p) => packKey(p.id)).sort());
    const expected = [indexFileText([used]), allUsed, indexFileText([usedOld])];
    expect(await keys(INDEX_PREFIX)).toEqual(expected.map(keyOf).sort());
    for (const index of expected) expect(await text(keyOf(index))).toBe(index);
  });
});
