// Several `lifeboat serve` sharing one state (LIFEBOAT_STATE_URL): two real servers on their own ports
// and homes, one MySQL/MariaDB state schema, one shop database. A user added with the CLI signs in on
// both, a session of one works on the other, a job started on one is seen (and its end too) on the other,
// a job of another host is not cancelled but named; the shop's own schema is refused as the state.
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateStore } from '../../src/state/state.js';
import { MIGRATIONS } from '../../src/state/state-mysql.js';
import type { MysqlTarget } from '../../src/engines/target.js';
import { runCli } from '../helpers/cli.js';
import { createTestSchema, withConnection } from '../helpers/mysql.js';
import { call, runCliWithStdin, signIn, startServer, waitForJob, type RunningServer } from '../helpers/server.js';

const PASSWORD = 'correct horse battery';
const url = (target: MysqlTarget) => `mysql://${target.user}@${target.host}:${target.port}/${target.database}`;

describe('several lifeboat serve sharing one state', () => {
  let shop: { target: MysqlTarget; drop: () => Promise<void> };
  let state: { target: MysqlTarget; drop: () => Promise<void> };
  const envs: Record<string, string>[] = [];
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    shop = await createTestSchema('stateshop');
    state = await createTestSchema('state');
    await withConnection(shop.target, async (conn) => {
      await conn.query('CREATE TABLE product (id INT PRIMARY KEY, sku VARCHAR(20) NOT NULL); INSERT INTO product VALUES (1, "a"), (2, "b");');
    });
    for (const name of ['web1', 'web2']) {
      const root = await mkdtemp(path.join(tmpdir(), `lifeboat-shared-${name}-`));
      envs.push({ LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: url(shop.target), LIFEBOAT_STATE_URL: url(state.target) });
    }
  });

  afterAll(async () => {
    for (const server of servers) expect(await server.stop()).toBe(0);
    await shop?.drop();
    await state?.drop();
  });

  it('starts both servers at once on a fresh schema, which is made once', async () => {
    servers.push(...(await Promise.all(envs.map((env) => startServer(env)))));
    // No user yet: each prints its own one-time setup link (the token is per process).
    expect(servers.every((server) => server.setupToken !== undefined)).toBe(true);
    await withConnection(state.target, async (conn) => {
      const [rows] = await conn.query('SELECT version FROM lifeboat_schema');
      expect(rows).toEqual([{ version: MIGRATIONS.length }]);
    });
  });

  it('signs a user added with the CLI in on both, and a session of one works on the other', async () => {
    const added = await runCliWithStdin(['user', 'add', 'ada', '--role', 'admin', '--password-stdin'], envs[0], `${PASSWORD}\n`);
    expect([added.code, added.stderr]).toEqual([0, '']);
    const listed = await runCli(['user', 'list', '--json'], envs[1]);
    expect(JSON.parse(listed.stdout).map((u: { username: string }) => u.username)).toEqual(['ada']);
    const [one, two] = await Promise.all(servers.map((server) => signIn(server.base, 'ada', PASSWORD)));
    expect(one.cookie).not.toBe(two.cookie);
    const onOther = await call(servers[1].base, one, 'GET', '/api/session');
    expect(onOther.status).toBe(200);
    expect(((await onOther.json()) as { user: { username: string } }).user.username).toBe('ada');
    // Signing out on one server ends the session on both.
    expect((await call(servers[1].base, two, 'DELETE', '/api/session')).status).toBe(204);
    expect((await call(servers[0].base, two, 'GET', '/api/session')).status).toBe(401);
  });

  it('shows a job started on one server on the other, to its end', async () => {
    const client = await signIn(servers[0].base, 'ada', PASSWORD);
    const started = await call(servers[0].base, client, 'POST', '/api/backups', { type: 'db', name: 'from web1' });
    expect(started.status).toBe(202);
    const { job } = (await started.json()) as { job: { id: string; host: string } };
    const seen = (await (await call(servers[1].base, client, 'GET', '/api/jobs')).json()) as { jobs: { id: string; host: string; description: string }[] };
    expect(seen.jobs.find((j) => j.id === job.id)).toMatchObject({ description: 'backup db "from web1"', host: job.host });
    expect(await waitForJob(servers[1].base, client, job.id)).toMatchObject({ state: 'succeeded' });
    // The CLI of the other server lists it too, and the audit log of both servers is one.
    const jobs = JSON.parse((await runCli(['jobs', '--json'], envs[1])).stdout) as { id: string }[];
    expect(jobs.map((j) => j.id)).toContain(job.id);
    const audit = (await (await call(servers[1].base, client, 'GET', '/api/audit')).json()) as { entries: { action: string; success: boolean }[] };
    expect(audit.entries.filter((e) => e.action === 'sign-in' && e.success).length).toBeGreaterThanOrEqual(3);
    expect(audit.entries.some((e) => e.action === 'backup db' && e.success)).toBe(true);
  });

  it('refuses to cancel a job of another host, naming it, from the API and the CLI', async () => {
    const store = StateStore.open({ home: '/unused', stateTarget: state.target });
    await store.createJob({ id: 'jonweb9', kind: 'backup', type: 'db', description: 'backup db', trigger: 'api', state: 'running', process: { host: 'web9.example', pid: 4242 } });
    await store.close();
    const client = await signIn(servers[1].base, 'ada', PASSWORD);
    const refused = await call(servers[1].base, client, 'POST', '/api/jobs/jonweb9/cancel');
    expect(refused.status).toBe(409);
    expect(await refused.json()).toEqual({ error: 'job jonweb9 runs on host "web9.example"; cancel it there (lifeboat cancel jonweb9 on that host, or its admin page)' });
    const cli = await runCli(['cancel', 'jonweb9'], envs[0]);
    expect(cli.code).toBe(1);
    expect(cli.stderr.trim().split('\n')).toEqual(['lifeboat: job jonweb9 runs on host "web9.example"; cancel it there (lifeboat cancel jonweb9 on that host, or its admin page)']);
    // Listing jobs on this host does not reap it (its pid says nothing here); the list names each job's host.
    const table = await runCli(['jobs'], envs[0]);
    expect(table.stdout.split('\n')[0]).toMatch(/^JOB\s+HOST\s+STARTED\s+STATE/);
    expect(table.stdout).toMatch(/jonweb9\s+web9\.example\s+\S+ \S+\s+running\s+backup db/);
    expect(JSON.parse((await runCli(['jobs', 'jonweb9', '--json'], envs[0])).stdout)).toMatchObject({ state: 'running', host: 'web9.example' });
  });

  it('runs a scheduled occurrence once: the servers share the schedule and the claim of each occurrence', async () => {
    const set = await runCli(['schedule', 'set', '--type', 'db', '--frequency', 'daily', '--time', '02:00', '--timezone', 'UTC'], envs[0]);
    expect([set.code, set.stderr]).toEqual([0, '']);
    expect(JSON.parse((await runCli(['schedule', 'show', '--json'], envs[1])).stdout)).toMatchObject({ type: 'db', frequency: 'daily', time: '02:00:00' });
    const now = new Date();
    const at = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 2, 2, 0, 30)).toISOString();
    const outcomes = await Promise.all(envs.map((env) => runCli(['cron', '--at', at, '--json'], env)));
    expect(outcomes.map((o) => o.code)).toEqual([0, 0]);
    expect(outcomes.map((o) => (JSON.parse(o.stdout) as { status: string }).status).sort()).toEqual(['already-ran', 'succeeded']);
    const scheduled = [];
    // A server that never took a backup has no backup folder yet.
    for (const env of envs) scheduled.push(...(await readdir(path.join(env.LIFEBOAT_ROOT, 'var', 'backups')).catch(() => [])).filter((f) => /_db_scheduled_daily\.sql\.gz$/.test(f)));
    expect(scheduled).toHaveLength(1);
  });

  it("refuses the shop's own database as the state, saying why and what to do", async () => {
    const result = await runCli(['user', 'list'], { ...envs[0], LIFEBOAT_STATE_URL: url(shop.target) });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      `lifeboat: LIFEBOAT_STATE_URL names the shop's own database "${shop.target.database}": every backup would carry Lifeboat's users and sessions and a rollback would roll them back; ` +
        `give Lifeboat a schema of its own (CREATE DATABASE lifeboat CHARACTER SET utf8mb4; GRANT ALL ON lifeboat.* TO 'root'@'%';) and point LIFEBOAT_STATE_URL at it`,
    ]);
    const notMysql = await runCli(['user', 'list'], { ...envs[0], LIFEBOAT_STATE_URL: 'sqlite:///tmp/state.db' });
    expect(notMysql.code).toBe(2);
    expect(notMysql.stderr).toMatch(/^lifeboat: LIFEBOAT_STATE_URL must be a MySQL\/MariaDB URL/);
    // Nothing of Lifeboat's went into the shop's schema.
    await withConnection(shop.target, async (conn) => {
      const [tables] = await conn.query('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [shop.target.database]);
      expect(tables).toEqual([{ name: 'product' }]);
    });
  });
});
