// The Repository (src/repository/repository.ts) over the demo shop's backup folder and a real s3rver,
// behind the fault proxy that counts (and where asked cuts) the requests reaching the bucket: a
// repository lists each place once for its life until its own delete, a session lists afresh, an
// archive opened for byte ranges reads the same bytes from the folder and from the bucket, and a fetch
// whose body the network cuts off half-way is resumed into a backup that verifies.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings, type Settings } from '../../src/config/settings.js';
import { rollBack, takeBackup } from '../../src/core/operations.js';
import { verifyBackup } from '../../src/core/verify/database.js';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { deleteBackup } from '../../src/repository/delete.js';
import { Repository } from '../../src/repository/repository.js';
import { startFaultProxy, type Fault, type FaultProxy } from '../helpers/fault-proxy.js';
import { S3RVER_CREDENTIALS, startS3, type TestS3 } from '../helpers/s3.js';

let s3: TestS3;
let work: string;
let proxy: FaultProxy;
/** Decides the fault of each request that reaches the bucket through the proxy. */
let decide: (method: string, url: string) => Fault = () => 'pass';

beforeAll(async () => {
  s3 = await startS3();
  proxy = await startFaultProxy(s3.endpoint, (_n, method, url) => decide(method, url));
  work = await mkdtemp(path.join(tmpdir(), 'lifeboat-repository-'));
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
});

afterAll(async () => {
  await proxy?.stop();
  await s3?.stop();
  await rm(work, { recursive: true, force: true });
});

async function shopSettings(name: string): Promise<Settings> {
  const shop = await ensureDemoShop(path.join(work, name));
  return loadSettings(
    { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl, LIFEBOAT_STORAGE_URL: `s3://${s3.bucket}/${name}`, LIFEBOAT_S3_ENDPOINT: proxy.endpoint },
    work,
  );
}

/** LIST requests of the bucket seen by the proxy so far. */
const bucketListings = () => proxy.seen.filter((s) => s.request.startsWith('GET') && s.request.includes('list-type=2')).length;

describe('the backup repository', () => {
  it('lists each place once for its life until its own delete; a session or a fresh list sees what others wrote', async () => {
    const settings = await shopSettings('cached');
    const first = (await takeBackup(settings, { type: 'db', name: 'one', trigger: 'test' })).record;
    const second = (await takeBackup(settings, { type: 'db', name: 'two', trigger: 'test' })).record;
    const repository = Repository.open(settings);
    try {
      const before = bucketListings();
      expect((await repository.list()).map((r) => [r.id, r.locations])).toEqual([
        [second.id, ['local', 's3']],
        [first.id, ['local', 's3']],
      ]);
      expect((await repository.find(first.id)).file).toBe(first.file);
      expect((await repository.find(second.file)).id).toBe(second.id);
      expect(bucketListings()).toBe(before + 1);

      // Its own delete drops what it listed.
      await repository.delete(first);
      expect((await repository.list()).map((r) => r.id)).toEqual([second.id]);
      expect(bucketListings()).toBe(before + 2);

      // Another writer's backup (another process, another repository) is not seen in the listing this
      // repository holds, which asks the bucket nothing; a session of it and a fresh list see it.
      const third = (await takeBackup(settings, { type: 'db', name: 'three', trigger: 'test' })).record;
      const asked = bucketListings();
      expect((await repository.list()).map((r) => r.id)).toEqual([second.id]);
      expect(bucketListings()).toBe(asked);
      expect((await repository.session().list()).map((r) => r.id)).toEqual([third.id, second.id]);
      expect((await repository.list({ fresh: true })).map((r) => r.id)).toEqual([third.id, second.id]);
      expect(bucketListings()).toBe(asked + 2);
    } finally {
      repository.close();
    }
  });

  it('opens an archive for byte ranges: the same bytes from the backup folder and from the bucket', async () => {
    const settings = await shopSettings('ranges');
    const { record } = await takeBackup(settings, { type: 'db', trigger: 'test' });
    const bytes = await readFile(path.join(settings.backupDir, record.file));
    const repository = Repository.open(settings);
    try {
      const local = await repository.openArchive(await repository.find(record.id));
      expect(local.size).toBe(bytes.length);
      expect((await buffer(await local.open({ start: 10, end: 99 }))).equals(bytes.subarray(10, 100))).toBe(true);
      expect((await buffer(await local.open())).equals(bytes)).toBe(true);

      await deleteBackup(settings.backupDir, record);
      const [onlyInBucket] = await repository.list({ fresh: true });
      const remote = await repository.openArchive(onlyInBucket);
      expect(remote.record.locations).toEqual(['s3']);
      expect(remote.size).toBe(bytes.length);
      expect((await buffer(await remote.open({ start: 10, end: 99 }))).equals(bytes.subarray(10, 100))).toBe(true);
      expect((await buffer(await remote.open())).equals(bytes)).toBe(true);
    } finally {
      repository.close();
    }
  });

  it('resumes a fetch whose body the network cut off half-way: the backup verifies and rolls back', async () => {
    const settings = await shopSettings('resumed');
    const { record } = await takeBackup(settings, { type: 'db', trigger: 'test' });
    await deleteBackup(settings.backupDir, record);
    let cut = 0;
    // The first GET of the archive object (not of its manifest, not a listing) loses its second half.
    decide = (method, url) => (method === 'GET' && url.split('?')[0].endsWith(record.file) && cut++ === 0 ? 'cut' : 'pass');
    const repository = Repository.open(settings);
    try {
      const [remote] = await repository.list();
      const report = await repository.withLocalCopy(remote, (dir, whole) => verifyBackup(dir, whole));
      expect(report).toMatchObject({ ok: true, problems: [] });
      expect(report.checked).toContain('sha256');
      expect(proxy.seen.filter((s) => s.fault === 'cut')).toHaveLength(1);
      // The rollback takes the same path (its own repository): one more cut, one more resume.
      cut = 0;
      const { outcome } = await rollBack(settings, remote, { trigger: 'test' });
      expect(outcome.kind).toBe('database');
      expect(proxy.seen.filter((s) => s.fault === 'cut')).toHaveLength(2);
    } finally {
      decide = () => 'pass';
      repository.close();
    }
  });
});
