// A manifest is bound to its archive: it names the archive (`file`) and its checksum. A manifest beside
// an archive it does not belong to (two backups' manifests swapped, one that cannot be read, one of an
// unknown format) used to make the archive look foreign, which gets only the checks it can: verify
// said OK and rollback ran. Now the archive is listed with the problem, and verify, rollback, download
// and upload refuse it, the shop untouched; in the backup folder and in off-site storage. An archive
// replaced by another under its name (its manifest names it rightly) fails on its size and sha256.
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBackups } from '../../src/repository/catalog.js';
import type { MysqlTarget } from '../../src/engines/target.js';
import { runCli } from '../helpers/cli.js';
import { readAll } from '../helpers/demo-db.js';
import { createTestSchema, fingerprint, TEST_SERVER_URL, withConnection } from '../helpers/mysql.js';
import { S3RVER_CREDENTIALS, startS3, type TestS3 } from '../helpers/s3.js';
import { addAccounts, call, signIn, startServer, type Client, type RunningServer } from '../helpers/server.js';

const PASSWORD = 'correct horse battery';
const MANIFEST = '.manifest.json';

interface Listed {
  id: string;
  file: string;
  origin: string;
  problem?: string;
  locations?: string[];
}

let s3: TestS3;
let schema: { target: MysqlTarget; drop: () => Promise<void> };
let work: string;
/** The shop without off-site storage: its backups are only in `backupDir`. */
let env: Record<string, string>;
let backupDir: string;

beforeAll(async () => {
  s3 = await startS3();
  schema = await createTestSchema('binding');
  await withConnection(schema.target, (conn) => conn.query('CREATE TABLE product (id INT PRIMARY KEY, sku VARCHAR(40) NOT NULL)'));
  work = await mkdtemp(path.join(tmpdir(), 'lifeboat-binding-'));
  backupDir = path.join(work, 'var', 'backups');
  env = { LIFEBOAT_ROOT: work, LIFEBOAT_DATABASE_URL: TEST_SERVER_URL.replace(/\/[^/]*$/, `/${schema.target.database}`) };
});

afterAll(async () => {
  await schema?.drop();
  await s3?.stop();
  await rm(work, { recursive: true, force: true });
});

/** The shop's settings with off-site storage under `prefix` (and the S3 server's credentials). */
function withStorage(base: Record<string, string>, prefix: string): Record<string, string> {
  return {
    ...base,
    LIFEBOAT_STORAGE_URL: `s3://${s3.bucket}/${prefix}`,
    LIFEBOAT_S3_ENDPOINT: s3.endpoint,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
  };
}

/** Adds `rows` products, so that each backup (and the shop after it) holds something else. */
async function addProducts(rows: number): Promise<void> {
  await withConnection(schema.target, (conn) =>
    conn.query('INSERT INTO product SELECT seq, CONCAT("sku-", seq) FROM seq_1_to_100000 WHERE seq > (SELECT COALESCE(MAX(id), 0) FROM product) LIMIT ?', [rows]),
  );
}

/** A database backup taken with the real command. */
async function backup(name: string, backupEnv: Record<string, string>): Promise<Listed> {
  await addProducts(50 + name.length * 40);
  const result = await runCli(['backup', 'db', '--name', name, '--json'], backupEnv);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as Listed;
}

async function list(listEnv: Record<string, string>): Promise<Listed[]> {
  const result = await runCli(['list', '--json'], listEnv);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Listed[];
}

/** Runs `args` and expects a refusal: exit 1, one line on stderr matching every pattern, the shop as it was. */
async function expectRefused(args: string[], runEnv: Record<string, string>, patterns: RegExp[]): Promise<void> {
  const before = await fingerprint(schema.target);
  const result = await runCli(args, runEnv);
  expect(result.code).toBe(1);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  for (const pattern of patterns) expect(result.stderr).toMatch(pattern);
  expect(await fingerprint(schema.target)).toEqual(before);
}

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The problem of archive `file` when its manifest names `other`. */
const namesAnother = (file: string, other: string) => new RegExp(`its manifest ${escaped(file + MANIFEST)} names another archive \\(${escaped(other)}\\)`);
const REMEDY = /put the archive's own manifest back/;

