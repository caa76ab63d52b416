// Incremental backups in off-site storage, through the real `lifeboat` command against a real S3 server
// (s3rver), plain and encrypted: two incremental System backups of the corner-case demo shop are copied
// to the bucket as they are taken (the second sends only the packs the first did not), the backup
// folder is wiped (a server that lost its disk), and the second is verified and rolled back from the
// bucket alone to the exact tree and database (and drilled from it, file by file); the download of a backup only in the bucket is a .tgz
// GNU tar extracts to the tree. A backup taken while storage was unset is marked `copy missing` and
// `upload --missing` copies it (a pack object of it cut short in the bucket is sent again whole). Deleting backups removes from the bucket the packs no remaining backup
// uses, and what a crashed upload or delete left is removed by the next prune of the bucket; the
// remaining backup still verifies from the bucket, every blob read. The bucket's store has one key: an
// upload with another, with one to a plain store, or without the key of an encrypted one is refused. A
// version 1 store in the bucket becomes version 2 with the next upload; an unknown version is refused.
import { DatabaseSync as Database } from 'node:sqlite';
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptedSize } from '../../src/archive/encrypt.js';
import { loadSettings } from '../../src/config/settings.js';
import { snapshotDownload } from '../../src/core/snapshot-source.js';
import { openRemoteContent, prepareRemoteContent } from '../../src/repository/offsite-content.js';
import { Repository } from '../../src/repository/repository.js';
import { humanBytes } from '../../src/shared/units.js';
import { runCli } from '../helpers/cli.js';
import { cornerDemoShop, type CornerDemoShop } from '../helpers/corner-demo-shop.js';
import { rollbackCleanedUp } from '../helpers/rollback-cleanup.js';
import { tableRowsDigest } from '../helpers/sqlite.js';
import { S3RVER_CREDENTIALS, startS3, type TestS3, writeKeyFile } from '../helpers/s3.js';
import { fingerprintTree, ignoredInCornerShop, treeDifferences, type TreeEntry } from '../helpers/tree.js';

const MICROSECOND = 1000n;
const VOLATILE = ['var'];
const GENERATED = 200;

const digest = tableRowsDigest;

interface BackupJson {
  id: string;
  file: string;
  dump: string;
}

let s3: TestS3;

beforeAll(async () => {
  s3 = await startS3();
  // The in-process steps (the download, the prune after a crash) take the bucket's credentials from here.
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
});

afterAll(async () => {
  await s3?.stop();
});

