// The off-site copy of a real MariaDB shop, end to end: the corner-case schema is backed up to s3rver,
// its local copy removed, and rolled back from the bucket alone, plain and encrypted, to identical table
// checksums and object definitions. An encrypted copy's manifest names no table and no database in plain
// text, yet is listed without the key. A copy that failed (through the fault proxy) is marked missing,
// and `lifeboat upload` makes it complete.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings, type Settings } from '../../src/config/settings.js';
import { deleteBackup } from '../../src/repository/delete.js';
import { listAllBackups } from '../../src/repository/offsite-catalog.js';
import { rollBack, takeBackup } from '../../src/core/operations.js';
import type { BackupRecord, Manifest } from '../../src/shared/types.js';
import type { MysqlTarget } from '../../src/engines/target.js';
import { runCli } from '../helpers/cli.js';
import { readAll } from '../helpers/demo-db.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { createTestSchema, fingerprint, loadWithStockClient, TEST_SERVER_URL, withConnection, type SchemaFingerprint } from '../helpers/mysql.js';
import { S3RVER_CREDENTIALS, startS3, type TestS3, writeKeyFile } from '../helpers/s3.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/mysql-corner-cases.sql', import.meta.url));
/** Table names of the fixture that must not appear in an encrypted copy's manifest. */
const TABLE_NAMES = ['sales_order_item', 'legacy_myisam', 'generated_cols', 'no_primary_key'];

let s3: TestS3;
let work: string;
let keyFile: string;
const drops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  s3 = await startS3();
  work = await mkdtemp(path.join(tmpdir(), 'lifeboat-roundtrip-'));
  keyFile = await writeKeyFile(work);
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
});

afterAll(async () => {
  for (const drop of drops) await drop();
  await s3?.stop();
  await rm(work, { recursive: true, force: true });
});

interface Shop {
  target: MysqlTarget;
  env: Record<string, string>;
  settings: Settings;
  before: SchemaFingerprint;
}

/** A schema loaded from the corner-case fixture, and settings that back it up to `<prefix>` in the bucket. */
async function cornerShop(prefix: string, extra: Record<string, string> = {}): Promise<Shop> {
  const { target, drop } = await createTestSchema(prefix);
  drops.push(drop);
  await loadWithStockClient(target, FIXTURE);
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${target.database}`;
  const root = path.join(work, prefix);
  const env = {
    LIFEBOAT_ROOT: root,
    LIFEBOAT_DATABASE_URL: url.toString(),
    LIFEBOAT_STORAGE_URL: `s3://${s3.bucket}/${prefix}`,
    LIFEBOAT_S3_ENDPOINT: s3.endpoint,
    ...extra,
  };
  return { target, env, settings: loadSettings(env, work), before: await fingerprint(target) };
}

/** The restored shop against the source: every table's checksum and row count, and every object's definition. */
function expectSameShop(after: SchemaFingerprint, before: SchemaFingerprint): void {
  expect(after.tables).toEqual(before.tables);
  expect(after.objects).toEqual(before.objects);
}

/** Changes the shop so that a rollback has something to undo. */
async function damage(target: MysqlTarget): Promise<void> {
  await withConnection(target, async (conn) => {
    await conn.query('SET foreign_key_checks = 0');
    await conn.query('DROP TABLE sales_order_item');
    await conn.query('DELETE FROM numbers WHERE id > 1');
    await conn.query("UPDATE customer SET email = CONCAT('x', email)");
  });
}

/** Backs the shop up, removes the local copy, and returns the backup as the bucket lists it. */
async function remoteOnly(shop: Shop): Promise<BackupRecord> {
  const { record } = await takeBackup(shop.settings, { type: 'db', trigger: 'test' });
  expect(record.locations).toEqual(['local', 's3']);
  await deleteBackup(shop.settings.backupDir, record);
  const listed = await listAllBackups(shop.settings.backupDir, s3.store(path.basename(shop.settings.root)));
  expect(listed.map((r) => [r.id, r.locations])).toEqual([[record.id, ['s3']]]);
  return listed[0];
}

const cliEnv = (env: Record<string, string>) => ({ ...env, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });

describe('a MariaDB shop rolled back from the bucket alone', () => {
  it('plain copy: identical table checksums and objects', async () => {
    const shop = await cornerShop('rt_plain');
    const record = await remoteOnly(shop);
    await damage(shop.target);
    expect(await fingerprint(shop.target)).not.toEqual(shop.before);
    await rollBack(shop.settings, record, { trigger: 'test' });
    expectSameShop(await fingerprint(shop.target), shop.before);
  });

  it('encrypted copy: the manifest in the bucket names no table or database, the list works without the key, rollback restores everything', async () => {
    const shop = await cornerShop('rt_sealed', { LIFEBOAT_ENCRYPTION_KEY_FILE: keyFile });
    const record = await remoteOnly(shop);
    const manifestBytes = await readAll(await s3.store('rt_sealed').get(`${record.file}.manifest.json`));
    for (const name of [...TABLE_NAMES, shop.target.database]) expect(manifestBytes.includes(Buffer.from(name))).toBe(false);
    const plain = JSON.parse(manifestBytes.toString()) as Record<string, unknown>;
    expect(Object.keys(plain).sort()).toEqual(['archive', 'file', 'finishedAt', 'formatVersion', 'id', 'name', 'sealed', 'stored', 'time', 'type']);
    expect(record.manifest).toBeUndefined();
    expect(record.sealedManifest?.stored.sha256).toMatch(/^[0-9a-f]{64}$/);
    // By hand: the sealed part is an ordinary encrypted file for `lifeboat decrypt`.
    const sealedFile = path.join(work, 'manifest.enc');
    await writeFile(sealedFile, Buffer.from(String(plain.sealed), 'base64'));
    const opened = await runCli(['decrypt', sealedFile], cliEnv(shop.env));
    expect(opened.code).toBe(0);
    const whole = JSON.parse(opened.stdout) as Manifest;
    expect(whole.engine?.database).toBe(shop.target.database);
    expect(whole.tables.map((t) => t.name)).toEqual(expect.arrayContaining(TABLE_NAMES));

    // Listing needs no key: the backup is there, with its size, where it is.
    const { LIFEBOAT_ENCRYPTION_KEY_FILE: _key, ...withoutKey } = shop.env;
    const listed = await runCli(['list', '--json'], cliEnv(withoutKey));
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as Record<string, unknown>[]).map((r) => [r.id, r.size, r.locations])).toEqual([[record.id, record.size, ['s3']]]);
    // Using it does: one line, nothing changed.
    const refused = await runCli(['verify', record.id], cliEnv(withoutKey));
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/is encrypted in s3:.*set LIFEBOAT_ENCRYPTION_KEY_FILE/);

    const verified = await runCli(['verify', record.id, '--json'], cliEnv(shop.env));
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true });

    await damage(shop.target);
    // One table from the sealed manifest's table list, then everything.
    await rollBack(shop.settings, record, { trigger: 'test', tables: ['sales_order_item'] });
    expect((await fingerprint(shop.target)).tables.sales_order_item).toEqual(shop.before.tables.sales_order_item);
    await expect(rollBack(shop.settings, record, { trigger: 'test', tables: ['no_such_table'] })).rejects.toThrow(/no_such_table/);
    await rollBack(shop.settings, record, { trigger: 'test' });
    expectSameShop(await fingerprint(shop.target), shop.before);
  });

  it('a sealed manifest opened with the wrong key stops before the shop is touched', async () => {
    const shop = await cornerShop('rt_wrongkey', { LIFEBOAT_ENCRYPTION_KEY_FILE: keyFile });
    const record = await remoteOnly(shop);
    const otherKey = path.join(work, 'other.key');
    await writeFile(otherKey, randomBytes(32));
    await damage(shop.target);
    const damaged = await fingerprint(shop.target);
    const wrong = loadSettings({ ...shop.env, LIFEBOAT_ENCRYPTION_KEY_FILE: otherKey }, work);
    await expect(rollBack(wrong, record, { trigger: 'test' })).rejects.toThrow(/the manifest of .* cannot be decrypted: wrong key.*nothing was changed/);
    expect(await fingerprint(shop.target)).toEqual(damaged);
  });
});

