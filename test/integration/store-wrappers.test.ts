// The wrappers every store gets (src/stores: retry.ts, rate-limit.ts, listing-cache.ts), around the real
// local folder and a real S3 server (s3rver on loopback, behind the fault-injecting proxy where a test
// needs the network to fail): what is read back, what is listed, how long it takes, how many requests
// reached the server.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListingCache } from '../../src/stores/listing-cache.js';
import { LocalStore } from '../../src/stores/local.js';
import { RateLimitedStore } from '../../src/stores/rate-limit.js';
import { isNetworkError, isPassingFileError, RetryingStore, type RetryPolicy } from '../../src/stores/retry.js';
import { ObjectNotFoundError, type ByteRange, type ListOptions, type ObjectStore } from '../../src/stores/store.js';
import { startFaultProxy, type Fault } from '../helpers/fault-proxy.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

const LOCAL_RETRIES: RetryPolicy = { attempts: 4, firstDelayMs: 5, maxDelayMs: 20, isTransient: isPassingFileError };
const S3_READ_RESUMES: RetryPolicy = { attempts: 4, firstDelayMs: 5, maxDelayMs: 20, isTransient: (error, place) => place === 'read' && isNetworkError(error) };

async function* chunksOf(data: Buffer, size = 16 * 1024): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

/**
 * The real folder, whose first `failures` calls of each kind fail as a busy NFS server's do (EBUSY);
 * `calls` counts what reached it, per kind.
 */
class BusyFolder implements ObjectStore {
  readonly calls = { get: 0, stat: 0, list: 0, remove: 0 };
  private readonly folder: LocalStore;
  private readonly left = new Map<string, number>();

  constructor(
    dir: string,
    private readonly failures: number,
  ) {
    this.folder = new LocalStore(dir);
  }

  get location(): string {
    return this.folder.location;
  }

  get total(): number {
    return Object.values(this.calls).reduce((sum, n) => sum + n, 0);
  }

  private busy(kind: keyof BusyFolder['calls']): void {
    this.calls[kind]++;
    const left = this.left.get(kind) ?? this.failures;
    this.left.set(kind, left - 1);
    if (left > 0) throw Object.assign(new Error(`EBUSY: resource busy or locked, ${kind}`), { code: 'EBUSY' });
  }

  put(key: string, source: AsyncIterable<Buffer> | Readable) {
    return this.folder.put(key, source);
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    this.busy('get');
    return this.folder.get(key, range);
  }

  async stat(key: string) {
    this.busy('stat');
    return this.folder.stat(key);
  }

  async list(prefix: string, options?: ListOptions) {
    this.busy('list');
    return this.folder.list(prefix, options);
  }

  async remove(key: string) {
    this.busy('remove');
    return this.folder.remove(key);
  }
}

let tempDir: string;
let s3: TestS3;

beforeAll(async () => {
  tempDir = await mkdtemp(path.join(tmpdir(), 'lifeboat-wrappers-'));
  s3 = await startS3();
});

afterAll(async () => {
  await s3?.stop();
  await rm(tempDir, { recursive: true, force: true });
});

/** An S3 store behind the fault proxy; `decide` picks each request's fault. */
async function behindProxy(prefix: string, decide: (n: number, method: string) => Fault) {
  const proxy = await startFaultProxy(s3.endpoint, decide);
  return { proxy, store: s3.store(prefix, { endpoint: proxy.endpoint }) };
}

