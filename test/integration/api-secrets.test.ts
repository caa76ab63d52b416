// No password reaches what the server answers or sends: its errors, job records (also ones written
// before passwords were masked), the audit log, notifications and /metrics. Against the real
// `lifeboat serve`, with the state in SQLite and in a MySQL/MariaDB schema of its own.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync as Database } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MysqlTarget } from '../../src/engines/target.js';
import { createTestSchema, withConnection } from '../helpers/mysql.js';
import { addAccounts, call, signIn, startServer, waitForJob, type Client, type RunningServer } from '../helpers/server.js';

const PASSWORD = 'secrets test password';
const DB_PASSWORD = 'S3cretPW-db';
const HOOK_PASSWORD = 'S3cretPW-hook';

/** A webhook receiver that keeps what it gets (and the Authorization header). */
async function webhookReceiver(): Promise<{ port: number; received: { authorization?: string; body: string }[]; close: () => Promise<void> }> {
  const received: { authorization?: string; body: string }[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (d: Buffer) => (body += d.toString()));
    request.on('end', () => {
      received.push({ authorization: request.headers.authorization, body });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, received, close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) };
}

const url = (target: MysqlTarget) => `mysql://${target.user}@${target.host}:${target.port}/${target.database}`;

for (const stateKind of ['sqlite', 'mysql'] as const) {
  describe(`secrets in what the server shows (${stateKind} state)`, () => {
    let server: RunningServer;
    let env: Record<string, string>;
    let admin: Client;
    let hook: Awaited<ReturnType<typeof webhookReceiver>>;
    let state: { target: MysqlTarget; drop: () => Promise<void> } | undefined;

    beforeAll(async () => {
      const root = await mkdtemp(path.join(tmpdir(), 'lifeboat-api-secrets-'));
      state = stateKind === 'mysql' ? await createTestSchema('secrets_state') : undefined;
      // A shared state needs the key that seals the targets saved on the Settings page.
      const keyFile = path.join(root, 'secrets.key');
      await writeFile(keyFile, randomBytes(32), { mode: 0o600 });
      const shared: Record<string, string> = state ? { LIFEBOAT_STATE_URL: url(state.target), LIFEBOAT_SECRET_KEY_FILE: keyFile } : {};
      // Nothing listens on port 1: every job fails with a connection error.
      env = { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: `mysql://shop:${DB_PASSWORD}@127.0.0.1:1/shop`, ...shared };
      await addAccounts(env, PASSWORD, { users: { ada: 'admin' } });
      server = await startServer(env);
      admin = await signIn(server.base, 'ada', PASSWORD);
      hook = await webhookReceiver();
    });

    /** Writes a row straight into the state database, as a version before passwords were masked did. */
    async function insertAsAnOlderVersion(sql: string, row: unknown[]): Promise<void> {
      if (state) {
        await withConnection(state.target, (conn) => conn.query(sql, row));
        return;
      }
      const db = new Database(path.join(env.LIFEBOAT_ROOT, 'var', 'lifeboat', 'lifeboat.db'));
      db.prepare(sql).run(...(row as (string | number | null)[]));
      db.close();
    }

    afterAll(async () => {
      expect(await server?.stop()).toBe(0);
      await hook?.close();
      await state?.drop();
    });

    it("sends a webhook URL's user and password as Basic authorization, and shows them nowhere", async () => {
      const webhookUrl = `http://lifeboat:${HOOK_PASSWORD}@127.0.0.1:${hook.port}/hooks/x`;
      expect((await call(server.base, admin, 'PUT', '/api/settings', { notify: { webhookUrl, onSuccess: false } })).status).toBe(200);
      const test = await call(server.base, admin, 'POST', '/api/settings/notify-test');
      const answer = await test.text();
      expect(answer).not.toContain(HOOK_PASSWORD);
      expect(JSON.parse(answer)).toEqual({ results: [{ channel: 'webhook', ok: true }] });
      expect(hook.received.at(-1)?.authorization).toBe(`Basic ${Buffer.from(`lifeboat:${HOOK_PASSWORD}`).toString('base64')}`);
      const audit = await (await call(server.base, admin, 'GET', '/api/audit')).text();
      expect(audit).toContain('notify test');
      expect(audit).not.toContain(HOOK_PASSWORD);
    });

    it('records a job failing with a connection error, and notifies, without the password', async () => {
      const started = await call(server.base, admin, 'POST', '/api/backups', { type: 'db', name: 'unreachable' });
      expect(started.status).toBe(202);
      const { job } = (await started.json()) as { job: { id: string } };
      expect(await waitForJob(server.base, admin, job.id)).toMatchObject({ state: 'failed', error: expect.stringMatching(/ECONNREFUSED/) });
      const shown = await (await call(server.base, admin, 'GET', `/api/jobs/${job.id}`)).text();
      const listed = await (await call(server.base, admin, 'GET', '/api/jobs')).text();
      const metrics = await (await fetch(`${server.base}/metrics`)).text();
      expect(metrics).toMatch(/^lifeboat_backup_failures_total\{shop="[^"]+",type="db"\} 1$/m);
      for (let i = 0; i < 50 && !hook.received.some((r) => r.body.includes(job.id)); i++) await new Promise((r) => setTimeout(r, 100));
      const notification = hook.received.find((r) => r.body.includes(job.id))?.body;
      expect(notification).toMatch(/ECONNREFUSED/);
      for (const text of [shown, listed, metrics, notification, server.stderr()]) expect(text).not.toContain(DB_PASSWORD);
    });

    it('masks a password in a job record written before passwords were masked', async () => {
      const error = `connect to mysql://shop:${DB_PASSWORD}@db.internal/shop failed`;
      const row = ['jold1', 'backup', 'db', `backup db from mysql://shop:${DB_PASSWORD}@db.internal/shop`, 'cli', 'failed', JSON.stringify([`failed: ${error}`]), '2020-01-01T00:00:00.000Z', error];
      await insertAsAnOlderVersion('INSERT INTO job (id, kind, type, description, `trigger`, state, log, created_at, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', row);
      const shown = await (await call(server.base, admin, 'GET', '/api/jobs/jold1')).text();
      expect(shown).toContain('mysql://shop:********@db.internal/shop');
      expect(shown).not.toContain(DB_PASSWORD);
    });

    it('masks a password in an audit entry written before passwords were masked', async () => {
      // What the notification test recorded when fetch refused a webhook URL with credentials.
      const detail = `webhook false webhook http://127.0.0.1:1: Request cannot be constructed from a URL that includes credentials: http://lifeboat:${HOOK_PASSWORD}@127.0.0.1:1/x`;
      await insertAsAnOlderVersion('INSERT INTO audit (at, username, action, success, detail) VALUES (?, ?, ?, ?, ?)', ['2020-01-01T00:00:00.000Z', 'ada', 'notify test', 0, detail]);
      const audit = await (await call(server.base, admin, 'GET', '/api/audit?limit=1000')).text();
      expect(audit).toContain('http://lifeboat:********@127.0.0.1:1/x');
      expect(audit).not.toContain(HOOK_PASSWORD);
    });
  });
}

describe('a malformed database URL on the server', () => {
  it('is refused with a 400 that does not repeat the password', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'lifeboat-api-secrets-url-'));
    const env = { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: `mysql://shop:${DB_PASSWORD}@127.0.0.1:99999/shop` };
    await addAccounts(env, PASSWORD, { users: { ada: 'admin' } });
    const server = await startServer(env);
    try {
      const admin = await signIn(server.base, 'ada', PASSWORD);
      const refused = await call(server.base, admin, 'POST', '/api/backups', { type: 'db' });
      expect(refused.status).toBe(400);
      const text = await refused.text();
      expect(text).toContain('LIFEBOAT_DATABASE_URL: cannot parse database URL');
      expect(text).not.toContain(DB_PASSWORD);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