describe('two backups with their manifests swapped in the backup folder', () => {
  let one: Listed;
  let two: Listed;
  let server: RunningServer;
  let admin: Client;

  const swapManifests = async () => {
    const [a, b] = [path.join(backupDir, one.file + MANIFEST), path.join(backupDir, two.file + MANIFEST)];
    await rename(a, `${a}.swap`);
    await rename(b, a);
    await rename(`${a}.swap`, b);
  };

  beforeAll(async () => {
    one = await backup('one', env);
    two = await backup('two', env);
    await addProducts(30); // the shop differs from both backups: a rollback that ran would show
    await swapManifests();
    await addAccounts(env, PASSWORD, { users: { ada: 'admin' } });
    server = await startServer(env);
    admin = await signIn(server.base, 'ada', PASSWORD);
  });

  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
    await swapManifests(); // back as they were, for the tests below
  });

  it('lists both archives with the problem, not as foreign archives without one', async () => {
    const listed = await list(env);
    expect(listed.map((r) => r.file).sort()).toEqual([one.file, two.file].sort());
    for (const [record, other] of [[one, two], [two, one]]) {
      const found = listed.find((r) => r.file === record.file);
      expect(found?.problem).toMatch(namesAnother(record.file, other.file));
    }
    const text = await runCli(['list'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(one.file);
    const warnings = text.stderr.trim().split('\n');
    expect(warnings).toHaveLength(2);
    expect(text.stderr).toMatch(new RegExp(`^warning: ${escaped(one.file)}: ${namesAnother(one.file, two.file).source}; ${REMEDY.source}`, 'm'));
    expect(text.stderr).toMatch(new RegExp(`^warning: ${escaped(two.file)}: ${namesAnother(two.file, one.file).source}; ${REMEDY.source}`, 'm'));
  });

  it('verify fails for both, naming the problem', async () => {
    for (const [record, other] of [[one, two], [two, one]]) {
      const result = await runCli(['verify', record.file], env);
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(namesAnother(record.file, other.file));
      expect(result.stderr).toMatch(REMEDY);
      const json = await runCli(['verify', record.file, '--json'], env);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, file: record.file, problems: [expect.stringMatching(namesAnother(record.file, other.file))] });
    }
  });

  it('rollback refuses both in one line, the shop unchanged', async () => {
    await expectRefused(['rollback', one.file, '--yes'], env, [namesAnother(one.file, two.file), /refusing to roll it back, nothing was changed/, REMEDY]);
    await expectRefused(['rollback', two.file, '--yes'], env, [namesAnother(two.file, one.file), /refusing to roll it back, nothing was changed/, REMEDY]);
    // The ids of the backups do not reach the archives their manifests no longer sit beside.
    expect((await runCli(['rollback', one.id, '--yes'], env)).code).toBe(2);
  });

  it('the HTTP API lists the problem and refuses download and rollback (409), the shop unchanged', async () => {
    const { backups } = (await (await call(server.base, admin, 'GET', '/api/backups')).json()) as { backups: Listed[] };
    expect(backups.find((b) => b.file === one.file)?.problem).toMatch(namesAnother(one.file, two.file));
    const download = await call(server.base, admin, 'GET', `/api/backups/${one.file}/download`);
    expect(download.status).toBe(409);
    expect(((await download.json()) as { error: string }).error).toMatch(namesAnother(one.file, two.file));
    const before = await fingerprint(schema.target);
    const rollback = await call(server.base, admin, 'POST', `/api/backups/${two.file}/rollback`, { password: PASSWORD });
    expect(rollback.status).toBe(409);
    expect(((await rollback.json()) as { error: string }).error).toMatch(namesAnother(two.file, one.file));
    expect(await fingerprint(schema.target)).toEqual(before);
  });

  it('upload refuses them by name, and --missing reports each, uploading nothing', async () => {
    const uploadEnv = withStorage(env, 'swapped-local');
    const refused = await runCli(['upload', one.file], uploadEnv);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(namesAnother(one.file, two.file));
    expect(refused.stderr).toMatch(REMEDY);
    const missing = await runCli(['upload', '--missing', '--json'], uploadEnv);
    expect(missing.code).toBe(1);
    expect((JSON.parse(missing.stdout) as { file: string; uploaded: boolean }[]).map((r) => [r.file, r.uploaded]).sort()).toEqual(
      [[one.file, false], [two.file, false]].sort(),
    );
    expect(await s3.store('swapped-local').list('')).toEqual([]);
  });
});

