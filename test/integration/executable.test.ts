// The single executable (`npm run package`, scripts/build-executable.ts) on a PATH without node: help
// and version, a database backup of MariaDB listed, verified and rolled back, a code backup rolled back
// (worker threads both), an incremental one too (the snapshot's reading thread), the demo shop's SQLite database (node:sqlite) rolled back, an off-site copy (the AWS SDK, loaded late) and `serve` answering with the
// admin page, its script and health.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { createTestSchema, databaseUrl, fingerprint, type SchemaFingerprint, withConnection } from '../helpers/mysql.js';
import { S3RVER_CREDENTIALS, startS3 } from '../helpers/s3.js';
import { startServer } from '../helpers/server.js';
import { rowArrays } from '../helpers/sqlite.js';
import { fingerprintTree, treeDifferences } from '../helpers/tree.js';
import type { MysqlTarget } from '../../src/engines/target.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const EXECUTABLE = path.join(ROOT, 'dist', `lifeboat-${process.platform}-${process.arch}`);

describe('the single executable, where no node is on the PATH', () => {
  let shop: { target: MysqlTarget; drop: () => Promise<void> };
  let root: string;
  let env: Record<string, string>;
  let original: SchemaFingerprint;
  let dbBackupId: string;
  let dbBackupFile: string;
  const lifeboat = (args: string[]): Promise<CliResult> => runCli(args, env, root, { program: EXECUTABLE });

  beforeAll(async () => {
    // dist/ is compiled by the test run's global setup; this bundles it and makes the executable.
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-executable.ts')], { cwd: ROOT, stdio: 'pipe' });
    shop = await createTestSchema('sea');
    await withConnection(shop.target, (conn) =>
      conn.query(`
        CREATE TABLE sales_order (entity_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, status VARCHAR(32), grand_total DECIMAL(20,4));
        INSERT INTO sales_order (status, grand_total) SELECT IF(seq % 3, 'complete', 'pending'), seq * 1.25 FROM seq_1_to_2000;
        CREATE VIEW order_totals AS SELECT status, COUNT(*) AS n FROM sales_order GROUP BY status;`),
    );
    original = await fingerprint(shop.target);
    const base = await mkdtemp(path.join(tmpdir(), 'lifeboat-sea-'));
    root = path.join(base, 'shop');
    await mkdir(path.join(root, 'app', 'code', 'Acme'), { recursive: true });
    await writeFile(path.join(root, 'app', 'code', 'Acme', 'registration.php'), '<?php // registration\n');
    await writeFile(path.join(root, 'app', 'code', 'Acme', 'big.bin'), Buffer.alloc(3 * 2 ** 20, 7));
    // Stored as it is (already compressed): with zstd, in frames whose checksum the bundled xxhash-wasm makes.
    await writeFile(path.join(root, 'app', 'code', 'Acme', 'logo.jpg'), randomBytes(300_000));
    // A PATH with nothing on it: no node (the system's is at /usr/bin/node here), no other tool.
    const emptyBin = path.join(base, 'bin');
    await mkdir(emptyBin);
    const t = shop.target;
    env = {
      PATH: emptyBin,
      HOME: base,
      LIFEBOAT_ROOT: root,
      LIFEBOAT_DATABASE_URL: databaseUrl(t),
    };
  }, 300_000); // the build takes about 20 s on an idle machine

  afterAll(async () => {
    await shop?.drop();
  });

  it('is one file that answers --help and --version', async () => {
    expect(existsSync(EXECUTABLE)).toBe(true);
    expect(() => execFileSync('sh', ['-c', 'command -v node'], { env: { PATH: env.PATH } })).toThrow();
    const help = await lifeboat(['--help']);
    expect(help.stderr).toBe('');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: lifeboat \[options\] \[command\]/);
    expect(help.stdout).toContain('rollback');
    const version = await lifeboat(['--version']);
    const { version: packageVersion } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(packageVersion);
  });

  it('backs up the database, lists and verifies the archive, and rolls a damaged database back', async () => {
    const backup = await lifeboat(['backup', 'db', '--json']);
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    const record = JSON.parse(backup.stdout) as { id: string; file: string };
    dbBackupId = record.id;
    dbBackupFile = record.file;
    const list = await lifeboat(['list', '--json']);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { id: string }[]).map((r) => r.id)).toEqual([record.id]);
    const verify = await lifeboat(['verify', record.id]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain(`${record.file}: OK`);

    await withConnection(shop.target, async (conn) => {
      await conn.query('DELETE FROM sales_order WHERE entity_id % 2 = 0');
      await conn.query("UPDATE sales_order SET status = 'broken'");
      await conn.query('DROP VIEW order_totals');
    });
    expect(await fingerprint(shop.target)).not.toEqual(original);
    const rollback = await lifeboat(['rollback', record.id, '--yes']);
    expect(rollback.stderr).toBe('');
    expect(rollback.code).toBe(0);
    expect(await fingerprint(shop.target)).toEqual(original);
  });

  it('backs up the code tree with zstd and rolls it back', async () => {
    const own = { ignore: (rel: string) => rel === 'var' || rel.startsWith('var/') }; // backups and Lifeboat's state
    const before = await fingerprintTree(root, own);
    const backup = await lifeboat(['backup', 'code', '--compression', 'zstd', '--json']);
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    const { id } = JSON.parse(backup.stdout) as { id: string };
    expect((await lifeboat(['verify', id])).code).toBe(0);
    await writeFile(path.join(root, 'app', 'code', 'Acme', 'registration.php'), 'changed');
    await writeFile(path.join(root, 'app', 'code', 'Acme', 'added.php'), 'added later');
    const rollback = await lifeboat(['rollback', id, '--yes']);
    expect(rollback.stderr).toBe('');
    expect(rollback.code).toBe(0);
    const after = await fingerprintTree(root, own);
    expect(treeDifferences(before, after, 1000n)).toEqual([]); // a rollback sets mtimes to the microsecond
    // The database backup is still there beside it.
    expect((await lifeboat(['verify', dbBackupId])).code).toBe(0);
  });

  it('backs up the code tree incrementally and rolls it back (the snapshot read on its own thread)', async () => {
    const own = { ignore: (rel: string) => rel === 'var' || rel.startsWith('var/') };
    const before = await fingerprintTree(root, own);
    const backup = await lifeboat(['backup', 'code', '--incremental', '--json']);
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    const { id } = JSON.parse(backup.stdout) as { id: string };
    await writeFile(path.join(root, 'app', 'code', 'Acme', 'registration.php'), 'changed again');
    const rollback = await lifeboat(['rollback', id, '--yes']);
    expect(rollback.stderr).toBe('');
    expect(rollback.code).toBe(0);
    expect(treeDifferences(before, await fingerprintTree(root, own), 1000n)).toEqual([]);
  });

  it('makes the demo shop and rolls its SQLite database back', async () => {
    const demo = path.join(path.dirname(root), 'demo');
    const made = await lifeboat(['demo', '--dir', demo]);
    expect(made.code).toBe(0);
    const id = /Took backup (\w+):/.exec(made.stdout)?.[1];
    expect(id, made.stdout + made.stderr).toBeDefined();
    const shopDb = path.join(demo, 'var', 'shop.db');
    const demoEnv = { ...env, LIFEBOAT_ROOT: demo, LIFEBOAT_DATABASE_URL: `sqlite://${shopDb}` };
    const stores = () => {
      const db = new DatabaseSync(shopDb, { readOnly: true });
      try {
        return rowArrays(db, 'SELECT store_id, code, name FROM store ORDER BY store_id');
      } finally {
        db.close();
      }
    };
    const before = stores();
    const db = new DatabaseSync(shopDb);
    db.exec("UPDATE store SET name = 'broken'");
    db.close();
    expect(stores()).not.toEqual(before);
    const rollback = await runCli(['rollback', id!, '--yes'], demoEnv, root, { program: EXECUTABLE });
    expect(rollback.stderr).toBe('');
    expect(rollback.code).toBe(0);
    expect(stores()).toEqual(before);
  });

  it('copies a backup to S3-compatible storage (the AWS SDK, loaded late)', async () => {
    const s3 = await startS3();
    try {
      const storage = {
        ...env,
        LIFEBOAT_STORAGE_URL: `s3://${s3.bucket}/shop`,
        LIFEBOAT_S3_ENDPOINT: s3.endpoint,
        AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      };
      const upload = await runCli(['upload', dbBackupId], storage, root, { program: EXECUTABLE });
      expect(upload.stderr).toBe('');
      expect(upload.code).toBe(0);
      expect((await s3.store('shop').list('')).map((o) => o.key)).toEqual([dbBackupFile, `${dbBackupFile}.manifest.json`]);
      const list = await runCli(['list', '--json'], storage, root, { program: EXECUTABLE });
      expect((JSON.parse(list.stdout) as { id: string; locations: string[] }[]).find((r) => r.id === dbBackupId)?.locations).toEqual(['local', 's3']);
    } finally {
      await s3.stop();
    }
  });

  it('serves the admin page, its files and health', async () => {
    const server = await startServer(env, [], { program: EXECUTABLE });
    try {
      const page = await fetch(`${server.base}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await page.text()).toBe(await readFile(path.join(ROOT, 'src', 'web', 'index.html'), 'utf8'));
      const script = await fetch(`${server.base}/app.js`);
      expect(script.status).toBe(200);
      expect(await script.text()).toBe(await readFile(path.join(ROOT, 'src', 'web', 'app.js'), 'utf8'));
      const health = await fetch(`${server.base}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      expect(server.setupToken).toBeDefined();
    } finally {
      expect(await server.stop()).toBe(0);
    }
    // Nothing but the request log (one line per request, no user signed in) and the stop.
    expect(server.stderr()).toMatch(/^GET \/ 200 [\d.]+ms -\nGET \/app\.js 200 [\d.]+ms -\nGET \/healthz 200 [\d.]+ms -\nlifeboat serve: stopping\n$/);
  });
});