describe('lifeboat upload: the retry of a failed copy', () => {
  it('a copy that failed is marked missing; upload --missing makes it local+s3', async () => {
    const proxy = await startFaultProxy(s3.endpoint, (_n, method) => (method === 'PUT' || method === 'POST' ? '500' : 'pass'));
    const shop = await cornerShop('rt_retry', { LIFEBOAT_ENCRYPTION_KEY_FILE: keyFile });
    try {
      const flaky = loadSettings({ ...shop.env, LIFEBOAT_S3_ENDPOINT: proxy.endpoint }, work);
      await expect(takeBackup(flaky, { type: 'db', trigger: 'test' })).rejects.toThrow(/is complete in .* but copying it to s3:\/\/lifeboat-test\/rt_retry failed/);
    } finally {
      await proxy.stop();
    }
    const before = await runCli(['list', '--json'], cliEnv(shop.env));
    const [missing] = JSON.parse(before.stdout) as Record<string, unknown>[];
    expect(missing).toMatchObject({ locations: ['local'], copyMissing: true });
    const table = await runCli(['list'], cliEnv(shop.env));
    expect(table.stdout).toMatch(new RegExp(`${String(missing.file)}\\s+local \\(copy missing\\)`));

    const upload = await runCli(['upload', '--missing'], cliEnv(shop.env));
    expect(upload.stderr).toBe('');
    expect(upload.code).toBe(0);
    expect(upload.stdout).toContain(`uploaded ${String(missing.file)}`);
    const after = JSON.parse((await runCli(['list', '--json'], cliEnv(shop.env))).stdout) as Record<string, unknown>[];
    expect(after.map((r) => [r.id, r.locations, r.copyMissing])).toEqual([[missing.id, ['local', 's3'], undefined]]);
    expect((await runCli(['list'], cliEnv(shop.env))).stdout).toMatch(new RegExp(`${String(missing.file)}\\s+local\\+s3\\s*$`, 'm'));
    // Nothing left to do, by id or --missing.
    const again = await runCli(['upload', String(missing.id)], cliEnv(shop.env));
    expect([again.code, again.stdout.trim()]).toEqual([0, `${String(missing.id)}: already complete in s3://lifeboat-test/rt_retry`]);

    // The uploaded copy is a usable backup: rolled back from the bucket alone.
    const [record] = await listAllBackups(shop.settings.backupDir, s3.store('rt_retry'));
    await deleteBackup(shop.settings.backupDir, record);
    const [remote] = await listAllBackups(shop.settings.backupDir, s3.store('rt_retry'));
    await damage(shop.target);
    await rollBack(shop.settings, remote, { trigger: 'test' });
    expectSameShop(await fingerprint(shop.target), shop.before);
  });

  it('never replaces the manifest of another backup under the same name', async () => {
    const shop = await cornerShop('rt_other');
    const { LIFEBOAT_STORAGE_URL: _url, LIFEBOAT_S3_ENDPOINT: _endpoint, ...localOnly } = shop.env;
    const { record } = await takeBackup(loadSettings(localOnly, work), { type: 'db', trigger: 'test' });
    const store = s3.store('rt_other');
    const theirs = Buffer.from(JSON.stringify({ formatVersion: 1, id: 'another-shop', file: record.file }));
    await store.put(`${record.file}.manifest.json`, Readable.from([theirs]));
    const upload = await runCli(['upload', record.id], cliEnv(shop.env));
    expect(upload.code).toBe(1);
    expect(upload.stderr.trim().split('\n')).toHaveLength(1);
    expect(upload.stderr).toMatch(/already holds .*\.manifest\.json of another backup; nothing was uploaded/);
    expect((await readAll(await store.get(`${record.file}.manifest.json`))).equals(theirs)).toBe(true);
    expect((await store.list('')).map((o) => o.key)).toEqual([`${record.file}.manifest.json`]);
  });

  it('says in one line when no storage is configured or the arguments are wrong', async () => {
    const env = { LIFEBOAT_ROOT: path.join(work, 'nostorage') };
    for (const args of [['upload', '--missing'], ['upload'], ['upload', 'abcd', '--missing']]) {
      const result = await runCli(args, env);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect((await runCli(['upload', '--missing'], env)).stderr).toMatch(/LIFEBOAT_STORAGE_URL is not set/);
    expect((await runCli(['upload'], env)).stderr).toMatch(/give either a backup ID or --missing/);
  });
});
