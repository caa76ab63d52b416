// Every ObjectStore passes the same suite: the local folder and a real S3 server (s3rver on loopback).
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStore } from '../../src/stores/local.js';
import { MIN_PART_SIZE } from '../../src/stores/s3.js';
import { ObjectNotFoundError, type ObjectStore } from '../../src/stores/store.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function* chunksOf(data: Buffer, size = 64 * 1024): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function* failingAfter(data: Buffer): AsyncGenerator<Buffer> {
  yield* chunksOf(data);
  throw new Error('the source broke');
}

interface Fixture {
  store: ObjectStore;
  /** What a second store on the same backend but another prefix/folder sees. */
  other: ObjectStore;
}

function conformance(name: string, setup: () => Promise<Fixture>): void {
  describe(`${name} store`, () => {
    let store: ObjectStore;
    let other: ObjectStore;
    beforeAll(async () => {
      ({ store, other } = await setup());
    });

    it('stores and returns the same bytes, and stats them', async () => {
      const data = randomBytes(300_000);
      expect(await store.put('1764000000_db.sql.gz', chunksOf(data))).toEqual({ size: data.length });
      expect((await readAll(await store.get('1764000000_db.sql.gz'))).equals(data)).toBe(true);
      const info = await store.stat('1764000000_db.sql.gz');
      expect(info?.size).toBe(data.length);
      expect(info?.modified).toBeInstanceOf(Date);
    });

    it('reads byte ranges', async () => {
      const data = randomBytes(100_000);
      await store.put('ranged.bin', chunksOf(data));
      expect((await readAll(await store.get('ranged.bin', { offset: 0, length: 10 }))).equals(data.subarray(0, 10))).toBe(true);
      expect((await readAll(await store.get('ranged.bin', { offset: 4321, length: 5000 }))).equals(data.subarray(4321, 9321))).toBe(true);
      expect((await readAll(await store.get('ranged.bin', { offset: 99_990 }))).equals(data.subarray(99_990))).toBe(true);
      expect((await readAll(await store.get('ranged.bin', { offset: 5, length: 0 }))).length).toBe(0);
    });

    it('uploads an object larger than one part', async () => {
      const data = randomBytes(MIN_PART_SIZE * 2 + 12_345);
      expect(await store.put('big.tgz', chunksOf(data, 1 << 20))).toEqual({ size: data.length });
      expect((await store.stat('big.tgz'))?.size).toBe(data.length);
      const back = await readAll(await store.get('big.tgz'));
      expect(back.equals(data)).toBe(true);
      const tail = await readAll(await store.get('big.tgz', { offset: MIN_PART_SIZE - 3, length: 6 }));
      expect(tail.equals(data.subarray(MIN_PART_SIZE - 3, MIN_PART_SIZE + 3))).toBe(true);
    });

    it('replaces an object that is put again', async () => {
      await store.put('again.bin', chunksOf(Buffer.from('first version')));
      await store.put('again.bin', chunksOf(Buffer.from('second')));
      expect((await readAll(await store.get('again.bin'))).toString()).toBe('second');
    });

    it('lists by prefix, in key order, and keeps prefixes apart', async () => {
      await store.put('list/1764000002_db.sql.gz', chunksOf(Buffer.from('b')));
      await store.put('list/1764000001_db.sql.gz', chunksOf(Buffer.from('aa')));
      await store.put('list/1764000001_db.sql.gz.manifest.json', chunksOf(Buffer.from('{}')));
      await store.put('listing-not-this', chunksOf(Buffer.from('x')));
      const listed = await store.list('list/');
      expect(listed.map((o) => [o.key, o.size])).toEqual([
        ['list/1764000001_db.sql.gz', 2],
        ['list/1764000001_db.sql.gz.manifest.json', 2],
        ['list/1764000002_db.sql.gz', 1],
      ]);
      expect((await store.list('')).map((o) => o.key)).toContain('listing-not-this');
      expect(await other.list('')).toEqual([]);
      expect(await other.stat('listing-not-this')).toBeUndefined();
    });

    it('lists one folder only when shallow', async () => {
      await store.put('shallow/1764000001_db.sql.gz', chunksOf(Buffer.from('a')));
      await store.put('shallow/deeper/1764000002_db.sql.gz', chunksOf(Buffer.from('b')));
      await store.put('shallow-not-this', chunksOf(Buffer.from('c')));
      expect((await store.list('shallow/', { shallow: true })).map((o) => o.key)).toEqual(['shallow/1764000001_db.sql.gz']);
      expect((await store.list('shallow/17', { shallow: true })).map((o) => o.key)).toEqual(['shallow/1764000001_db.sql.gz']);
      const top = (await store.list('', { shallow: true })).map((o) => o.key);
      expect(top).toContain('shallow-not-this');
      expect(top.filter((key) => key.includes('/'))).toEqual([]);
      expect(await store.list('nowhere/', { shallow: true })).toEqual([]);
    });

    it('removes objects; removing a missing one is fine', async () => {
      await store.put('gone.bin', chunksOf(Buffer.from('bye')));
      await store.remove('gone.bin');
      expect(await store.stat('gone.bin')).toBeUndefined();
      await store.remove('gone.bin');
      await store.remove('never-was.bin');
    });

    it('reports a missing key: stat gives undefined, get an ObjectNotFoundError', async () => {
      expect(await store.stat('missing.sql.gz')).toBeUndefined();
      await expect(store.get('missing.sql.gz')).rejects.toBeInstanceOf(ObjectNotFoundError);
    });

    it('leaves no visible object when the upload fails (small and multipart)', async () => {
      await expect(store.put('failed-small.bin', failingAfter(randomBytes(1000)))).rejects.toThrow('the source broke');
      await expect(store.put('failed-big.bin', failingAfter(randomBytes(MIN_PART_SIZE + 1000)))).rejects.toThrow('the source broke');
      expect(await store.stat('failed-small.bin')).toBeUndefined();
      expect(await store.stat('failed-big.bin')).toBeUndefined();
      const keys = (await store.list('')).map((o) => o.key);
      expect(keys.filter((k) => k.startsWith('failed'))).toEqual([]);
    });

    it('refuses keys that would leave the store', async () => {
      await expect(store.put('../escape', chunksOf(Buffer.from('x')))).rejects.toThrow('invalid storage key');
      await expect(store.stat('/abs')).rejects.toThrow('invalid storage key');
    });
  });
}

let tempDir: string;
let s3: TestS3;

beforeAll(async () => {
  tempDir = await mkdtemp(path.join(tmpdir(), 'lifeboat-store-'));
  s3 = await startS3();
});

afterAll(async () => {
  await s3?.stop();
  await rm(tempDir, { recursive: true, force: true });
});

conformance('local folder', async () => ({ store: new LocalStore(path.join(tempDir, 'a')), other: new LocalStore(path.join(tempDir, 'b')) }));
conformance('S3 (s3rver)', async () => ({ store: s3.store('shop-one/backups'), other: s3.store('shop-two') }));

describe('local folder store', () => {
  it('leaves no .partial file behind after a failed upload', async () => {
    const store = new LocalStore(path.join(tempDir, 'partials'));
    await expect(store.put('x.bin', failingAfter(randomBytes(10)))).rejects.toThrow();
    expect(await readdir(path.join(tempDir, 'partials'))).toEqual([]);
  });
});
