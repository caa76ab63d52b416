// The advice a refused second backup gives while a job of `lifeboat serve` runs ("stop it with lifeboat
// cancel JOB") works: the real server on the SQLite demo shop (made slow with a big table) runs a backup
// started over its API; a second backup from the command line and one over the API are refused with that
// advice; the command it names cancels the server's job cleanly (no archive, no partial file) and the
// server goes on serving and backing up.
import { DatabaseSync as Database } from 'node:sqlite';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { runCli } from '../helpers/cli.js';
import { addAccounts, call, signIn, startServer, waitForJob, type Client, type RunningServer } from '../helpers/server.js';

const PASSWORD = 'cancel advice password';

describe('lifeboat cancel of a job that runs inside lifeboat serve', () => {
  let server: RunningServer;
  let env: Record<string, string>;
  let backupDir: string;
  let admin: Client;

  beforeAll(async () => {
    const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-cancel-advice-')), 'shop'));
    backupDir = path.join(shop.root, 'var', 'backups');
    const db = new Database(shop.databaseFile);
    db.exec(`CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT);
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600000) INSERT INTO big SELECT i, printf('%0200d', i) FROM n;`);
    db.close();
    env = { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl };
    await addAccounts(env, PASSWORD, { users: { ada: 'admin' } });
    server = await startServer(env);
    admin = await signIn(server.base, 'ada', PASSWORD);
  }, 120_000);

  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
  });

  it('refuses a second backup naming the command, and that command cancels the server job', async () => {
    const started = await call(server.base, admin, 'POST', '/api/backups', { type: 'db', name: 'from the page' });
    expect(started.status).toBe(202);
    const { job } = (await started.json()) as { job: { id: string } };

    const second = await runCli(['backup', 'db'], env);
    expect(second.code).toBe(1);
    const advice = /stop it with "(lifeboat cancel (j[0-9a-f]+))"/.exec(second.stderr);
    expect(advice?.[2]).toBe(job.id);
    const fromPage = await call(server.base, admin, 'POST', '/api/backups', { type: 'db' });
    expect(fromPage.status).toBe(409);
    expect(((await fromPage.json()) as { error: string }).error).toContain(`stop it with "lifeboat cancel ${job.id}"`);

    const cancel = await runCli(advice![1].split(' ').slice(1), env);
    expect(cancel.stderr).toBe('');
    expect(cancel.stdout).toBe(`job ${job.id} cancelled\n`);
    expect(cancel.code).toBe(0);
    const ended = await waitForJob(server.base, admin, job.id);
    expect(ended).toMatchObject({ state: 'cancelled', error: 'cancelled by lifeboat cancel' });
    expect(await readdir(backupDir).catch(() => [])).toEqual([]);

    // The server lives on and takes the next backup.
    const next = (await (await call(server.base, admin, 'POST', '/api/backups', { type: 'db', name: 'after' })).json()) as { job: { id: string } };
    expect((await waitForJob(server.base, admin, next.job.id)).state).toBe('succeeded');
  }, 180_000);
});
