// An upload of an incremental backup killed with kill -9 half-way through its packs (once the first new
// pack is in the bucket), against a real S3 server, plain and encrypted: every pack the bucket's earlier
// backup uses is still there and that backup still verifies from the bucket; the bucket does not list
// the killed upload's backup (its manifest goes last); an upload whose writes of one pack all fail
// stops in one line and lists nothing; the next `lifeboat upload` completes it, sending
// only the packs the bucket lacks (through a proxy that counts its requests: one listing of the packs,
// one write per missing pack), and with the backup folder wiped, a rollback from the bucket alone puts
// back the exact tree and database.
import { DatabaseSync as Database } from 'node:sqlite';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptedSize, loadEncryptionSecret } from '../../src/archive/encrypt.js';
import { openRemoteContent, readUses } from '../../src/repository/offsite-content.js';
import { runCli, startCli } from '../helpers/cli.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { listingsOf, writesUnder } from '../helpers/s3-requests.js';
import { cornerDemoShop, type CornerDemoShop } from '../helpers/corner-demo-shop.js';
import { rollbackCleanedUp } from '../helpers/rollback-cleanup.js';
import { tableRowsDigest } from '../helpers/sqlite.js';
import { startS3, type TestS3, writeKeyFile } from '../helpers/s3.js';
import { fingerprintTree, ignoredInCornerShop, treeDifferences } from '../helpers/tree.js';

const MICROSECOND = 1000n;
const VOLATILE = ['var'];
/**
 * Random files the second backup adds: more 16 MiB packs than an upload sends at once, under a
 * bandwidth cap, so the upload is still sending when killed.
 */
const BULK_FILES = 8;
const KILLED_UPLOAD_KIB_PER_SECOND = '32768';
const BULK_BYTES = 12 << 20;

interface BackupJson {
  id: string;
  file: string;
}

