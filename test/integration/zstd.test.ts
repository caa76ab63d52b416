// zstd archives end to end, against the real parts: the command, MariaDB, the stock zstd, tar and
// mariadb clients, s3rver and `lifeboat serve`. `--compression zstd`, LIFEBOAT_COMPRESSION and the config
// file's `compression` write .sql.zst and .tar.zst in independent checksummed frames; the stock tools
// check and restore them; verify, rollback (database, tree, --table), off-site copies (encrypted),
// decrypt and the download work on them as on gzip archives.
import { execFileSync, execSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MysqlTarget } from '../../src/engines/target.js';
import { BIN, runCli } from '../helpers/cli.js';
import { createTestSchema, databaseUrl, fingerprint, stockClient, withConnection } from '../helpers/mysql.js';
import { S3RVER_CREDENTIALS, startS3, type TestS3 } from '../helpers/s3.js';
import { call, signIn, startServer } from '../helpers/server.js';
import { fingerprintTree, treeDifferences } from '../helpers/tree.js';

const SCHEMA = `
CREATE TABLE product (id INT PRIMARY KEY, sku VARCHAR(20) NOT NULL);
INSERT INTO product VALUES (1, 'a'), (2, 'b'), (3, 'c');
CREATE TABLE sales_order (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, total DECIMAL(20,4), note TEXT);
INSERT INTO sales_order (total, note) SELECT seq * 1.5, CONCAT('order note ', seq, ' ', REPEAT('x', seq % 300)) FROM seq_1_to_20000;
CREATE TABLE zz_blob (id INT PRIMARY KEY, data MEDIUMBLOB NOT NULL);
CREATE VIEW order_count AS SELECT COUNT(*) AS n FROM sales_order;
CREATE TRIGGER trg_product BEFORE INSERT ON product FOR EACH ROW SET NEW.sku = UPPER(NEW.sku);
`;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const ownFolder = (rel: string) => ['var/backups', 'var/lifeboat'].some((dir) => rel === dir || rel.startsWith(`${dir}/`));

interface BackupJson {
  id: string;
  file: string;
  path: string;
  dump?: string;
}