describe('retries', () => {
  it('tries stat, list, get and remove of the local folder again when it is busy, and gets the real answers', async () => {
    const data = randomBytes(50_000);
    const folder = new BusyFolder(path.join(tempDir, 'busy'), 2);
    await folder.put('1764000000_db.sql.gz', chunksOf(data));
    const store = new RetryingStore(folder, LOCAL_RETRIES);
    expect((await store.stat('1764000000_db.sql.gz'))?.size).toBe(data.length);
    expect((await store.list('')).map((o) => o.key)).toEqual(['1764000000_db.sql.gz']);
    expect((await buffer(await store.get('1764000000_db.sql.gz', { offset: 100, length: 1000 }))).equals(data.subarray(100, 1100))).toBe(true);
    await store.remove('1764000000_db.sql.gz');
    expect(await folder.stat('1764000000_db.sql.gz')).toBeUndefined();
    // Each kind failed twice, then passed; the last stat is the check.
    expect(folder.calls).toEqual({ get: 3, stat: 4, list: 3, remove: 3 });
  });

  it('gives up after its attempts, and never retries an error that does not pass', async () => {
    const folder = new BusyFolder(path.join(tempDir, 'always-busy'), 10);
    await expect(new RetryingStore(folder, LOCAL_RETRIES).stat('x')).rejects.toThrow('EBUSY');
    expect(folder.calls.stat).toBe(LOCAL_RETRIES.attempts);
    const plain = new BusyFolder(path.join(tempDir, 'not-busy'), 0);
    await expect(new RetryingStore(plain, LOCAL_RETRIES).get('missing')).rejects.toBeInstanceOf(ObjectNotFoundError);
    expect(plain.calls.get).toBe(1);
  });

  it('resumes an S3 read whose body the network cut off half-way, from the byte where it stopped', async () => {
    const data = randomBytes(600_000);
    let cuts = 0;
    // Every first GET of an object or range is cut (the resumed one too, once): two resumes in one read.
    const { proxy, store } = await behindProxy('resume', (_n, method) => (method === 'GET' && cuts++ < 2 ? 'cut' : 'pass'));
    try {
      await s3.store('resume').put('1764000000_db.sql.gz', chunksOf(data));
      const resumed = new RetryingStore(store, S3_READ_RESUMES);
      expect((await buffer(await resumed.get('1764000000_db.sql.gz'))).equals(data)).toBe(true);
      const gets = proxy.seen.filter((s) => s.request.startsWith('GET'));
      expect(gets.map((s) => s.fault)).toEqual(['cut', 'cut', 'pass']);

      cuts = 0;
      const range = { offset: 12_345, length: 400_000 };
      expect((await buffer(await resumed.get('1764000000_db.sql.gz', range))).equals(data.subarray(12_345, 412_345))).toBe(true);

      // Without the wrapper the same cut fails the read: the S3 client does not retry a body.
      cuts = 1;
      await expect(buffer(await store.get('1764000000_db.sql.gz'))).rejects.toSatisfy(isNetworkError);
    } finally {
      await proxy.stop();
    }
  });
});

describe('rate limits', () => {
  it('holds uploads and downloads of the local folder to their bytes per second', async () => {
    const store = new RateLimitedStore(new LocalStore(path.join(tempDir, 'limited')), { uploadBytesPerSecond: 64 * 1024, downloadBytesPerSecond: 64 * 1024 });
    const data = randomBytes(96 * 1024);
    let started = performance.now();
    await store.put('1764000000_snapshot.tgz', chunksOf(data));
    // The first second's 64 KiB go at once, the other 32 KiB take half a second.
    expect(performance.now() - started).toBeGreaterThanOrEqual(450);
    started = performance.now();
    expect((await buffer(await store.get('1764000000_snapshot.tgz'))).equals(data)).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(450);
  });

  it('holds S3 requests to their number per second', async () => {
    const { proxy, store } = await behindProxy('limited', () => 'pass');
    try {
      const limited = new RateLimitedStore(store, { requestsPerSecond: 10 });
      await limited.put('a.bin', chunksOf(Buffer.from('a')));
      const started = performance.now();
      for (let i = 0; i < 20; i++) expect((await limited.stat('a.bin'))?.size).toBe(1);
      // At 10 a second with at most 10 held: 20 requests take at least a second, whatever the put left.
      expect(performance.now() - started).toBeGreaterThanOrEqual(950);
      expect(proxy.seen).toHaveLength(21);
    } finally {
      await proxy.stop();
    }
  });
});