describe('a manifest beside an archive that cannot vouch for it', () => {
  it('one that cannot be parsed, is of an unknown format or names no checksum makes a problem; no manifest is a foreign archive', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'lifeboat-binding-folder-'));
    const manifests: Record<string, string | undefined> = {
      '1700000001_db.sql.gz': '{"formatVersion": 1, "id": "abcd", "fi',
      '1700000002_db.sql.gz': JSON.stringify({ formatVersion: 2, id: 'abcd', file: '1700000002_db.sql.gz' }),
      '1700000003_db.sql.gz': JSON.stringify({ formatVersion: 1, id: 'abcd', file: '1700000003_db.sql.gz', archive: {} }),
      '1700000004_db.sql.gz': undefined,
    };
    for (const [file, manifest] of Object.entries(manifests)) {
      await writeFile(path.join(folder, file), 'not read by the listing');
      if (manifest !== undefined) await writeFile(path.join(folder, file + MANIFEST), manifest);
    }
    await mkdir(path.join(folder, '1700000005_db.sql.gz' + MANIFEST)); // exists, cannot be read as a file
    await writeFile(path.join(folder, '1700000005_db.sql.gz'), 'not read by the listing');
    const problems = Object.fromEntries((await listBackups(folder)).map((r) => [r.file, [r.origin, r.problem]]));
    expect(problems).toEqual({
      '1700000001_db.sql.gz': ['foreign', 'its manifest 1700000001_db.sql.gz.manifest.json cannot be parsed as JSON'],
      '1700000002_db.sql.gz': ['foreign', 'its manifest 1700000002_db.sql.gz.manifest.json has formatVersion 2, which this version of Lifeboat does not know'],
      '1700000003_db.sql.gz': ['foreign', 'its manifest 1700000003_db.sql.gz.manifest.json has no archive.sha256 and archive.size'],
      '1700000004_db.sql.gz': ['foreign', undefined],
      '1700000005_db.sql.gz': ['foreign', expect.stringMatching(/^its manifest 1700000005_db\.sql\.gz\.manifest\.json cannot be read \(EISDIR/)],
    });
    // The remedy for an archive to be used without its manifest: delete the manifest.
    await rm(path.join(folder, '1700000001_db.sql.gz' + MANIFEST));
    const unbound = (await listBackups(folder)).find((r) => r.file === '1700000001_db.sql.gz');
    expect([unbound?.origin, unbound?.problem]).toEqual(['foreign', undefined]);
  });
});