describe('zstd archives', () => {
  let s3: TestS3;
  let shop: { target: MysqlTarget; drop: () => Promise<void> };
  let copy: { target: MysqlTarget; drop: () => Promise<void> };
  let work: string;
  let root: string;
  let env: Record<string, string>;
  let db: BackupJson;
  let system: BackupJson;

  const print = () => fingerprintTree(root, { ignore: ownFolder });
  const backup = async (args: string[], extraEnv: Record<string, string> = {}): Promise<BackupJson> => {
    const result = await runCli(['backup', ...args, '--json'], { ...env, ...extraEnv });
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as BackupJson;
  };
  /** `zstd -lv` (its banner on stderr left out). */
  const zstdList = (file: string) => execFileSync('zstd', ['-lv', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const zstdFrames = (file: string) => Number(/Zstandard Frames: (\d+)/.exec(zstdList(file))?.[1]);

  beforeAll(async () => {
    s3 = await startS3();
    shop = await createTestSchema('zstd', { asShopUser: true });
    copy = await createTestSchema('zstdcopy', { asShopUser: true });
    await withConnection(shop.target, async (conn) => {
      await conn.query(SCHEMA);
      // Random bytes: several MiB of archive, so tables and members span many frames and encryption chunks.
      for (let id = 1; id <= 24; id++) await conn.query('INSERT INTO zz_blob VALUES (?, ?)', [id, randomBytes(256 << 10)]);
    });
    work = await mkdtemp(path.join(tmpdir(), 'lifeboat-zstd-'));
    root = path.join(work, 'shop');
    await mkdir(path.join(root, 'app/code/Vendor'), { recursive: true });
    await mkdir(path.join(root, 'pub/media/catalog'), { recursive: true });
    for (let i = 0; i < 40; i++) await writeFile(path.join(root, `app/code/Vendor/File${i}.php`), `<?php // file ${i}\n${'echo "hello";\n'.repeat(200 + i)}`);
    await writeFile(path.join(root, 'pub/media/catalog/photo.jpg'), randomBytes(3 << 20));
    await writeFile(path.join(root, 'index.php'), '<?php require "app/bootstrap.php";\n');
    const keyFile = path.join(work, 'backup.key');
    await writeFile(keyFile, randomBytes(32), { mode: 0o600 });
    env = {
      LIFEBOAT_ROOT: root,
      LIFEBOAT_DATABASE_URL: databaseUrl(shop.target),
      LIFEBOAT_STORAGE_URL: `s3://${s3.bucket}/shop`,
      LIFEBOAT_S3_ENDPOINT: s3.endpoint,
      LIFEBOAT_ENCRYPTION_KEY_FILE: keyFile,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    };
  });

  afterAll(async () => {
    await shop?.drop();
    await copy?.drop();
    await s3?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('backup db --compression zstd writes a .sql.zst of checksummed frames that zstd -t checks and `zstd -dc | mariadb` loads', async () => {
    db = await backup(['db', '--compression', 'zstd']);
    expect(db.file).toMatch(/^\d{10}_db\.sql\.zst$/);
    const manifest = JSON.parse(await readFile(`${db.path}.manifest.json`, 'utf8'));
    expect(manifest.archive.compression).toBe('zstd');
    expect(manifest.tables.every((t: { gzipOffset?: number }) => typeof t.gzipOffset === 'number')).toBe(true);
    execFileSync('zstd', ['-tq', db.path]);
    expect(zstdList(db.path)).toContain('Check: XXH64');
    expect(zstdFrames(db.path)).toBeGreaterThan(3);
    const t = copy.target;
    execSync(`zstd -dc '${db.path}' | ${await stockClient()} -h${t.host} -P${t.port} -u${t.user} ${t.database}`, { env: { ...process.env, MYSQL_PWD: t.password } });
    expect(await fingerprint(copy.target)).toEqual(await fingerprint(shop.target));
    const list = await runCli(['list'], env);
    expect(list.stdout).toContain(db.file);
    const verified = await runCli(['verify', db.id, '--json'], env);
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, checked: expect.arrayContaining(['zstd', 'sha256', 'sql size']) });
  });

  it('rollback and rollback --table of a .sql.zst restore the backed-up tables exactly', async () => {
    const original = await fingerprint(shop.target);
    await withConnection(shop.target, (conn) => conn.query("DELETE FROM sales_order WHERE id % 3 = 0; UPDATE product SET sku = 'changed'; DELETE FROM zz_blob WHERE id > 20"));
    const table = await runCli(['rollback', db.id, '--table', 'product', '--yes'], env);
    expect(table.code, table.stderr).toBe(0);
    const partly = await fingerprint(shop.target);
    expect(partly.tables.product).toEqual(original.tables.product);
    expect(partly.tables.sales_order).not.toEqual(original.tables.sales_order);
    const whole = await runCli(['rollback', db.id, '--yes'], env);
    expect(whole.code, whole.stderr).toBe(0);
    expect(await fingerprint(shop.target)).toEqual(original);
  });

  it('verify and rollback refuse a .sql.zst with a changed byte, naming zstd', async () => {
    const damagedDir = path.join(work, 'damaged');
    await mkdir(damagedDir, { recursive: true });
    const bytes = await readFile(db.path);
    bytes[Math.floor(bytes.length / 2)] ^= 0x55;
    await writeFile(path.join(damagedDir, db.file), bytes);
    await writeFile(path.join(damagedDir, `${db.file}.manifest.json`), await readFile(`${db.path}.manifest.json`));
    // The copy alone, in a folder of its own and without the bucket (which holds the good one).
    const damagedEnv = { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: env.LIFEBOAT_DATABASE_URL, LIFEBOAT_BACKUP_DIR: damagedDir };
    const verified = await runCli(['verify', db.file], damagedEnv);
    expect(verified.code).toBe(1);
    expect(verified.stdout + verified.stderr).toMatch(/the zstd stream is broken: /);
    const before = await fingerprint(shop.target);
    const rollback = await runCli(['rollback', db.file, '--yes'], damagedEnv);
    expect(rollback.code).toBe(1);
    expect(rollback.stderr).toMatch(/is damaged .*nothing was changed/);
    expect(await fingerprint(shop.target)).toEqual(before);
  });

  it('LIFEBOAT_COMPRESSION=zstd makes backup system write a .tar.zst that `tar -I zstd -xf` unpacks to the shop', async () => {
    system = await backup(['system'], { LIFEBOAT_COMPRESSION: 'zstd' });
    expect(system.file).toMatch(/^\d{10}_snapshot\.tar\.zst$/);
    expect(system.dump).toMatch(/^var\/\d{10}_db\.sql\.zst$/);
    execFileSync('zstd', ['-tq', system.path]);
    expect(zstdFrames(system.path)).toBeGreaterThan(3);
    const unpacked = path.join(work, 'unpacked');
    await mkdir(unpacked);
    execFileSync('tar', ['-I', 'zstd', '-xf', system.path, '-C', unpacked]);
    for (const rel of ['pub/media/catalog/photo.jpg', 'app/code/Vendor/File7.php', 'index.php']) {
      expect(sha256(await readFile(path.join(unpacked, rel))), rel).toBe(sha256(await readFile(path.join(root, rel))));
    }
    execFileSync('zstd', ['-tq', path.join(unpacked, system.dump ?? '')]);
    const verified = await runCli(['verify', system.id, '--json'], env);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, checked: expect.arrayContaining(['zstd', 'tar', 'database dump']) });
  });

  it('rollback of a .tar.zst restores the files and the database', async () => {
    const treeBefore = await print();
    const dbBefore = await fingerprint(shop.target);
    await writeFile(path.join(root, 'pub/media/catalog/photo.jpg'), 'broken');
    await rm(path.join(root, 'app/code/Vendor/File3.php'));
    await withConnection(shop.target, (conn) => conn.query('DELETE FROM product'));
    const result = await runCli(['rollback', system.id, '--yes'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(treeDifferences(treeBefore, await print(), 1000n)).toEqual([]);
    expect(await fingerprint(shop.target)).toEqual(dbBefore);
  });

  it('the config file\'s compression: zstd applies to backups; bad values are one line, exit 2, naming what is accepted', async () => {
    const config = path.join(work, 'lifeboat.config.json');
    await writeFile(config, JSON.stringify({ compression: 'zstd' }));
    const code = await backup(['code'], { LIFEBOAT_CONFIG: config });
    expect(code.file).toMatch(/^\d{10}_filesystem_code\.tar\.zst$/);
    const gzipAnyway = await backup(['db', '--compression', 'gzip'], { LIFEBOAT_CONFIG: config });
    expect(gzipAnyway.file).toMatch(/\.sql\.gz$/);
    const bad: [string[], Record<string, string>, RegExp][] = [
      [['backup', 'db', '--compression', 'xz'], {}, /^lifeboat: --compression must be "gzip" or "zstd", not "xz"\n$/],
      [['backup', 'db'], { LIFEBOAT_COMPRESSION: 'lz4' }, /^lifeboat: LIFEBOAT_COMPRESSION must be "gzip" or "zstd", not "lz4"\n$/],
      [['backup', 'db', '--compression', 'zstd', '--level', '20'], {}, /^lifeboat: --level must be a whole number from 1 to 19 for zstd, not "20"\n$/],
      [['backup', 'db', '--level', '10'], {}, /^lifeboat: --level must be a whole number from 1 to 9 for gzip, not "10"\n$/],
    ];
    for (const [args, extra, message] of bad) {
      const result = await runCli(args, { ...env, ...extra });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
    await writeFile(config, JSON.stringify({ compression: 'brotli' }));
    const fromFile = await runCli(['backup', 'db'], { ...env, LIFEBOAT_CONFIG: config });
    expect(fromFile.code).toBe(2);
    expect(fromFile.stderr).toMatch(/LIFEBOAT_COMPRESSION must be "gzip" or "zstd", not "brotli"/);
  });

  it('encrypted off-site copies of zstd archives decrypt, verify and roll back from the bucket alone', async () => {
    const objects = (await s3.store('shop').list('')).map((o) => o.key);
    expect(objects).toEqual(expect.arrayContaining([db.file, system.file]));
    const stored = path.join(work, 'stored.enc');
    await writeFile(stored, await (async () => {
      const parts: Buffer[] = [];
      for await (const part of await s3.store('shop').get(db.file)) parts.push(part as Buffer);
      return Buffer.concat(parts);
    })());
    const decrypted = path.join(work, 'decrypted.sql.zst');
    execSync(`'${process.execPath}' '${BIN}' decrypt '${stored}' > '${decrypted}'`, { env: { ...process.env, ...env } });
    expect(sha256(await readFile(decrypted))).toBe(sha256(await readFile(db.path)));
    execFileSync('zstd', ['-tq', decrypted]);

    // Only in the bucket from here on: the local archives and manifests are gone.
    for (const record of [db, system]) {
      await rm(record.path);
      await rm(`${record.path}.manifest.json`);
    }
    const dbBefore = await fingerprint(shop.target);
    const treeBefore = await print();
    await withConnection(shop.target, (conn) => conn.query("UPDATE product SET sku = 'remote'; DELETE FROM sales_order WHERE id < 100"));
    const table = await runCli(['rollback', db.id, '--table', 'product', '--yes'], env);
    expect(table.code, table.stderr).toBe(0);
    expect((await fingerprint(shop.target)).tables.product).toEqual(dbBefore.tables.product);
    await writeFile(path.join(root, 'index.php'), 'changed');
    const tree = await runCli(['rollback', system.id, '--yes'], env);
    expect(tree.code, tree.stderr).toBe(0);
    expect(await fingerprint(shop.target)).toEqual(dbBefore);
    expect(treeDifferences(treeBefore, await print(), 1000n)).toEqual([]);
    const verified = await runCli(['verify', system.id], env);
    expect(verified.code, verified.stderr).toBe(0);
  });

  it('the web admin downloads a zstd archive as application/zstd under its own name', async () => {
    const server = await startServer(env);
    try {
      expect((await call(server.base, undefined, 'POST', '/api/setup', { token: server.setupToken, username: 'ada', password: 'correct horse battery' })).status).toBe(201);
      const admin = await signIn(server.base, 'ada', 'correct horse battery');
      const response = await call(server.base, admin, 'GET', `/api/backups/${system.id}/download`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/zstd');
      expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${system.file}"`);
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(sha256(bytes)).toBe(response.headers.get('x-checksum-sha256'));
      const downloaded = path.join(work, system.file);
      await writeFile(downloaded, bytes);
      expect(execFileSync('tar', ['-I', 'zstd', '-tf', downloaded], { encoding: 'utf8' })).toContain('pub/media/catalog/photo.jpg');
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
