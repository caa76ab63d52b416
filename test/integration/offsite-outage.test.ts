// Off-site storage that cannot be reached must not hide or block the backups in the backup folder: the
// list shows them with a warning (CLI and HTTP API), and verify and rollback of a local backup work.
// The bucket here is a port nobody listens on, with the real S3 client.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync as Database } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { runCli } from '../helpers/cli.js';
import { call, runCliWithStdin, signIn, startServer, type RunningServer } from '../helpers/server.js';

const PASSWORD = 'outage test password';

describe('off-site storage that cannot be reached', () => {
  let plain: Record<string, string>;
  let outage: Record<string, string>;
  let dbFile: string;
  let server: RunningServer;
  let backupId: string;

  beforeAll(async () => {
    const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-outage-')), 'shop'));
    dbFile = shop.databaseFile;
    plain = { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl };
    const backup = await runCli(['backup', 'db', '--name', 'local only', '--json'], plain);
    expect(backup.code, backup.stderr).toBe(0);
    backupId = (JSON.parse(backup.stdout) as { id: string }).id;
    // Port 9 (discard) on loopback: connections are refused at once.
    outage = { ...plain, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', LIFEBOAT_STORAGE_URL: 's3://backups/shop', LIFEBOAT_S3_ENDPOINT: 'http://127.0.0.1:9' };
    expect((await runCliWithStdin(['user', 'add', 'ada', '--role', 'admin', '--password-stdin'], plain, PASSWORD)).code).toBe(0);
    server = await startServer(outage);
  }, 120_000);

  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
  });

  it('lists the local backups with a one-line warning (CLI, exit 0)', async () => {
    const list = await runCli(['list', '--json'], outage);
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { id: string }[]).map((r) => r.id)).toEqual([backupId]);
    expect(list.stderr).toMatch(/^warning: off-site storage s3:\/\/backups\/shop cannot be listed \(.+\); showing the backup folder only$/m);
  }, 120_000);

  it('lists them over the API with the warning for the page', async () => {
    const admin = await signIn(server.base, 'ada', PASSWORD);
    const response = await call(server.base, admin, 'GET', '/api/backups');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { backups: { id: string }[]; warnings: string[] };
    expect(body.backups.map((b) => b.id)).toEqual([backupId]);
    expect(body.warnings).toHaveLength(1);
    expect(body.warnings[0]).toMatch(/^off-site storage s3:\/\/backups\/shop cannot be listed/);
  }, 120_000);

  it('verifies and rolls back a local backup; an unknown id names both places', async () => {
    const verify = await runCli(['verify', backupId], outage);
    expect(verify.code, verify.stderr).toBe(0);
    const db = new Database(dbFile);
    const before = db.prepare('SELECT name FROM store ORDER BY store_id').all();
    db.prepare("UPDATE store SET name = 'changed'").run();
    db.close();
    const rollback = await runCli(['rollback', backupId, '--yes'], outage);
    expect(rollback.code, rollback.stderr).toBe(0);
    const after = new Database(dbFile, { readOnly: true });
    expect(after.prepare('SELECT name FROM store ORDER BY store_id').all()).toEqual(before);
    after.close();

    const unknown = await runCli(['verify', 'nosuchbackup'], outage);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(/no backup "nosuchbackup" in .*, and off-site storage s3:\/\/backups\/shop cannot be listed/);
  }, 180_000);
});