describe('listing cache', () => {
  async function cacheBehaviour(store: ListingCache, listRequests: () => number, writeBehind: (key: string) => Promise<void>): Promise<void> {
    await store.put('1764000001_db.sql.gz', chunksOf(Buffer.from('one')));
    expect((await store.list('', { shallow: true })).map((o) => o.key)).toEqual(['1764000001_db.sql.gz']);
    const asked = listRequests();
    // Written by someone else: not seen while the listing is cached.
    await writeBehind('1764000002_db.sql.gz');
    expect((await store.list('', { shallow: true })).map((o) => o.key)).toEqual(['1764000001_db.sql.gz']);
    expect(listRequests()).toBe(asked);
    // A write through the cache drops the listing: both are seen.
    await store.put('1764000003_db.sql.gz', chunksOf(Buffer.from('three')));
    expect((await store.list('', { shallow: true })).map((o) => o.key)).toEqual(['1764000001_db.sql.gz', '1764000002_db.sql.gz', '1764000003_db.sql.gz']);
    await store.remove('1764000001_db.sql.gz');
    expect((await store.list('', { shallow: true })).map((o) => o.key)).toEqual(['1764000002_db.sql.gz', '1764000003_db.sql.gz']);
    // A write around it, announced.
    await writeBehind('1764000004_db.sql.gz');
    store.forget();
    expect((await store.list('', { shallow: true })).map((o) => o.key)).toContain('1764000004_db.sql.gz');
    expect(listRequests()).toBe(asked + 3);
  }

  it('lists the local folder once until a write through it or forget()', async () => {
    const dir = path.join(tempDir, 'cached');
    const folder = new BusyFolder(dir, 0);
    await cacheBehaviour(
      new ListingCache(folder),
      () => folder.calls.list,
      (key) => writeFile(path.join(dir, key), 'behind the cache'),
    );
  });

  it('lists the bucket once until a write through it or forget(), counted at the server', async () => {
    const { proxy, store } = await behindProxy('cached', () => 'pass');
    try {
      const lists = () => proxy.seen.filter((s) => s.request.startsWith('GET') && s.request.includes('list-type=2')).length;
      const other = s3.store('cached');
      await cacheBehaviour(new ListingCache(store), lists, async (key) => {
        await other.put(key, chunksOf(Buffer.from('behind the cache')));
      });
    } finally {
      await proxy.stop();
    }
  });

  it('lists again when the cached listing is older than maxAgeMs, and keeps no failed listing', async () => {
    let now = 0;
    const folder = new BusyFolder(path.join(tempDir, 'aged'), 1);
    const store = new ListingCache(folder, { maxAgeMs: 1000, now: () => now });
    await expect(store.list('')).rejects.toThrow('EBUSY');
    expect(await store.list('')).toEqual([]);
    expect(folder.calls.list).toBe(2);
    now = 1000;
    await store.list('');
    expect(folder.calls.list).toBe(2);
    now = 1001;
    await store.list('');
    expect(folder.calls.list).toBe(3);
  });
});

describe('composed', () => {
  it('a listing cache over a rate limit over retries over the local folder is still a store', async () => {
    const folder = new BusyFolder(path.join(tempDir, 'composed'), 1);
    const store = new ListingCache(new RateLimitedStore(new RetryingStore(folder, LOCAL_RETRIES), { requestsPerSecond: 100 }));
    const data = randomBytes(10_000);
    await store.put('1764000000_media.tgz', chunksOf(data));
    expect((await store.list('')).map((o) => [o.key, o.size])).toEqual([['1764000000_media.tgz', data.length]]);
    expect((await buffer(await store.get('1764000000_media.tgz'))).equals(data)).toBe(true);
    await store.remove('1764000000_media.tgz');
    expect(await store.list('')).toEqual([]);
    // Each kind's first call failed once and was retried; the second listing followed the remove.
    expect(folder.calls).toEqual({ get: 2, stat: 0, list: 3, remove: 2 });
  });
});
