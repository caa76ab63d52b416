// Jobs through the real command on the SQLite demo shop: maintenance around a job (and a flag left by a
// killed process), guard, cron, cancel and the job history.
import { DatabaseSync as Database } from 'node:sqlite';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { runCli, startCli } from '../helpers/cli.js';

async function demo(): Promise<{ root: string; env: Record<string, string>; dbFile: string }> {
  const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-cli-jobs-')), 'shop'));
  return { root: shop.root, dbFile: shop.databaseFile, env: { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl } };
}

const flag = (root: string) => path.join(root, 'var', '.maintenance.flag');

async function lastJob(env: Record<string, string>): Promise<{ id: string; state: string; log: string[]; trigger: string; file?: string }> {
  const jobs = JSON.parse((await runCli(['jobs', '--json'], env)).stdout);
  return (await runCli(['jobs', jobs[0].id, '--json'], env)).stdout ? JSON.parse((await runCli(['jobs', jobs[0].id, '--json'], env)).stdout) : jobs[0];
}

describe('jobs through the CLI', () => {
  it('backup --maintenance switches maintenance on for the job only, and keeps a prior flag', async () => {
    const { root, env } = await demo();
    const result = await runCli(['backup', 'db', '--maintenance'], env);
    expect(result.code).toBe(0);
    expect(existsSync(flag(root))).toBe(false);
    const job = await lastJob(env);
    expect(job.state).toBe('succeeded');
    expect(job.log.join('\n')).toMatch(/maintenance mode on[\s\S]*succeeded[\s\S]*maintenance mode off/);

    await writeFile(flag(root), '');
    const kept = await runCli(['backup', 'db', '--maintenance'], env);
    expect(kept.code).toBe(0);
    expect(kept.stderr).toMatch(/maintenance mode was already on; it stays on/);
    expect(await readFile(flag(root), 'utf8')).toBe('');
  });

  it('a maintenance flag left by a killed process is cleared by the next job, with a line saying so', async () => {
    const { root, env } = await demo();
    const child = startCli(['guard', '--type', 'db', '--maintenance', '--', 'sleep', '30'], env);
    for (let i = 0; i < 300 && !existsSync(flag(root)); i++) await new Promise((r) => setTimeout(r, 20));
    // Wait until the guard's backup is done and the command runs.
    for (let i = 0; i < 300; i++) {
      if ((await readdir(path.join(root, 'var', 'backups')).catch(() => [])).some((f) => f.includes('_db_guard'))) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const exited = new Promise((resolve) => child.on('close', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(JSON.parse(await readFile(flag(root), 'utf8'))).toMatchObject({ setBy: 'lifeboat' });
    const next = await runCli(['backup', 'db'], env);
    expect(next.code).toBe(0);
    expect(next.stderr).toMatch(/cleared the maintenance flag left by job j[0-9a-f]{8} \(pid \d+/);
    expect(existsSync(flag(root))).toBe(false);
  });

  it('guard rolls back when the command fails, and keeps its exit code', async () => {
    const { root, env, dbFile } = await demo();
    const envPhp = path.join(root, 'app', 'etc', 'env.php');
    const original = await readFile(envPhp, 'utf8');
    const breakShop = `echo broken > app/etc/env.php && sqlite3 '${dbFile}' 'DELETE FROM sales_order_item' && exit 3`;
    const failed = await runCli(['guard', '--rollback-on-failure', '--', 'sh', '-c', `cd '${root}' && ${breakShop}`], env);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toMatch(/rolled back to \d+_snapshot_guard\.tgz/);
    expect(await readFile(envPhp, 'utf8')).toBe(original);
    const db = new Database(dbFile, { readOnly: true });
    expect((db.prepare('SELECT COUNT(*) AS n FROM sales_order_item').get() as { n: number }).n).toBe(500);
    db.close();

    const noRollback = await runCli(['guard', '--type', 'db', '--', 'sh', '-c', 'exit 5'], env);
    expect(noRollback.code).toBe(5);
    expect(noRollback.stderr).toMatch(/to undo its changes run:\n {2}lifeboat rollback [0-9a-f]{8} --yes/);
    const ok = await runCli(['guard', '--type', 'db', '--', 'true'], env);
    expect(ok.code).toBe(0);
  });

  it('cron runs a due occurrence once, named as scheduled, and applies retention', async () => {
    const { env } = await demo();
    expect((await runCli(['schedule', 'set', '--type', 'db', '--frequency', 'daily', '--time', '02:00', '--timezone', 'UTC', '--keep-last', '1'], env)).code).toBe(0);
    const notDue = JSON.parse((await runCli(['cron', '--json'], env)).stdout);
    expect(notDue.status).toBe('not-due'); // saved after today's 02:00 or before it: either way not due now
    const tomorrow = new Date(Date.now() + 24 * 3600 * 1000).toISOString().slice(0, 10);
    const first = await runCli(['cron', '--at', `${tomorrow}T02:30:00Z`, '--json'], env);
    expect(first.code).toBe(0);
    const outcome = JSON.parse(first.stdout);
    expect(outcome).toMatchObject({ status: 'succeeded', occurrence: `${tomorrow}T02:00:00Z` });
    expect(outcome.file).toMatch(/_db_scheduled_daily\.sql\.gz$/);
    const again = JSON.parse((await runCli(['cron', '--at', `${tomorrow}T03:00:00Z`, '--json'], env)).stdout);
    expect(again).toMatchObject({ status: 'already-ran', occurrence: `${tomorrow}T02:00:00Z` });
    const job = await lastJob(env);
    expect(job).toMatchObject({ state: 'succeeded', trigger: 'schedule' });
    // A second scheduled run prunes down to the newest one (--keep-last 1).
    const dayAfter = new Date(Date.now() + 48 * 3600 * 1000).toISOString().slice(0, 10);
    const second = JSON.parse((await runCli(['cron', '--at', `${dayAfter}T02:00:00Z`, '--json'], env)).stdout);
    expect(second).toMatchObject({ status: 'succeeded', pruned: 1 });
    expect(JSON.parse((await runCli(['list', '--json'], env)).stdout).map((r: { file: string }) => r.file)).toEqual([second.file]);
  });

  it('cancel stops a running backup cleanly', async () => {
    const { root, env, dbFile } = await demo();
    const db = new Database(dbFile);
    db.exec(`CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT);
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600000) INSERT INTO big SELECT i, printf('%0200d', i) FROM n;`);
    db.close();
    const child = startCli(['backup', 'db', '--maintenance'], env);
    let output = '';
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    let childDone = false;
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => ((childDone = true), resolve(code))));
    // Watch the job table itself: spawning `lifeboat jobs` per poll is too slow on a busy machine, and the
    // backup could end between two polls.
    const stateFile = path.join(root, 'var', 'lifeboat', 'lifeboat.db');
    let running: { id: string } | undefined;
    while (!running && !childDone) {
      if (existsSync(stateFile)) {
        const state = new Database(stateFile, { readOnly: true });
        try {
          running = state.prepare("SELECT id FROM job WHERE state = 'running'").get() as { id: string } | undefined;
        } catch {
          // the table is created by the child's first migration; try again
        } finally {
          state.close();
        }
      }
      if (!running) await new Promise((r) => setTimeout(r, 10));
    }
    expect(running, `the backup ended before it was seen running: ${output}`).toBeDefined();
    const cancel = await runCli(['cancel', running!.id], env);
    expect(cancel.stdout).toMatch(new RegExp(`job ${running!.id} cancelled`));
    expect(await exited).not.toBe(0);
    expect((await readdir(path.join(root, 'var', 'backups'))).filter((f) => f.endsWith('.partial'))).toEqual([]);
    expect(JSON.parse((await runCli(['list', '--json'], env)).stdout)).toEqual([]);
    expect(existsSync(flag(root))).toBe(false);
  });

  it('a failed job is reported to the webhook, naming the shop, the job and the error', async () => {
    const { env } = await demo();
    const received: { path: string; body: Record<string, unknown> }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: JSON.parse(body) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      const notifyEnv = { ...env, LIFEBOAT_NOTIFY_WEBHOOK: url, LIFEBOAT_SHOP_NAME: 'Demo Shop' };
      const ok = await runCli(['backup', 'db'], notifyEnv);
      expect(ok.code).toBe(0);
      expect(received).toEqual([]); // successes only with LIFEBOAT_NOTIFY_ON_SUCCESS
      const failed = await runCli(['backup', 'db'], { ...notifyEnv, LIFEBOAT_DATABASE_URL: 'sqlite:///nonexistent/dir/shop.db' });
      expect(failed.code).toBe(1);
      expect(received).toHaveLength(1);
      expect(received[0].path).toBe('/hook');
      expect(received[0].body).toMatchObject({ shop: 'Demo Shop', kind: 'backup', type: 'db', state: 'failed', jobId: expect.stringMatching(/^j[0-9a-f]{8}$/) });
      expect(String(received[0].body.error)).toMatch(/nonexistent/);
      expect(String(received[0].body.text)).toMatch(/What to do/);
      const success = await runCli(['backup', 'db', '--name', 'told'], { ...notifyEnv, LIFEBOAT_NOTIFY_ON_SUCCESS: 'true' });
      expect(success.code).toBe(0);
      expect(received[1].body).toMatchObject({ state: 'succeeded', file: expect.stringMatching(/_db_told\.sql\.gz$/) });
      const badConfig = await runCli(['backup', 'db'], { ...env, LIFEBOAT_NOTIFY_WEBHOOK: 'ftp://x' });
      expect(badConfig.code).toBe(2);
    } finally {
      server.close();
    }
  });
});
