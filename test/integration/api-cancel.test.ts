// POST /api/jobs/:id/cancel over real HTTP against `lifeboat serve` on the SQLite demo shop, made slow
// with a big table: a cancelled backup leaves no archive and no partial file, a cancelled rollback
// leaves the database as it was, and cancelling a rollback needs the rollback resource.
import { DatabaseSync as Database } from 'node:sqlite';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { runCli } from '../helpers/cli.js';
import { addAccounts, call, signIn, startServer, waitForJob, type Client, type RunningServer } from '../helpers/server.js';

const PASSWORD = 'cancel test password';

interface Job {
  id: string;
  kind: string;
  state: string;
  error?: string;
}

describe('cancelling jobs over the API', () => {
  let server: RunningServer;
  let env: Record<string, string>;
  let backupDir: string;
  let dbFile: string;
  let admin: Client;
  let operator: Client;
  let auditor: Client;

  beforeAll(async () => {
    const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-cancel-')), 'shop'));
    dbFile = shop.databaseFile;
    backupDir = path.join(shop.root, 'var', 'backups');
    const db = new Database(dbFile);
    db.exec(`CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT);
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600000) INSERT INTO big SELECT i, printf('%0200d', i) FROM n;`);
    db.close();
    env = { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl };
    await addAccounts(env, PASSWORD, { roles: { operator: 'backup', auditor: 'admin' }, users: { ada: 'admin', olga: 'operator', aud: 'auditor' } });
    server = await startServer(env);
    [admin, operator, auditor] = await Promise.all(['ada', 'olga', 'aud'].map((name) => signIn(server.base, name, PASSWORD)));
  }, 120_000);

  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
  });

  const files = async () => (await readdir(backupDir).catch(() => [] as string[])).sort();
  const bigRows = () => {
    const db = new Database(dbFile, { readOnly: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n, SUM(id) AS s FROM big').get() as { n: number; s: number });
    } finally {
      db.close();
    }
  };

  it('cancels a running backup: 401/403/404 first, then cancelled, no archive, audited; 409 once ended', async () => {
    const started = await call(server.base, admin, 'POST', '/api/backups', { type: 'db', name: 'to cancel' });
    expect(started.status).toBe(202);
    const { job } = (await started.json()) as { job: Job };
    expect(job.state).toBe('running');
    const url = `/api/jobs/${job.id}/cancel`;
    // At once, before the backup can end; the refusals below are checked before the job's state.
    const cancelled = await call(server.base, operator, 'POST', url);
    expect(cancelled.status).toBe(200);
    const body = (await cancelled.json()) as { job: Job };
    expect(body.job).toMatchObject({ id: job.id, state: 'cancelled' });
    expect(body.job.error).toMatch(/cancelled by olga \(web\)/);
    expect(await files()).toEqual([]);
    expect(((await (await call(server.base, admin, 'GET', '/api/backups')).json()) as { backups: unknown[] }).backups).toEqual([]);

    expect((await call(server.base, undefined, 'POST', url)).status).toBe(401);
    expect((await call(server.base, auditor, 'POST', url)).status).toBe(403);
    expect((await call(server.base, admin, 'POST', url, undefined, { csrf: false })).status).toBe(403);
    expect((await call(server.base, admin, 'POST', '/api/jobs/jnothere/cancel')).status).toBe(404);
    const again = await call(server.base, admin, 'POST', url);
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: string }).error).toBe(`job ${job.id} is not running (it cancelled)`);
    const { entries } = (await (await call(server.base, admin, 'GET', '/api/audit')).json()) as { entries: { username: string; action: string; success: boolean; detail: string }[] };
    expect(entries.find((e) => e.action === 'cancel' && e.success)).toMatchObject({ username: 'olga', detail: `${job.id} backup db "to cancel": cancelled` });
    // The backup itself is recorded as cancelled, not failed (written once the job has ended).
    const backupEntry = async () =>
      ((await (await call(server.base, admin, 'GET', '/api/audit')).json()) as { entries: { action: string; success: boolean; result: string; detail: string }[] }).entries.find(
        (e) => e.action === 'backup db' && e.detail.startsWith('"to cancel"'),
      );
    await expect.poll(backupEntry).toMatchObject({ success: false, result: 'cancelled' });

    // The server keeps working: the next backup runs to the end.
    const next = (await (await call(server.base, admin, 'POST', '/api/backups', { type: 'db', name: 'kept' })).json()) as { job: Job };
    expect((await waitForJob(server.base, admin, next.job.id)).state).toBe('succeeded');
    // Its job says it ran inside the server, so that `lifeboat cancel` never signals (and stops) the server.
    const state = new Database(path.join(env.LIFEBOAT_ROOT, 'var', 'lifeboat', 'lifeboat.db'), { readOnly: true });
    try {
      const row = state.prepare('SELECT process FROM job WHERE id = ?').get(next.job.id) as { process: string };
      expect(JSON.parse(row.process)).toMatchObject({ server: true });
    } finally {
      state.close();
    }
  }, 180_000);

  it('cancels a running rollback only with the rollback resource; the database stays as it was', async () => {
    const [archive] = (await files()).filter((f) => f.endsWith('.sql.gz'));
    expect(archive).toMatch(/_db_kept\.sql\.gz$/);
    const db = new Database(dbFile);
    db.exec('DELETE FROM big WHERE id > 500000');
    db.close();
    const before = bigRows();
    expect(before.n).toBe(500000);
    const list = JSON.parse((await runCli(['list', '--json'], env)).stdout) as { id: string }[];
    const started = await call(server.base, admin, 'POST', `/api/backups/${list[0].id}/rollback`, { password: PASSWORD });
    expect(started.status).toBe(202);
    const { job } = (await started.json()) as { job: Job };
    expect(job.kind).toBe('rollback');
    const cancelled = await call(server.base, admin, 'POST', `/api/jobs/${job.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(((await cancelled.json()) as { job: Job }).job.state).toBe('cancelled');
    // The resource is checked before the job's state: a role without rollback is refused either way.
    const refused = await call(server.base, operator, 'POST', `/api/jobs/${job.id}/cancel`);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toBe('your role "operator" lacks the rollback resource');
    expect(bigRows()).toEqual(before);
  }, 180_000);
});
