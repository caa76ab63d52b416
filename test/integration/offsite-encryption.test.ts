// Encryption at rest of the off-site copy, end to end on the demo shop and s3rver: the object in the
// bucket is not the archive's bytes, rollback and verify with the right key work, and a wrong key, a
// flipped byte or a truncated object are refused before the shop is touched. Also the CLI: `list` says
// where each backup is, `verify` fetches and decrypts, `decrypt` gives back the plain archive. One file
// of a backup only in the bucket is restored by ranged reads of the encrypted copy.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyGrid, gridRows, readAll } from '../helpers/demo-db.js';
import { loadSettings, type Settings } from '../../src/config/settings.js';
import { deleteBackup } from '../../src/repository/delete.js';
import { listAllBackups } from '../../src/repository/offsite-catalog.js';
import { rollBack, takeBackup } from '../../src/core/operations.js';
import { drillBackup } from '../../src/core/verify/drill-job.js';
import { Repository } from '../../src/repository/repository.js';
import type { BackupRecord, SealedManifest } from '../../src/shared/types.js';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { BIN } from '../helpers/cli.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { S3RVER_CREDENTIALS, startS3, type TestS3 } from '../helpers/s3.js';

const SECRET_IN_ENV_PHP = 'the-shop-db-password-4c1d';
let s3: TestS3;
let work: string;
let keyFile: string;

beforeAll(async () => {
  s3 = await startS3();
  work = await mkdtemp(path.join(tmpdir(), 'lifeboat-encrypt-'));
  keyFile = path.join(work, 'backup.key');
  await writeFile(keyFile, randomBytes(32), { mode: 0o600 });
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
});

afterAll(async () => {
  await s3?.stop();
  await rm(work, { recursive: true, force: true });
});

function envFor(root: string, databaseUrl: string, prefix: string, key = keyFile): Record<string, string> {
  return {
    LIFEBOAT_ROOT: root,
    LIFEBOAT_DATABASE_URL: databaseUrl,
    LIFEBOAT_STORAGE_URL: `s3://${s3.bucket}/${prefix}`,
    LIFEBOAT_S3_ENDPOINT: s3.endpoint,
    LIFEBOAT_ENCRYPTION_KEY_FILE: key,
  };
}

async function shop(name: string): Promise<{ settings: Settings; env: Record<string, string> }> {
  const demo = await ensureDemoShop(path.join(work, name));
  await writeFile(path.join(demo.root, 'app', 'etc', 'env.php'), `<?php return ['db' => ['password' => '${SECRET_IN_ENV_PHP}']];\n`);
  const env = envFor(demo.root, demo.databaseUrl, name);
  return { settings: loadSettings(env, work), env };
}

/** Takes a System backup, leaves it only in the bucket, and returns it with the plain archive's bytes. */
async function remoteOnlyBackup(settings: Settings): Promise<{ record: BackupRecord; plain: Buffer }> {
  const { record } = await takeBackup(settings, { type: 'system', trigger: 'test' });
  const plain = await readFile(path.join(settings.backupDir, record.file));
  await deleteBackup(settings.backupDir, record);
  const [remote] = await listAllBackups(settings.backupDir, s3.store(path.basename(settings.root)));
  expect(remote.locations).toEqual(['s3']);
  return { record: remote, plain };
}

