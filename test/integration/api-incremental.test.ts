// Incremental backups through the HTTP API of the real `lifeboat serve`, on the demo shop (SQLite) grown
// into the corner-case tree: with LIFEBOAT_INCREMENTAL=1 a System backup the API starts is incremental
// (`incremental: false` asks for a full one), the list gives what it added and holds, the download is a
// .tgz (no length, no ranges) that GNU tar extracts to exactly the tree and the dump, and a delete
// removes its data.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signIn, startServer, waitForJob, type Client, type RunningServer } from '../helpers/server.js';
import { cornerDemoShop, type CornerDemoShop } from '../helpers/corner-demo-shop.js';
import { fingerprintTree, ignoredInCornerShop, treeDifferences } from '../helpers/tree.js';

const PASSWORD = 'correct horse battery';

describe('incremental backups through the HTTP API', () => {
  let base: string;
  let shop: CornerDemoShop;
  let server: RunningServer;
  let admin: Client;
  let backup: { id: string; file: string; incremental?: { addedBytes: number; treeBytes: number } };

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'lifeboat-api-incremental-'));
    shop = await cornerDemoShop(base);
    server = await startServer({ ...shop.env, LIFEBOAT_INCREMENTAL: '1' });
    expect((await call(server.base, undefined, 'POST', '/api/setup', { token: server.setupToken, username: 'ada', password: PASSWORD })).status).toBe(201);
    admin = await signIn(server.base, 'ada', PASSWORD);
  });

  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
  });

  const backUp = async (body: Record<string, unknown>) => {
    const started = await call(server.base, admin, 'POST', '/api/backups', body);
    expect(started.status).toBe(202);
    const { job } = (await started.json()) as { job: { id: string } };
    expect((await waitForJob(server.base, admin, job.id)).state).toBe('succeeded');
    const { backups } = (await (await call(server.base, admin, 'GET', '/api/backups')).json()) as { backups: (typeof backup)[] };
    return backups[0];
  };

  it('a System backup started by the API is incremental, and listed with what it added and holds; incremental: false is full', async () => {
    expect((await call(server.base, admin, 'POST', '/api/backups', { type: 'system', incremental: 'yes' })).status).toBe(400);
    backup = await backUp({ type: 'system' });
    expect(backup.file).toMatch(/^\d{10}_snapshot\.incremental\.json$/);
    expect(backup.incremental?.addedBytes).toBeGreaterThan(0);
    expect(backup.incremental?.treeBytes).toBeGreaterThan(3 << 20);
    expect((await backUp({ type: 'system', incremental: false })).file).toMatch(/^\d{10}_snapshot\.tgz$/);
  });

  it('downloads a .tgz made on the fly that GNU tar extracts to exactly the tree', async () => {
    const response = await call(server.base, admin, 'GET', `/api/backups/${backup.id}/download`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/gzip');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${backup.file.replace('.incremental.json', '.tgz')}"`);
    expect(response.headers.get('content-length')).toBeNull();
    const tgz = path.join(base, 'download.tgz');
    await writeFile(tgz, Buffer.from(await response.arrayBuffer()));
    const into = path.join(base, 'extracted');
    await mkdir(into);
    execFileSync('tar', ['-xzf', tgz, '-C', into]);
    const dump = `var/${backup.file.slice(0, 10)}_db.sql.gz`;
    const extracted = await fingerprintTree(into, { ignore: (rel) => rel === dump });
    expect(treeDifferences(await fingerprintTree(shop.root, { follow: ['pub/media'], ignore: ignoredInCornerShop }), extracted, 0n, ['var'])).toEqual([]);
    expect(execFileSync('sh', ['-c', `gunzip -c '${path.join(into, dump)}' | head -c 200`]).toString()).toMatch(/SQLite|CREATE|PRAGMA|BEGIN/);
  });

  it('a delete removes the backup and then the data no backup uses', async () => {
    expect((await call(server.base, admin, 'DELETE', `/api/backups/${backup.id}`)).status).toBe(204);
    const packs = (await readdir(path.join(shop.backupDir, 'incremental/data'), { recursive: true })).filter((n) => /^[0-9a-f]{64}$/.test(path.basename(n)));
    expect(packs).toEqual([]);
  });
});