describe.each([
  ['plain', false],
  ['encrypted', true],
])('an incremental backup whose upload was killed with kill -9 (%s)', (mode, encrypted) => {
  let s3: TestS3;
  let base: string;
  let shop: CornerDemoShop;
  let env: Record<string, string>;
  const prefix = `incremental-killed-${mode}`;
  const bucket = () => s3.store(prefix);
  const keys = async (under: string) => (await bucket().list(under)).map((o) => o.key);
  const at = (rel: string) => path.join(shop.root, rel);
  const shopPrint = () => fingerprintTree(shop.root, { follow: ['pub/media'], ignore: ignoredInCornerShop });

  beforeAll(async () => {
    s3 = await startS3();
    base = await mkdtemp(path.join(tmpdir(), 'lifeboat-offsite-incremental-kill-'));
    shop = await cornerDemoShop(base);
    env = { ...shop.env, ...s3.storageEnv(prefix) };
    if (encrypted) env.LIFEBOAT_ENCRYPTION_KEY_FILE = await writeKeyFile(base);
  });

  afterAll(async () => {
    await s3?.stop();
    await rm(base, { recursive: true, force: true });
  });

  it('leaves the earlier backup whole and the new one unlisted; after a failed upload, the next completes it sending only what is missing, and a rollback from the bucket alone is exact', async () => {
    const one = await runCli(['backup', 'system', '--incremental', '--json'], env);
    expect(one.stderr).toBe('');
    const first: BackupJson = JSON.parse(one.stdout);
    const firstUses = await buffer(await bucket().get(`incremental/uses/${first.file}`));
    const secret = env.LIFEBOAT_ENCRYPTION_KEY_FILE ? await loadEncryptionSecret(env.LIFEBOAT_ENCRYPTION_KEY_FILE) : undefined;
    const content = await openRemoteContent(bucket(), secret);
    if (!content) throw new Error('the first upload made no incremental store in the bucket');
    const firstPacks = await readUses(content, first.file);
    const storedSize = (size: number) => (encrypted ? encryptedSize(size) : size);
    expect(firstPacks.length).toBeGreaterThan(0);

    // The second backup, taken without storage (copy missing), adds several packs of new data.
    await mkdir(at('lib/bulk'));
    for (let i = 0; i < BULK_FILES; i++) await writeFile(at(`lib/bulk/${i}.bin`), randomBytes(BULK_BYTES));
    const db = new Database(shop.dbFile);
    db.exec("UPDATE store SET name = 'second'");
    db.close();
    const secondPrint = await shopPrint();
    const secondDb = tableRowsDigest(shop.dbFile);
    const { LIFEBOAT_STORAGE_URL: _url, LIFEBOAT_S3_ENDPOINT: _endpoint, LIFEBOAT_ENCRYPTION_KEY_FILE: _key, ...withoutStorage } = env;
    const two = await runCli(['backup', 'system', '--incremental', '--json'], withoutStorage);
    expect(two.stderr).toBe('');
    const second: BackupJson = JSON.parse(two.stdout);

    // Killed once the first of its new packs is in the bucket.
    const packsBefore = await keys('incremental/data/');
    const upload = startCli(['upload', second.id], { ...env, LIFEBOAT_S3_LIMIT_UPLOAD: KILLED_UPLOAD_KIB_PER_SECOND });
    const exited = new Promise((resolve) => upload.on('close', resolve));
    const newPack = async () => (await keys('incremental/data/')).some((key) => !packsBefore.includes(key));
    for (let waited = 0; !(await newPack()) && waited < 60_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    upload.kill('SIGKILL');
    await exited;
    expect(await newPack()).toBe(true);

    // The bucket does not list the second backup; every pack the first uses is there at its size.
    expect(await bucket().stat(`${second.file}.manifest.json`)).toBeUndefined();
    const listed = await runCli(['list'], env);
    expect(listed.stdout).toMatch(new RegExp(`${second.id} .* local \\(copy missing\\)`));
    expect(listed.stdout).toMatch(new RegExp(`${first.id} .* local\\+s3`));
    for (const pack of firstPacks) expect((await bucket().stat(`incremental/data/${pack.id.slice(0, 2)}/${pack.id}`))?.size).toBe(storedSize(pack.size));
    expect((await buffer(await bucket().get(`incremental/uses/${first.file}`))).equals(firstUses)).toBe(true);

    const localPacks = (await readdir(path.join(shop.backupDir, 'incremental/data'), { recursive: true })).filter((name) => /[0-9a-f]{64}$/.test(name));
    const firstIds = new Set(firstPacks.map((pack) => pack.id));
    const newPacks = localPacks.filter((name) => !firstIds.has(path.basename(name)));
    const lackingNow = async () => {
      const present = new Set(await keys('incremental/data/'));
      return newPacks.map((name) => `incremental/data/${name}`).filter((key) => !present.has(key));
    };
    const lackingAfterKill = await lackingNow();
    expect(lackingAfterKill.length).toBeGreaterThan(0);

    // An upload whose every write of one missing pack fails (after the client's retries) stops in one
    // line, and the backup is still not listed.
    const refusedPack = path.basename(lackingAfterKill[0]);
    const failing = await startFaultProxy(s3.endpoint, (_n, method, url) => (method !== 'GET' && method !== 'HEAD' && url.includes(refusedPack) ? '500' : 'pass'));
    let failed: Awaited<ReturnType<typeof runCli>>;
    try {
      failed = await runCli(['upload', second.id], { ...env, LIFEBOAT_S3_ENDPOINT: failing.endpoint });
    } finally {
      await failing.stop();
    }
    expect(failed.code).toBe(1);
    expect(failed.stderr.trim()).toMatch(new RegExp(`^[^\n]*copying it to s3://${s3.bucket}/${prefix} failed: [^\n]+$`));
    expect(await bucket().stat(`${second.file}.manifest.json`)).toBeUndefined();

    // The next upload completes it, sending only the new packs the bucket still lacks: one listing of
    // the bucket's packs says which, and each missing pack is written once.
    const missing = await lackingNow();
    expect(missing).toContain(lackingAfterKill[0]);
    const sizeOf = async (key: string) => (await stat(path.join(shop.backupDir, key))).size;
    let newBytes = 0;
    for (const name of newPacks) newBytes += await sizeOf(`incremental/data/${name}`);
    let missingBytes = 0;
    for (const key of missing) missingBytes += await sizeOf(key);
    expect(missing.length).toBeLessThan(newPacks.length);
    const proxy = await startFaultProxy(s3.endpoint, () => 'pass');
    let again: Awaited<ReturnType<typeof runCli>>;
    try {
      again = await runCli(['upload', second.id, '--json'], { ...env, LIFEBOAT_S3_ENDPOINT: proxy.endpoint });
    } finally {
      await proxy.stop();
    }
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    const outcome = (JSON.parse(again.stdout) as { file: string; uploaded: boolean; sentBytes: number; newPacks: number }[])[0];
    expect(outcome).toMatchObject({ file: second.file, uploaded: true, sentBytes: missingBytes, newPacks: missing.length });
    expect(outcome.sentBytes).toBeLessThan(newBytes);
    expect(listingsOf(proxy.seen, s3.bucket, `${prefix}/incremental/data/`), JSON.stringify(proxy.seen.map((r) => r.request))).toBe(1);
    expect(writesUnder(proxy.seen, s3.bucket, `${prefix}/incremental/data/`)).toEqual(missing.map((key) => `${prefix}/${key}`).sort());
    // Every local pack is in the bucket now, at its size as stored.
    const remote = (await bucket().list('incremental/data/')).map((o) => [o.key, o.size]);
    const local: (string | number)[][] = [];
    for (const name of localPacks) local.push([`incremental/data/${name}`, storedSize(await sizeOf(`incremental/data/${name}`))]);
    expect(remote.sort()).toEqual(local.sort());

    // With the backup folder wiped, both verify from the bucket alone, and the second rolls back exactly.
    await rm(shop.backupDir, { recursive: true, force: true });
    await mkdir(shop.backupDir);
    for (const backup of [first, second]) {
      const verified = await runCli(['verify', backup.id], env);
      expect(verified.stderr).toBe('');
      expect(verified.stdout).toMatch(/OK \(.*every blob against its sha256/);
    }
    await writeFile(at('lib/bulk/0.bin'), 'changed after the backup');
    const changed = new Database(shop.dbFile);
    changed.exec("UPDATE store SET name = 'changed'");
    changed.close();
    const rolled = await runCli(['rollback', second.id, '--yes'], env);
    await rollbackCleanedUp(at('var/lifeboat'));
    expect(rolled.stderr).toBe('');
    expect(rolled.code).toBe(0);
    expect(treeDifferences(secondPrint, await shopPrint(), MICROSECOND, VOLATILE)).toEqual([]);
    expect(tableRowsDigest(shop.dbFile)).toBe(secondDb);
  }, 300_000); // two backups, three uploads and a rollback: 6-15 s alone, over 2 minutes once under a full suite at load 5
});
