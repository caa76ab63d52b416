// The web admin's HTTP API with off-site storage, over real HTTP against `lifeboat serve`, a real
// MariaDB database and a real S3 server (s3rver), copies encrypted: the list says where each backup is;
// a backup that is only in the bucket downloads as the exact plain archive (whole, and byte ranges that
// cross an encryption chunk), rolls back, and is deleted from the bucket; `lifeboat rollback --table`
// of such a backup restores just that table, reading only a small part of the archive from the bucket.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings, type Settings } from '../../src/config/settings.js';
import { deleteBackup } from '../../src/repository/delete.js';
import { takeBackup } from '../../src/core/operations.js';
import type { BackupRecord } from '../../src/shared/types.js';
import type { MysqlTarget } from '../../src/engines/target.js';
import { runCli } from '../helpers/cli.js';
import { createTestSchema, TEST_SERVER_URL, withConnection } from '../helpers/mysql.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { S3RVER_CREDENTIALS, startS3, type TestS3 } from '../helpers/s3.js';
import { call, signIn, startServer, waitForJob, type Client, type RunningServer } from '../helpers/server.js';

const PASSWORD = 'correct horse battery';
const MIB = 1 << 20;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('HTTP API with off-site storage (encrypted)', () => {
  let s3: TestS3;
  let schema: { target: MysqlTarget; drop: () => Promise<void> };
  let work: string;
  let env: Record<string, string>;
  let settings: Settings;
  let server: RunningServer;
  let admin: Client;
  /** Only in the bucket, with the plain archive's bytes kept for comparison. */
  let remote: { record: BackupRecord; plain: Buffer };
  /** In both places. */
  let both: BackupRecord;

  const checksums = () =>
    withConnection(schema.target, async (conn) => {
      const [rows] = await conn.query('CHECKSUM TABLE blob_store, product, zz_blob');
      return (rows as { Table: string; Checksum: number | string }[]).map((r) => `${r.Table.split('.')[1]}=${r.Checksum}`);
    });
  const objects = async () => (await s3.store('shop').list('')).map((o) => o.key);

  beforeAll(async () => {
    s3 = await startS3();
    schema = await createTestSchema('apioff');
    // Random bytes (hex in the dump, about half of it left after gzip): an archive of several MiB, so
    // byte ranges cross the 1 MiB encryption chunks. The small table sits between two large ones in the
    // dump (tables are dumped by name), so a table rollback has a large table's data on either side.
    await withConnection(schema.target, async (conn) => {
      await conn.query('CREATE TABLE product (id INT PRIMARY KEY, sku VARCHAR(20) NOT NULL); INSERT INTO product VALUES (1, "a"), (2, "b"), (3, "c");');
      for (const [table, rows] of [['blob_store', 6], ['zz_blob', 48]] as const) {
        await conn.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, data MEDIUMBLOB NOT NULL)`);
        for (let id = 1; id <= rows; id++) await conn.query(`INSERT INTO ${table} VALUES (?, ?)`, [id, randomBytes(MIB / 4)]);
      }
    });
    work = await mkdtemp(path.join(tmpdir(), 'lifeboat-api-offsite-'));
    const keyFile = path.join(work, 'backup.key');
    await writeFile(keyFile, randomBytes(32), { mode: 0o600 });
    process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
    env = {
      LIFEBOAT_ROOT: work,
      LIFEBOAT_DATABASE_URL: TEST_SERVER_URL.replace(/\/[^/]*$/, `/${schema.target.database}`),
      LIFEBOAT_STORAGE_URL: `s3://${s3.bucket}/shop`,
      LIFEBOAT_S3_ENDPOINT: s3.endpoint,
      LIFEBOAT_ENCRYPTION_KEY_FILE: keyFile,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    };
    settings = loadSettings(env, work);
    const first = (await takeBackup(settings, { type: 'db', name: 'only off-site', trigger: 'test' })).record;
    remote = { record: first, plain: await readFile(path.join(settings.backupDir, first.file)) };
    await deleteBackup(settings.backupDir, first);
    await new Promise((r) => setTimeout(r, 1100)); // the next backup gets another second in its file name
    both = (await takeBackup(settings, { type: 'db', name: 'in both', trigger: 'test' })).record;
    server = await startServer(env);
    expect((await call(server.base, undefined, 'POST', '/api/setup', { token: server.setupToken, username: 'ada', password: PASSWORD })).status).toBe(201);
    admin = await signIn(server.base, 'ada', PASSWORD);
  });

  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
    await schema?.drop();
    await s3?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('lists the backups of the folder and the bucket with where each one is', async () => {
    expect(remote.plain.length).toBeGreaterThan(12 * MIB);
    const response = await call(server.base, admin, 'GET', '/api/backups');
    expect(response.status).toBe(200);
    const { backups } = (await response.json()) as { backups: { id: string; name: string; size: number; locations: string[] }[] };
    expect(backups.map((b) => [b.name, b.locations])).toEqual([
      ['in_both', ['local', 's3']],
      ['only_offsite', ['s3']],
    ]);
    expect(backups[1].size).toBe(remote.plain.length); // the plain archive's size, not the encrypted object's
  });

  it('downloads a backup that is only in the bucket as the exact plain archive, decrypted', async () => {
    const response = await call(server.base, admin, 'GET', `/api/backups/${remote.record.id}/download`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(remote.plain.length));
    expect(response.headers.get('x-checksum-sha256')).toBe(remote.record.sha256);
    expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(sha256(remote.plain));
    expect(sha256(remote.plain)).toBe(remote.record.sha256);
  });

  it('answers byte ranges of it with the exact bytes (206), across encryption chunks; 416 when out of range', async () => {
    const size = remote.plain.length;
    const ranges: [string, number, number][] = [
      ['bytes=10-99', 10, 99],
      [`bytes=${MIB - 100}-${MIB + 99}`, MIB - 100, MIB + 99], // the end of chunk 0 and the start of chunk 1
      [`bytes=${MIB / 2}-${2 * MIB + 5}`, MIB / 2, 2 * MIB + 5], // three chunks
      [`bytes=${2 * MIB}-`, 2 * MIB, size - 1],
      ['bytes=-16', size - 16, size - 1],
    ];
    for (const [header, start, end] of ranges) {
      const part = await call(server.base, admin, 'GET', `/api/backups/${remote.record.id}/download`, undefined, { headers: { range: header } });
      expect(part.status, header).toBe(206);
      expect(part.headers.get('content-range'), header).toBe(`bytes ${start}-${end}/${size}`);
      expect(part.headers.get('content-length'), header).toBe(String(end - start + 1));
      expect(Buffer.from(await part.arrayBuffer()).equals(remote.plain.subarray(start, end + 1)), header).toBe(true);
    }
    const beyond = await call(server.base, admin, 'GET', `/api/backups/${remote.record.id}/download`, undefined, { headers: { range: `bytes=${size}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${size}`);
  });

  it('rolls back from a backup that is only in the bucket, restoring every table', async () => {
    const before = await checksums();
    await withConnection(schema.target, async (conn) => {
      await conn.query('DELETE FROM product WHERE id > 1; DELETE FROM blob_store WHERE id > 6; DELETE FROM zz_blob WHERE id < 3;');
    });
    expect(await checksums()).not.toEqual(before);
    const started = await call(server.base, admin, 'POST', `/api/backups/${remote.record.id}/rollback`, { password: PASSWORD });
    expect(started.status).toBe(202);
    const { job } = (await started.json()) as { job: { id: string } };
    expect(await waitForJob(server.base, admin, job.id)).toMatchObject({ state: 'succeeded' });
    expect(await checksums()).toEqual(before);
    expect(existsSync(path.join(settings.backupDir, remote.record.file))).toBe(false); // the fetched copy is gone again
  });

  it('lifeboat rollback --table of a backup that is only in the bucket reads only the part of it that holds the table', async () => {
    const before = await checksums();
    await withConnection(schema.target, async (conn) => {
      await conn.query('DELETE FROM product WHERE id > 1; INSERT INTO blob_store VALUES (99, "added after the backup");');
    });
    // Through a proxy that counts the bytes the bucket sends.
    const proxy = await startFaultProxy(s3.endpoint, () => 'pass');
    try {
      const result = await runCli(['rollback', remote.record.id, '--table', 'product', '--yes'], { ...env, LIFEBOAT_S3_ENDPOINT: proxy.endpoint });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/rolled back to .*: 1 tables, 3 rows restored/);
      // The header, blob_store's last statement (product's structure follows it in one gzip member) and
      // product's data, in whole 1 MiB encryption chunks: zz_blob (most of the archive) is not read.
      expect(proxy.answeredBytes()).toBeLessThan(remote.plain.length / 3);
    } finally {
      await proxy.stop();
    }
    const unknown = await runCli(['rollback', remote.record.id, '--table', 'nosuch', '--yes'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/holds no table "nosuch"; nothing was changed/);
    const after = await checksums();
    expect(after[1]).toBe(before[1]); // product as in the backup
    expect(after[0]).not.toBe(before[0]); // blob_store untouched: still holds the row added later
    await withConnection(schema.target, (conn) => conn.query('DELETE FROM blob_store WHERE id = 99'));
    expect(await checksums()).toEqual(before);
  });

  it('deletes a backup from both places, and one that is only in the bucket from the bucket', async () => {
    expect(await objects()).toContain(both.file);
    expect((await call(server.base, admin, 'DELETE', `/api/backups/${both.id}`)).status).toBe(204);
    expect(existsSync(path.join(settings.backupDir, both.file))).toBe(false);
    expect(existsSync(path.join(settings.backupDir, `${both.file}.manifest.json`))).toBe(false);
    expect(await objects()).toEqual([remote.record.file, `${remote.record.file}.manifest.json`]);
    expect((await call(server.base, admin, 'DELETE', `/api/backups/${remote.record.id}`)).status).toBe(204);
    expect(await objects()).toEqual([]);
    expect(((await (await call(server.base, admin, 'GET', '/api/backups')).json()) as { backups: unknown[] }).backups).toEqual([]);
    expect((await call(server.base, admin, 'GET', `/api/backups/${remote.record.id}/download`)).status).toBe(404);
  });
});