describe('two backups with their manifests swapped in off-site storage', () => {
  let offsiteEnv: Record<string, string>;
  let one: Listed;
  let two: Listed;

  beforeAll(async () => {
    offsiteEnv = withStorage({ ...env, LIFEBOAT_BACKUP_DIR: path.join(work, 'offsite-backups') }, 'swapped-bucket');
    one = await backup('bucket one', offsiteEnv);
    two = await backup('bucket two', offsiteEnv);
    expect([one.locations, two.locations]).toEqual([['local', 's3'], ['local', 's3']]);
    await rm(path.join(work, 'offsite-backups'), { recursive: true }); // only in the bucket now
    const store = s3.store('swapped-bucket');
    const [manifestOne, manifestTwo] = [await readAll(await store.get(one.file + MANIFEST)), await readAll(await store.get(two.file + MANIFEST))];
    await store.put(one.file + MANIFEST, Readable.from([manifestTwo]));
    await store.put(two.file + MANIFEST, Readable.from([manifestOne]));
    await addProducts(30);
  });

  it('lists both with the problem instead of leaving them out', async () => {
    const listed = await list(offsiteEnv);
    expect(listed.map((r) => [r.file, r.locations]).sort()).toEqual([[one.file, ['s3']], [two.file, ['s3']]].sort());
    expect(listed.find((r) => r.file === one.file)?.problem).toMatch(namesAnother(one.file, two.file));
    expect(listed.find((r) => r.file === two.file)?.problem).toMatch(namesAnother(two.file, one.file));
  });

  it('verify fails and rollback refuses, the shop unchanged', async () => {
    const verify = await runCli(['verify', one.file], offsiteEnv);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toMatch(namesAnother(one.file, two.file));
    await expectRefused(['rollback', two.file, '--yes'], offsiteEnv, [namesAnother(two.file, one.file), /nothing was changed/, new RegExp(`lifeboat delete ${escaped(two.file)}`)]);
  });

  it('the remedy the line gives works: delete removes such a backup from the bucket', async () => {
    const deleted = await runCli(['delete', two.file, '--yes'], offsiteEnv);
    expect(deleted.code).toBe(0);
    expect((await list(offsiteEnv)).map((r) => r.file)).toEqual([one.file]);
    expect((await s3.store('swapped-bucket').list('')).map((o) => o.key)).toEqual([one.file, one.file + MANIFEST]);
  });
});

describe('an archive replaced by another backup under its name (its manifest names it rightly)', () => {
  it('in the backup folder: verify fails on its size and sha256, rollback and upload refuse, the shop unchanged', async () => {
    const [older, newer] = (await list(env)).filter((r) => r.origin === 'lifeboat').reverse();
    const replaced = path.join(backupDir, newer.file);
    const kept = await readFile(replaced);
    await copyFile(path.join(backupDir, older.file), replaced);
    try {
      const listed = (await list(env)).find((r) => r.file === newer.file);
      expect(listed).toMatchObject({ id: newer.id, origin: 'lifeboat' });
      const verify = await runCli(['verify', newer.id], env);
      expect(verify.code).toBe(1);
      expect(verify.stderr).toMatch(/DAMAGED: size is \d+ bytes, the manifest says \d+; sha256 is [0-9a-f]{64}, the manifest says/);
      await expectRefused(['rollback', newer.id, '--yes'], env, [/is damaged \(size is \d+ bytes, the manifest says \d+.*\); refusing to roll back, nothing was changed/]);
      await expectRefused(['upload', newer.id], withStorage(env, 'replaced-local'), [/no longer has its manifest's sha256/]);
    } finally {
      await writeFile(replaced, kept);
    }
  });

  it('in off-site storage: a copy that no longer has its manifest\'s size is not offered, and rollback refuses, the shop unchanged', async () => {
    const offsiteEnv = withStorage({ ...env, LIFEBOAT_BACKUP_DIR: path.join(work, 'replaced-backups') }, 'replaced-bucket');
    const older = await backup('replaced one', offsiteEnv);
    const newer = await backup('replaced two', offsiteEnv);
    await rm(path.join(work, 'replaced-backups'), { recursive: true });
    const store = s3.store('replaced-bucket');
    await store.put(newer.file, Readable.from([await readAll(await store.get(older.file))]));
    await addProducts(30);
    expect((await list(offsiteEnv)).map((r) => r.file)).toEqual([older.file]);
    const before = await fingerprint(schema.target);
    expect((await runCli(['rollback', newer.id, '--yes'], offsiteEnv)).code).not.toBe(0);
    expect(await fingerprint(schema.target)).toEqual(before);
  });
});