describe.each([
  ['plain', false],
  ['encrypted', true],
])('incremental backups in off-site storage (%s)', (mode, encrypted) => {
  let base: string;
  let shop: CornerDemoShop;
  let env: Record<string, string>;
  let first: BackupJson;
  let second: BackupJson;
  let secondPrint: TreeEntry[];
  let secondDb: string;
  const prefix = `incremental-${mode}`;
  const bucket = () => s3.store(prefix);
  const at = (rel: string) => path.join(shop.root, rel);
  const shopPrint = () => fingerprintTree(shop.root, { follow: ['pub/media'], ignore: ignoredInCornerShop });
  const cli = async (args: string[], extra: Record<string, string> = {}) => {
    const result = await runCli(args, { ...env, ...extra });
    if (args[0] === 'rollback') await rollbackCleanedUp(at('var/lifeboat'));
    return result;
  };
  const keys = async (under: string) => (await bucket().list(under)).map((o) => o.key);

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), `lifeboat-offsite-incremental-${mode}-`));
    shop = await cornerDemoShop(base);
    for (let i = 0; i < GENERATED; i++) {
      await mkdir(at(`app/code/Gen/M${i % 10}`), { recursive: true });
      await writeFile(at(`app/code/Gen/M${i % 10}/File${i}.php`), `<?php // generated file ${i}\n${'x'.repeat(i * 10)}\n`);
    }
    env = { ...shop.env, ...s3.storageEnv(prefix) };
    if (encrypted) env.LIFEBOAT_ENCRYPTION_KEY_FILE = await writeKeyFile(base);
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('each incremental backup is copied as it is taken; the second sends only the packs the bucket lacks', async () => {
    const one = await cli(['backup', 'system', '--incremental', '--json']);
    expect(one.stderr).toBe('');
    expect(one.code).toBe(0);
    first = JSON.parse(one.stdout);
    const packsAfterFirst = await keys('incremental/data/');
    expect(packsAfterFirst.length).toBeGreaterThan(0);
    await writeFile(at('app/code/Gen/M1/File1.php'), '<?php // edited\n');
    await appendFile(at('app/code/Gen/M2/File2.php'), '// appended\n');
    await unlink(at('app/code/Gen/M3/File3.php'));
    await writeFile(path.join(shop.mediaStore, 'catalog/added.jpg'), 'a new image');
    const db = new Database(shop.dbFile);
    db.exec("UPDATE store SET name = 'second'");
    db.close();
    secondPrint = await shopPrint();
    secondDb = digest(shop.dbFile);
    const two = await cli(['backup', 'system', '--incremental', '--json']);
    expect(two.code).toBe(0);
    second = JSON.parse(two.stdout);
    // Every local pack is in the bucket, and none twice: the first's packs were not sent again.
    const localPacks = (await readdir(path.join(shop.backupDir, 'incremental/data'), { recursive: true })).filter((name) => /[0-9a-f]{64}$/.test(name));
    const remotePacks = await keys('incremental/data/');
    expect(remotePacks.map((key) => path.basename(key)).sort()).toEqual(localPacks.map((name) => path.basename(name)).sort());
    expect(remotePacks).toEqual(expect.arrayContaining(packsAfterFirst));
    expect(await keys('incremental/index/')).toHaveLength(2);
    expect(await keys('incremental/uses/')).toEqual([`incremental/uses/${first.file}`, `incremental/uses/${second.file}`]);
    const list = await cli(['list']);
    expect(list.stdout).toMatch(new RegExp(`${second.id} .*${second.file.replace(/\./g, '\\.')} +local\\+s3`));
  });

  it(encrypted ? 'the packs, index and records in the bucket are encrypted, the config says with which key' : 'the packs in the bucket are the local packs, byte for byte', async () => {
    const packKey = (await keys('incremental/data/'))[0];
    const remote = await buffer(await bucket().get(packKey));
    const config = JSON.parse((await buffer(await bucket().get('incremental/config.json'))).toString('utf8'));
    if (encrypted) {
      for (const key of [packKey, (await keys('incremental/index/'))[0], `incremental/uses/${second.file}`]) {
        expect((await buffer(await bucket().get(key))).subarray(0, 8).toString('latin1')).toBe('LBOATENC');
      }
      expect(config).toMatchObject({ encryption: 'lifeboat-aes-256-gcm-chunked-v1', keyCheck: expect.any(String) });
      // The sealed manifest names no path of the tree, nor the dump.
      const manifest = (await buffer(await bucket().get(`${second.file}.manifest.json`))).toString('utf8');
      // Its sealed part is base64, which holds any three letters about once in a hundred manifests.
      const clear = JSON.stringify({ ...(JSON.parse(manifest) as Record<string, unknown>), sealed: undefined });
      expect(clear).not.toContain('Gen');
      expect(clear).not.toContain(second.dump);
      expect(JSON.parse(manifest).incremental).toMatchObject({ addedBytes: expect.any(Number), treeBytes: expect.any(Number) });
    } else {
      const local = await readFile(path.join(shop.backupDir, 'incremental/data', packKey.slice('incremental/data/'.length)));
      expect(remote.equals(local)).toBe(true);
      expect(config).toEqual({ format: 'lifeboat-content-store', version: 2 });
    }
  });

  it('with the backup folder wiped, the second is verified and rolled back from the bucket alone, to the exact tree and database', async () => {
    await rm(shop.backupDir, { recursive: true, force: true });
    await mkdir(shop.backupDir);
    const list = await cli(['list']);
    expect(list.stdout).toMatch(new RegExp(`${first.id} .* s3\\n`));
    // What it added and holds, from the manifest (its plain part, when sealed).
    expect(list.stdout).toMatch(new RegExp(`${second.id} .* \\+[\\d.]+ (B|KiB|MiB) of [\\d.]+ [KM]iB `));
    const verified = await cli(['verify', second.id]);
    expect(verified.stderr).toBe('');
    expect(verified.stdout).toMatch(/OK \(.*every blob against its sha256.*store structure/);
    // A drill from the bucket alone: every restored entry compared with the listing (the corner shop's
    // odd names, its symlinked media folder and its hard links among them).
    const drilled = await cli(['drill', second.id, '--json']);
    expect(drilled.code, drilled.stderr).toBe(0);
    const drill = JSON.parse(drilled.stdout) as { ok: boolean; tree: { compared: number; differing: unknown[]; counts: { files: number; hardlinks: number }; notCompared?: string } };
    expect(drill).toMatchObject({ ok: true, tree: { differing: [] } });
    expect(drill.tree.notCompared).toBeUndefined();
    expect(drill.tree.compared).toBe(drill.tree.counts.files + drill.tree.counts.hardlinks + 1); // and the dump
    // Something to undo.
    await writeFile(at('app/code/Gen/M4/File4.php'), 'changed after the backup');
    await rm(at('app/code/Gen/M5'), { recursive: true });
    const db = new Database(shop.dbFile);
    db.exec("UPDATE store SET name = 'changed'");
    db.close();
    const rolled = await cli(['rollback', second.id, '--yes']);
    expect(rolled.stderr).toBe('');
    expect(rolled.code).toBe(0);
    expect(treeDifferences(secondPrint, await shopPrint(), MICROSECOND, VOLATILE)).toEqual([]);
    expect(digest(shop.dbFile)).toBe(secondDb);
    // The work folder the backup was fetched into is gone.
    expect((await readdir(shop.backupDir)).filter((name) => name.startsWith('.lifeboat-fetch-'))).toEqual([]);
  });

  it.runIf(encrypted)('a wrong key is refused in one line before anything is fetched or changed', async () => {
    const wrongKey = path.join(base, 'wrong.key');
    await writeFile(wrongKey, 'another passphrase, long\n', { mode: 0o600 });
    const refused = await cli(['verify', second.id], { LIFEBOAT_ENCRYPTION_KEY_FILE: wrongKey });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot be decrypted: wrong key/);
  });

  // The same fetch as the rollback's: once, on the plain copy, is enough.
  it.runIf(!encrypted)('the download of a backup only in the bucket is a .tgz GNU tar extracts to the tree', async () => {
    const repository = Repository.open(loadSettings(env, base));
    try {
      const made = await snapshotDownload(repository, await repository.find(second.id));
      const tgz = path.join(base, 'download.tgz');
      await pipeline(made.body, createWriteStream(tgz));
      const into = path.join(base, 'gnu');
      await mkdir(into);
      execFileSync('tar', ['-xzf', tgz, '-C', into]);
      const extracted = await fingerprintTree(into, { ignore: (rel) => rel === second.dump });
      expect(treeDifferences(secondPrint, extracted, 0n, VOLATILE)).toEqual([]);
    } finally {
      repository.close();
    }
  });

  it('a backup taken while storage was unset is marked copy missing, and upload --missing copies it, saying what it sent', async () => {
    const { LIFEBOAT_STORAGE_URL: _url, LIFEBOAT_S3_ENDPOINT: _endpoint, LIFEBOAT_ENCRYPTION_KEY_FILE: _key, ...withoutStorage } = env;
    const taken = await runCli(['backup', 'code', '--incremental', '--json'], withoutStorage);
    expect(taken.code).toBe(0);
    const third: BackupJson = JSON.parse(taken.stdout);
    expect((await cli(['list'])).stdout).toMatch(new RegExp(`${third.id} .* local \\(copy missing\\)`));
    const packsBefore = await keys('incremental/data/');
    // A pack object cut short (not by Lifeboat, whose puts are atomic) is not taken as the pack: it is sent whole.
    const localPackKeys = (await readdir(path.join(shop.backupDir, 'incremental/data'), { recursive: true })).filter((name) => /[0-9a-f]{64}$/.test(name)).map((name) => `incremental/data/${name}`);
    const cutShort = localPackKeys.find((key) => !packsBefore.includes(key));
    if (!cutShort) throw new Error('the third backup added no pack');
    await bucket().put(cutShort, Readable.from([Buffer.from('the first bytes of a pack')]));
    const uploaded = await cli(['upload', '--missing']);
    expect(uploaded.stderr).toBe('');
    // The line says what was sent (the packs the bucket lacked, at their size before any encryption) and what the backup holds.
    const sent = (await keys('incremental/data/')).filter((key) => !packsBefore.includes(key));
    expect(sent.length).toBeGreaterThan(0);
    let sentBytes = 0;
    for (const key of sent) sentBytes += (await stat(path.join(shop.backupDir, key))).size;
    const holds = (JSON.parse((await cli(['list', '--json'])).stdout) as { id: string; incremental?: { treeBytes: number } }[]).find((r) => r.id === third.id)?.incremental?.treeBytes;
    expect(holds).toBeGreaterThan(0);
    const packs = sent.length === 1 ? '1 new pack' : `${sent.length} new packs`;
    expect(uploaded.stdout.trim()).toBe(`uploaded ${third.file} (${humanBytes(sentBytes)} sent in ${packs}; the backup holds ${humanBytes(holds ?? 0)}) to s3://${s3.bucket}/${prefix}`);
    const cutShortSize = (await stat(path.join(shop.backupDir, cutShort))).size;
    expect((await bucket().stat(cutShort))?.size).toBe(encrypted ? encryptedSize(cutShortSize) : cutShortSize);
    expect((await cli(['list'])).stdout).toMatch(new RegExp(`${third.id} .* local\\+s3`));
    const removed = await cli(['delete', third.id, '--yes']);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/off-site incremental data no backup uses \(s3:\/\/.*\): removed [1-9]\d* pack\(s\)/);
  });

  it('deleting a backup removes from the bucket the packs only it used; the other still verifies from the bucket', async () => {
    const before = await keys('incremental/data/');
    const removed = await cli(['delete', second.id, '--yes']);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/off-site incremental data no backup uses \(s3:\/\/.*\): removed [1-9]\d* pack\(s\), .*; [1-9]\d* pack\(s\) kept/);
    const after = await keys('incremental/data/');
    expect(after.length).toBeLessThan(before.length);
    expect(await keys('incremental/uses/')).toEqual([`incremental/uses/${first.file}`]);
    const verified = await cli(['verify', first.id]);
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
  });

  it('what a crashed upload and a crashed delete left is removed by the next prune of the bucket', async () => {
    const store = bucket();
    const kept = await keys('incremental/data/');
    const indexes = await keys('incremental/index/');
    // A failed upload: a pack no uses record names. A delete killed after its manifest and snapshot: a uses record alone.
    const orphanPack = `incremental/data/ab/ab${'0'.repeat(62)}`;
    await store.put(orphanPack, Readable.from([Buffer.from('a pack no backup uses')]));
    await store.put('incremental/uses/1700000000_snapshot.incremental.json', Readable.from([Buffer.from('{}')]));
    const repository = Repository.open(loadSettings(env, base));
    try {
      const result = await repository.pruneOffsiteData();
      expect(result).toMatchObject({ packsRemoved: 1, packsKept: kept.length });
    } finally {
      repository.close();
    }
    expect(await keys('incremental/data/')).toEqual(kept);
    expect(await keys('incremental/index/')).toEqual(indexes);
    expect(await keys('incremental/uses/')).toEqual([`incremental/uses/${first.file}`]);
    expect((await cli(['verify', first.id])).code).toBe(0);
  });

  it('deleting the last one leaves no incremental data in the bucket', async () => {
    const removed = await cli(['delete', first.id, '--yes']);
    expect(removed.code).toBe(0);
    expect(await keys('incremental/')).toEqual([]);
  });
});