describe('encryption at rest (off-site copy)', () => {
  it('stores bytes that are neither the archive nor gzip, and restores with the right key', async () => {
    const { settings } = await shop('enc-ok');
    const { record, plain } = await remoteOnlyBackup(settings);
    const stored = await readAll(await s3.store('enc-ok').get(record.file));
    expect(stored.subarray(0, 8).toString()).toBe('LBOATENC');
    expect(() => gunzipSync(stored)).toThrow();
    for (const at of [0, Math.floor(plain.length / 2), plain.length - 32]) expect(stored.includes(plain.subarray(at, at + 32))).toBe(false);
    expect(stored.includes(Buffer.from(SECRET_IN_ENV_PHP))).toBe(false);
    expect(record.sealedManifest?.stored.size).toBe(stored.length);
    emptyGrid(settings.root);
    await rollBack(settings, record, { trigger: 'test' });
    expect(gridRows(settings.root)).toBe(500);
    expect(await readFile(path.join(settings.root, 'app', 'etc', 'env.php'), 'utf8')).toContain(SECRET_IN_ENV_PHP);
  });

  it('carries a file backup\'s file index encrypted, and drills a backup only in the bucket file by file', async () => {
    const { settings } = await shop('enc-drill');
    const { record: taken } = await takeBackup(settings, { type: 'system', trigger: 'test' });
    const indexKey = `${taken.file}.files.gz`;
    const plainIndex = await readFile(path.join(settings.backupDir, indexKey));
    await deleteBackup(settings.backupDir, taken);
    const stored = await readAll(await s3.store('enc-drill').get(indexKey));
    expect(stored.subarray(0, 8).toString()).toBe('LBOATENC');
    expect(stored.includes(plainIndex.subarray(0, 32))).toBe(false);
    const [remote] = await listAllBackups(settings.backupDir, s3.store('enc-drill'));
    expect(remote.locations).toEqual(['s3']);
    const { result } = await drillBackup(settings, remote, { trigger: 'test' });
    expect(result.ok).toBe(true);
    const tree = taken.manifest!.tree!;
    // Every file, each hard link's name, and the dump.
    expect(result.tree).toMatchObject({ compared: tree.files + tree.hardlinks + 1, differing: [] });
    expect(result.tree?.notCompared).toBeUndefined();
    expect(result.tables.length).toBeGreaterThan(0);
    const repository = Repository.open(settings);
    await repository.delete(remote).finally(() => repository.close());
    expect(await s3.store('enc-drill').stat(indexKey)).toBeUndefined();
  });

  it('restores one file of a backup only in the bucket by ranged reads of the encrypted copy, not the whole archive', async () => {
    const { settings, env } = await shop('enc-path');
    // 12 MiB of stored media before the file (sorted last): fetching the archive would read them all.
    await mkdir(path.join(settings.root, 'pub', 'media', 'big'), { recursive: true });
    await writeFile(path.join(settings.root, 'pub', 'media', 'big', 'a.jpg'), randomBytes(12 << 20));
    await mkdir(path.join(settings.root, 'zzz-last'), { recursive: true });
    const notes = `notes of the backup ${randomBytes(8).toString('hex')}\n`;
    await writeFile(path.join(settings.root, 'zzz-last', 'notes.txt'), notes);
    const { record, plain } = await remoteOnlyBackup(settings);
    await writeFile(path.join(settings.root, 'zzz-last', 'notes.txt'), 'changed after the backup\n');
    const proxy = await startFaultProxy(s3.endpoint, () => 'pass');
    try {
      const throughProxy = loadSettings({ ...env, LIFEBOAT_S3_ENDPOINT: proxy.endpoint }, work);
      const { outcome } = await rollBack(throughProxy, record, { trigger: 'test', paths: ['zzz-last/notes.txt'] });
      expect(outcome.kind === 'tree' && outcome.result.indexedRead?.compressedBytes).toBeGreaterThan(0);
      // The manifest, the index, and the encryption chunks from the file's frame on: not the media.
      expect(proxy.answeredBytes()).toBeLessThan(plain.length / 4);
    } finally {
      await proxy.stop();
    }
    expect(await readFile(path.join(settings.root, 'zzz-last', 'notes.txt'), 'utf8')).toBe(notes);
  });

  it('refuses a wrong key before touching the shop', async () => {
    const { settings, env } = await shop('enc-wrong');
    const { record } = await remoteOnlyBackup(settings);
    const otherKey = path.join(work, 'other.key');
    await writeFile(otherKey, randomBytes(32));
    const wrong = loadSettings({ ...env, LIFEBOAT_ENCRYPTION_KEY_FILE: otherKey }, work);
    emptyGrid(settings.root);
    await expect(rollBack(wrong, record, { trigger: 'test' })).rejects.toThrow(/cannot be decrypted: wrong key.*nothing was changed/);
    expect(gridRows(settings.root)).toBe(0);
  });

  it('refuses a flipped byte and a truncated object before touching the shop', async () => {
    const { settings } = await shop('enc-tamper');
    const { record } = await remoteOnlyBackup(settings);
    const store = s3.store('enc-tamper');
    const stored = await readAll(await store.get(record.file));
    emptyGrid(settings.root);
    const flipped = Buffer.from(stored);
    flipped[Math.floor(flipped.length / 2)] ^= 0x01;
    await store.put(record.file, Readable.from([flipped]));
    await expect(rollBack(settings, record, { trigger: 'test' })).rejects.toThrow(/cannot be decrypted: the archive was changed/);
    // Truncated, with a manifest rewritten to match (else the backup would not even be listed).
    const cut = stored.subarray(0, stored.length - 100);
    await store.put(record.file, Readable.from([cut]));
    const manifest = JSON.parse((await readAll(await store.get(`${record.file}.manifest.json`))).toString()) as SealedManifest;
    manifest.stored.size = cut.length;
    await store.put(`${record.file}.manifest.json`, Readable.from([Buffer.from(JSON.stringify(manifest))]));
    const [listed] = await listAllBackups(settings.backupDir, store);
    await expect(rollBack(settings, listed, { trigger: 'test' })).rejects.toThrow(/cannot be decrypted: the archive was changed or truncated/);
    expect(gridRows(settings.root)).toBe(0);
  });
});

describe('the command line with off-site storage', () => {
  it('lists where each backup is, verifies one that is only in the bucket, and decrypts by hand', async () => {
    const { settings, env } = await shop('enc-cli');
    const { record, plain } = await remoteOnlyBackup(settings);
    // Asynchronous: the S3 server runs in this process and must keep answering.
    const cli = (args: string[], extra: Record<string, string> = {}) =>
      new Promise<{ status: number | null; stdout: Buffer; stderr: Buffer }>((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, ...args], {
          env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', ...env, ...extra },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (d: Buffer) => out.push(d));
        child.stderr.on('data', (d: Buffer) => err.push(d));
        child.on('error', reject);
        child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out), stderr: Buffer.concat(err) }));
      });
    const list = await cli(['list']);
    expect(list.stderr.toString()).toBe('');
    expect(list.stdout.toString()).toMatch(new RegExp(`${record.file}\\s+s3`));
    const verify = await cli(['verify', record.id]);
    expect(verify.status).toBe(0);
    expect(verify.stdout.toString()).toContain(`${record.file}: OK`);
    const otherKey = path.join(work, 'cli-other.key');
    await writeFile(otherKey, randomBytes(32));
    const refused = await cli(['verify', record.id], { LIFEBOAT_ENCRYPTION_KEY_FILE: otherKey });
    expect(refused.status).toBe(1);
    expect(refused.stderr.toString().trim().split('\n')).toHaveLength(1);
    expect(refused.stderr.toString()).toMatch(/cannot be decrypted: wrong key/);
    const encryptedFile = path.join(work, 'downloaded.tgz.enc');
    await writeFile(encryptedFile, await readAll(await s3.store('enc-cli').get(record.file)));
    const decrypted = await cli(['decrypt', encryptedFile]);
    expect(decrypted.status).toBe(0);
    expect(decrypted.stdout.equals(plain)).toBe(true);
  });
});
