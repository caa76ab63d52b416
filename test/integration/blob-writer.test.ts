// The content store's writer: the same bytes are stored once; packs are removed by a failure before the
// commit, and kept by one after it (an index names them then, and later backups may use their blobs).
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlobReader } from '../../src/archive/content/blob-reader.js';
import { BlobWriter, openStore } from '../../src/archive/content/blob-writer.js';

const packsIn = async (storeDir: string) => (await readdir(path.join(storeDir, 'data'), { recursive: true }).catch(() => [] as string[])).filter((n) => /^[0-9a-f]{64}$/.test(path.basename(n)));

describe('blob writer', () => {
  it('stores the same bytes once, and reads them back checked', async () => {
    const storeDir = path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-blobs-')), 'incremental');
    const writer = new BlobWriter(storeDir, await openStore(storeDir));
    const text = Buffer.from('the same text, twice '.repeat(100));
    const media = randomBytes(5000);
    const ids = await Promise.all([writer.store(text, false), writer.store(Buffer.from(text), false), writer.store(media, true)]);
    expect(ids[0]).toBe(ids[1]);
    expect(await writer.commit()).toMatchObject({ blobs: 2, packs: 1 });
    const reader = new BlobReader(storeDir, await openStore(storeDir));
    expect((await reader.read(ids[0])).equals(text)).toBe(true);
    expect((await reader.read(ids[2])).equals(media)).toBe(true);
    expect(reader.index.find(ids[0])?.place.zstd).toBe(true);
    expect(reader.index.find(ids[2])?.place).toMatchObject({ zstd: false, length: 5000 });
    await reader.close();
  });

  it('gives each buffer back once nothing refers to it: a duplicate at once, a stored-as-is one only once written', async () => {
    const storeDir = path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-blobs-')), 'incremental');
    const writer = new BlobWriter(storeDir, await openStore(storeDir));
    const text = Buffer.from('text to compress, '.repeat(200));
    const media = randomBytes(3000);
    const mediaBytes = Buffer.from(media);
    const given: string[] = [];
    // Each buffer is overwritten the moment it is given back, as a reused read buffer is.
    const giveBack = (name: string, buffer: Buffer) => () => {
      given.push(name);
      buffer.fill(0);
    };
    const textCopy = Buffer.from(text);
    const ids = await Promise.all([
      writer.store(text, false, giveBack('text', text)),
      writer.store(textCopy, false, giveBack('duplicate', textCopy)),
      writer.store(media, true, giveBack('media', media)),
    ]);
    await writer.commit();
    expect(given.sort()).toEqual(['duplicate', 'media', 'text']);
    const reader = new BlobReader(storeDir, await openStore(storeDir));
    expect((await reader.read(ids[0])).toString()).toBe('text to compress, '.repeat(200));
    expect((await reader.read(ids[2])).equals(mediaBytes)).toBe(true);
    await reader.close();
  });

  it('removes its packs when it fails before the commit, and keeps them after it', async () => {
    const storeDir = path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-blobs-')), 'incremental');
    const failing = new BlobWriter(storeDir, await openStore(storeDir));
    for (let i = 0; i < 3; i++) await failing.store(randomBytes(7 << 20), true); // two packs of 16 MiB (one closed)
    await failing.abort();
    expect(await packsIn(storeDir)).toEqual([]);
    const committed = new BlobWriter(storeDir, await openStore(storeDir));
    await committed.store(randomBytes(1000), true);
    await committed.commit();
    await committed.abort(); // a failure after the commit (the snapshot could not be written)
    expect(await packsIn(storeDir)).toHaveLength(1);
  });
});
