// The S3 second target end to end, on the demo shop (SQLite) and a real s3rver: a backup is copied to
// the bucket under `<prefix>/<file>` with its manifest beside it, listed with where it is, and a backup
// that is only in the bucket is fetched for verify and rollback. Through a fault-injecting proxy, a
// backup ends complete in the bucket or as a clear failure, never as a listed partial one.
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyGrid, gridRows, readAll } from '../helpers/demo-db.js';
import { loadSettings, type Settings } from '../../src/config/settings.js';
import { StateStore } from '../../src/state/state.js';
import { deleteBackup } from '../../src/repository/delete.js';
import { pruneBackups } from '../../src/core/schedule/prune.js';
import { OperationError } from '../../src/shared/errors.js';
import { listAllBackups, listOffsiteBackups } from '../../src/repository/offsite-catalog.js';
import { withLocalCopy } from '../../src/repository/offsite-copy.js';
import { Repository } from '../../src/repository/repository.js';
import { rollBack, takeBackup } from '../../src/core/operations.js';
import { verifyBackup } from '../../src/core/verify/database.js';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { MIN_PART_SIZE } from '../../src/stores/s3.js';
import { startFaultProxy, type Fault } from '../helpers/fault-proxy.js';
import { S3RVER_CREDENTIALS, startS3, type TestS3 } from '../helpers/s3.js';

let s3: TestS3;
let work: string;

beforeAll(async () => {
  s3 = await startS3();
  work = await mkdtemp(path.join(tmpdir(), 'lifeboat-offsite-'));
  // The S3 store takes its credentials from the standard AWS variables, as in production.
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
});

afterAll(async () => {
  await s3?.stop();
  await rm(work, { recursive: true, force: true });
});

async function shopSettings(name: string, prefix: string, endpoint = s3.endpoint): Promise<Settings> {
  const shop = await ensureDemoShop(path.join(work, name));
  return loadSettings(
    {
      LIFEBOAT_ROOT: shop.root,
      LIFEBOAT_DATABASE_URL: shop.databaseUrl,
      LIFEBOAT_STORAGE_URL: `s3://${s3.bucket}/${prefix}`,
      LIFEBOAT_S3_ENDPOINT: endpoint,
    },
    work,
  );
}

describe('off-site copy (S3 second target)', () => {
  it('copies each backup under <prefix>/<file> with its manifest, and lists where it is', async () => {
    const settings = await shopSettings('shop-a', 'shops/a');
    const { record } = await takeBackup(settings, { type: 'db', name: 'first', trigger: 'test' });
    expect(record.locations).toEqual(['local', 's3']);
    const store = s3.store('shops/a');
    expect((await store.list('')).map((o) => o.key)).toEqual([record.file, `${record.file}.manifest.json`]);
    const raw = await s3.store('').list('shops/a/');
    expect(raw.map((o) => o.key)).toEqual([`shops/a/${record.file}`, `shops/a/${record.file}.manifest.json`]);
    const listed = await listAllBackups(settings.backupDir, store);
    expect(listed.map((r) => [r.id, r.locations])).toEqual([[record.id, ['local', 's3']]]);
  });

  it('verifies and rolls back a database backup that is only in the bucket', async () => {
    const settings = await shopSettings('shop-b', 'shops/b');
    const { record } = await takeBackup(settings, { type: 'db', trigger: 'test' });
    await deleteBackup(settings.backupDir, record);
    const store = s3.store('shops/b');
    const [remoteOnly] = await listAllBackups(settings.backupDir, store);
    expect(remoteOnly.locations).toEqual(['s3']);
    const report = await withLocalCopy(store, settings.backupDir, remoteOnly, (dir) => verifyBackup(dir, remoteOnly));
    expect(report.ok).toBe(true);
    emptyGrid(settings.root, 10);
    expect(gridRows(settings.root)).toBe(10);
    const { outcome } = await rollBack(settings, remoteOnly, { trigger: 'test' });
    expect(outcome.kind).toBe('database');
    expect(gridRows(settings.root)).toBe(500);
    // The fetched copy was a work file: the backup folder is as before (no archive, no work folder).
    expect(await readdir(settings.backupDir)).toEqual([]);
  });

  it('rolls back a System backup that is only in the bucket (files and database)', async () => {
    const settings = await shopSettings('shop-c', 'shops/c');
    const { record } = await takeBackup(settings, { type: 'system', trigger: 'test' });
    await deleteBackup(settings.backupDir, record);
    const [remoteOnly] = await listAllBackups(settings.backupDir, s3.store('shops/c'));
    expect(remoteOnly.locations).toEqual(['s3']);
    emptyGrid(settings.root, 10);
    await rm(path.join(settings.root, 'pub', 'index.php'));
    // A fetch killed earlier (kill -9) left its work folder: this fetch removes it.
    const left = path.join(settings.backupDir, '.lifeboat-fetch-k1lled');
    await mkdir(left);
    await writeFile(path.join(left, 'owner.json'), JSON.stringify({ host: hostname(), pid: spawnSync('true').pid }));
    await writeFile(path.join(left, 'pack.partial'), randomBytes(1000));
    const { outcome } = await rollBack(settings, remoteOnly, { trigger: 'test' });
    expect(outcome.kind).toBe('tree');
    expect(gridRows(settings.root)).toBe(500);
    expect((await readdir(path.join(settings.root, 'pub'))).sort()).toContain('index.php');
    expect((await readdir(settings.backupDir)).filter((f) => f.startsWith('.lifeboat-fetch'))).toEqual([]);
  });

  it('refuses a damaged copy in the bucket before touching the shop', async () => {
    const settings = await shopSettings('shop-d', 'shops/d');
    const { record } = await takeBackup(settings, { type: 'db', trigger: 'test' });
    await deleteBackup(settings.backupDir, record);
    const store = s3.store('shops/d');
    const good = await readAll(await store.get(record.file));
    const bad = Buffer.from(good);
    bad[Math.floor(bad.length / 2)] ^= 0xff;
    await store.put(record.file, (async function* () { yield bad; })());
    const [remoteOnly] = await listAllBackups(settings.backupDir, store);
    emptyGrid(settings.root, 10);
    await expect(rollBack(settings, remoteOnly, { trigger: 'test' })).rejects.toThrow(/damaged.*nothing was changed/);
    expect(gridRows(settings.root)).toBe(10);
  });
});