const passphrase = (text: string) => ({ kind: 'passphrase' as const, passphrase: Buffer.from(text) });

describe("the bucket's incremental store has one key", () => {
  it('an upload with another key, with a key to a plain store, or without the key of an encrypted one is refused in one line', async () => {
    const encryptedStore = s3.store('one-key-encrypted');
    await prepareRemoteContent(encryptedStore, passphrase('the first passphrase'));
    await expect(prepareRemoteContent(encryptedStore, passphrase('the first passphrase'))).resolves.toMatchObject({ secret: expect.anything() });
    await expect(prepareRemoteContent(encryptedStore, passphrase('another passphrase!'))).rejects.toThrow(/is encrypted with another key than LIFEBOAT_ENCRYPTION_KEY_FILE's; nothing was changed$/);
    await expect(prepareRemoteContent(encryptedStore, undefined)).rejects.toThrow(/is encrypted: set LIFEBOAT_ENCRYPTION_KEY_FILE to its key/);
    const plainStore = s3.store('one-key-plain');
    await prepareRemoteContent(plainStore, undefined);
    await expect(prepareRemoteContent(plainStore, passphrase('the first passphrase'))).rejects.toThrow(/is not encrypted, and LIFEBOAT_ENCRYPTION_KEY_FILE is set: a backup would mix plain and encrypted data/);
  });
});

describe("the bucket's incremental store format version", () => {
  it('a version 1 store is read as it is and becomes version 2 with the next upload, its encryption kept; one of an unknown version is refused in one line, unchanged', async () => {
    const store = s3.store('store-version');
    const secret = passphrase('the store version passphrase');
    const configOf = async () => JSON.parse((await buffer(await store.get('incremental/config.json'))).toString('utf8')) as Record<string, unknown>;
    const putConfig = (config: Record<string, unknown>) => store.put('incremental/config.json', Readable.from([Buffer.from(JSON.stringify(config))]));
    await prepareRemoteContent(store, secret);
    const made = await configOf();
    expect(made).toMatchObject({ format: 'lifeboat-content-store', version: 2, encryption: 'lifeboat-aes-256-gcm-chunked-v1' });
    await putConfig({ ...made, version: 1 });
    await expect(openRemoteContent(store, secret)).resolves.toMatchObject({ secret });
    expect((await configOf()).version).toBe(1);
    await prepareRemoteContent(store, secret);
    expect(await configOf()).toEqual(made);
    await putConfig({ ...made, version: 3 });
    const refusal = `incremental/config.json has format version 3, which this Lifeboat does not read (it reads 1 and 2): a newer Lifeboat wrote it; upgrade Lifeboat`;
    await expect(prepareRemoteContent(store, secret)).rejects.toThrow(refusal);
    await expect(openRemoteContent(store, secret)).rejects.toThrow(refusal);
    expect((await configOf()).version).toBe(3);
  });
});