describe('prune with off-site storage', () => {
  it('removes old backups from both places, and backups that are only in the bucket', async () => {
    const settings = await shopSettings('shop-prune', 'shops/prune');
    const first = (await takeBackup(settings, { type: 'db', name: 'one', trigger: 'test' })).record;
    const second = (await takeBackup(settings, { type: 'db', name: 'two', trigger: 'test' })).record;
    const third = (await takeBackup(settings, { type: 'db', name: 'three', trigger: 'test' })).record;
    await deleteBackup(settings.backupDir, first); // the oldest is only in the bucket now
    const store = s3.store('shops/prune');
    const state = StateStore.open(settings);
    const repository = Repository.open(settings);
    try {
      const result = await pruneBackups(repository, state, { keepLast: 1 }, { timezone: 'UTC' });
      expect(result.removed.map((r) => r.id).sort()).toEqual([first.id, second.id].sort());
    } finally {
      repository.close();
      await state.close();
    }
    expect((await listAllBackups(settings.backupDir, store)).map((r) => [r.id, r.locations])).toEqual([[third.id, ['local', 's3']]]);
    expect((await store.list('')).map((o) => o.key)).toEqual([third.file, `${third.file}.manifest.json`]);
  });
});

describe('off-site copy through a flaky network', () => {
  async function backupThrough(name: string, decide: (n: number, method: string, url: string) => Fault) {
    const proxy = await startFaultProxy(s3.endpoint, decide);
    try {
      const settings = await shopSettings(name, `flaky/${name}`, proxy.endpoint);
      const outcome = await takeBackup(settings, { type: 'system', trigger: 'test' }).then(
        ({ record }) => ({ ok: true as const, record }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      // What the bucket lists, read past the proxy.
      const listed = await listOffsiteBackups(s3.store(`flaky/${name}`));
      return { outcome, listed, settings, proxy };
    } finally {
      await proxy.stop();
    }
  }

  it('retries failed and dropped requests and ends with a complete backup', async () => {
    const { outcome, listed, proxy } = await backupThrough('retry', (n) => (n % 3 === 0 ? '500' : n % 5 === 0 ? 'drop' : 'pass'));
    expect(proxy.seen.some((s) => s.fault !== 'pass')).toBe(true);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(listed.map((r) => [r.id, r.sha256])).toEqual([[outcome.record.id, outcome.record.sha256]]);
    const copy = await readAll(await s3.store('flaky/retry').get(outcome.record.file));
    expect(copy.length).toBe(outcome.record.size);
  });

  it('fails clearly when the store keeps failing, and lists nothing in the bucket', async () => {
    const { outcome, listed, settings } = await backupThrough('down', (_n, method) => (method === 'PUT' || method === 'POST' ? '500' : 'pass'));
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error).toBeInstanceOf(OperationError);
    expect((outcome.error as Error).message).toMatch(/is complete in .* but copying it to s3:\/\/lifeboat-test\/flaky\/down failed/);
    expect(listed).toEqual([]);
    // The local backup is kept and listed as local only.
    const all = await listAllBackups(settings.backupDir, s3.store('flaky/down'));
    expect(all.map((r) => r.locations)).toEqual([['local']]);
  });

  it('an archive whose manifest could not be written is not listed (the manifest is the commit point)', async () => {
    const { outcome, listed } = await backupThrough('nomanifest', (_n, method, url) => (method === 'PUT' && url.includes('.manifest.json') ? 'drop' : 'pass'));
    expect(outcome.ok).toBe(false);
    expect(listed).toEqual([]);
    expect((await s3.store('flaky/nomanifest').list('')).map((o) => o.key)).toEqual([]);
  });

  it('a multipart upload through the flaky proxy is complete or absent', async () => {
    const proxy = await startFaultProxy(s3.endpoint, (n) => (n % 4 === 0 ? '500' : n % 6 === 0 ? 'drop' : 'pass'));
    try {
      const store = s3.store('flaky/multipart', { endpoint: proxy.endpoint, maxAttempts: 5 });
      const data = randomBytes(MIN_PART_SIZE * 2 + 1000);
      const put = await store.put('big.bin', (async function* () { for (let i = 0; i < data.length; i += 1 << 20) yield data.subarray(i, i + (1 << 20)); })()).then(
        () => true,
        () => false,
      );
      const direct = s3.store('flaky/multipart');
      const info = await direct.stat('big.bin');
      if (put) expect((await readAll(await direct.get('big.bin'))).equals(data)).toBe(true);
      else expect(info).toBeUndefined();
      expect(proxy.seen.some((s) => s.fault !== 'pass')).toBe(true);
    } finally {
      await proxy.stop();
    }
  });
});
