// The web admin's HTTP API over real HTTP against `lifeboat serve`, with real sessions and a real
// MariaDB database: setup, sign-in, CSRF, roles, backups (create, list, download with Range, delete),
// rollback with the password checked again, jobs and their event stream, audit log, OpenAPI, 429.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSchema, TEST_SERVER_URL, withConnection } from '../helpers/mysql.js';
import { call, runCliWithStdin, signIn, startServer, waitForJob, type Client, type RunningServer } from '../helpers/server.js';
import type { MysqlTarget } from '../../src/engines/target.js';

const PASSWORD = 'correct horse battery';

describe('HTTP API', () => {
  let server: RunningServer;
  let schema: { target: MysqlTarget; drop: () => Promise<void> };
  let env: Record<string, string>;
  let backupDir: string;
  let admin: Client;

  beforeAll(async () => {
    schema = await createTestSchema('api');
    await withConnection(schema.target, async (conn) => {
      await conn.query('CREATE TABLE product (id INT PRIMARY KEY, sku VARCHAR(20) NOT NULL); INSERT INTO product VALUES (1, "a"), (2, "b"), (3, "c");');
    });
    const root = await mkdtemp(path.join(tmpdir(), 'lifeboat-api-'));
    backupDir = path.join(root, 'var', 'backups');
    env = { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: TEST_SERVER_URL.replace(/\/[^/]*$/, `/${schema.target.database}`) };
    server = await startServer(env);
  });

  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
    await schema?.drop();
  });

  const products = () => withConnection(schema.target, async (conn) => Number(((await conn.query('SELECT COUNT(*) AS n FROM product'))[0] as { n: number | string }[])[0].n));

  it('creates the first admin only with the one-time setup token', async () => {
    expect(server.setupToken).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(await (await call(server.base, undefined, 'GET', '/api/setup')).json()).toEqual({ needed: true });
    expect((await call(server.base, undefined, 'POST', '/api/setup', { token: 'guess', username: 'eve', password: PASSWORD })).status).toBe(403);
    const created = await call(server.base, undefined, 'POST', '/api/setup', { token: server.setupToken, username: 'ada', password: PASSWORD });
    expect(created.status).toBe(201);
    expect((await call(server.base, undefined, 'POST', '/api/setup', { token: server.setupToken, username: 'eve', password: PASSWORD })).status).toBe(403);
  });

  it('signs in with an HttpOnly SameSite=Strict cookie; 401 on a wrong password or without a session', async () => {
    expect((await call(server.base, undefined, 'POST', '/api/session', { username: 'ada', password: 'wrong password' })).status).toBe(401);
    const response = await call(server.base, undefined, 'POST', '/api/session', { username: 'ada', password: PASSWORD });
    expect(response.status).toBe(200);
    const cookie = response.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^lifeboat_session=[A-Za-z0-9_-]{40,};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const body = (await response.json()) as { csrfToken: string; user: { username: string; resources: string[] } };
    expect(body.user).toMatchObject({ username: 'ada', role: 'admin', resources: ['backup', 'rollback', 'admin'] });
    admin = { cookie: cookie.split(';')[0], csrf: body.csrfToken };
    expect((await call(server.base, undefined, 'GET', '/api/backups')).status).toBe(401);
    expect((await call(server.base, { cookie: 'lifeboat_session=forged', csrf: 'x' }, 'GET', '/api/backups')).status).toBe(401);
    expect((await call(server.base, admin, 'GET', '/api/backups')).status).toBe(200);
  });

  let backupId = '';

  it('takes a database backup as a job (403 without the CSRF header), streams its events, lists it', async () => {
    expect((await call(server.base, admin, 'POST', '/api/backups', { type: 'db', name: 'from api' }, { csrf: false })).status).toBe(403);
    expect((await call(server.base, admin, 'POST', '/api/backups', { type: 'db', name: 'x' }, { headers: { 'x-csrf-token': 'wrong' }, csrf: false })).status).toBe(403);
    expect((await call(server.base, admin, 'POST', '/api/backups', { type: 'tape' })).status).toBe(400);
    const started = await call(server.base, admin, 'POST', '/api/backups', { type: 'db', name: 'from api', maintenance: false });
    expect(started.status).toBe(202);
    const { job } = (await started.json()) as { job: { id: string; state: string; trigger: string } };
    expect(job).toMatchObject({ state: 'running', trigger: 'api' });
    const events = await (await call(server.base, admin, 'GET', `/api/jobs/${job.id}/events`)).text();
    expect(events).toMatch(/^event: job\ndata: \{/m);
    expect(events).toMatch(/event: end\ndata: \{"state":"succeeded"\}/);
    const done = await waitForJob(server.base, admin, job.id);
    expect(done.state).toBe('succeeded');
    const { backups } = (await (await call(server.base, admin, 'GET', '/api/backups')).json()) as { backups: { id: string; name: string; type: string; sha256: string }[] };
    expect(backups).toHaveLength(1);
    expect(backups[0]).toMatchObject({ id: done.backupId, name: 'from_api', type: 'db' });
    backupId = backups[0].id;
    expect((await call(server.base, admin, 'GET', '/api/jobs/jnothere')).status).toBe(404);
  });

  it('downloads the exact archive, and byte ranges of it (206, 416)', async () => {
    const { backups } = (await (await call(server.base, admin, 'GET', '/api/backups')).json()) as { backups: { id: string; file: string; sha256: string; size: number }[] };
    const record = backups[0];
    const archive = readFileSync(path.join(backupDir, record.file));
    const full = await call(server.base, admin, 'GET', `/api/backups/${backupId}/download`);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-length')).toBe(String(archive.length));
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    const bytes = Buffer.from(await full.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(record.sha256);
    expect(bytes.equals(archive)).toBe(true);
    const part = await call(server.base, admin, 'GET', `/api/backups/${backupId}/download`, undefined, { headers: { range: 'bytes=10-99' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-99/${archive.length}`);
    expect(part.headers.get('content-length')).toBe('90');
    expect(Buffer.from(await part.arrayBuffer()).equals(archive.subarray(10, 100))).toBe(true);
    const tail = await call(server.base, admin, 'GET', `/api/backups/${backupId}/download`, undefined, { headers: { range: 'bytes=-16' } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(archive.subarray(archive.length - 16))).toBe(true);
    const beyond = await call(server.base, admin, 'GET', `/api/backups/${backupId}/download`, undefined, { headers: { range: `bytes=${archive.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${archive.length}`);
    expect((await call(server.base, undefined, 'GET', `/api/backups/${backupId}/download`)).status).toBe(401);
    expect((await call(server.base, admin, 'GET', '/api/backups/nosuchbackup/download')).status).toBe(404);
  });

  it('refuses a role with rollback but not backup, and enforces resources: 403 without them', async () => {
    const refused = await call(server.base, admin, 'POST', '/api/roles', { name: 'rollbacker', resources: ['rollback'] });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toMatch(/rollback resource must also have the backup resource/);
    expect((await call(server.base, admin, 'POST', '/api/roles', { name: 'operator', resources: ['backup'] })).status).toBe(201);
    expect((await call(server.base, admin, 'POST', '/api/users', { username: 'olga', role: 'operator', password: PASSWORD })).status).toBe(201);
    // The job history says `schedule` for scheduled runs: no page user may look like it.
    const reserved = await call(server.base, admin, 'POST', '/api/users', { username: 'Schedule', role: 'operator', password: PASSWORD });
    expect(reserved.status).toBe(400);
    expect(((await reserved.json()) as { error: string }).error).toMatch(/user name "Schedule" is reserved/);
    const olga = await signIn(server.base, 'olga', PASSWORD);
    expect((await call(server.base, olga, 'GET', '/api/backups')).status).toBe(200);
    expect((await call(server.base, olga, 'POST', `/api/backups/${backupId}/rollback`, { password: PASSWORD })).status).toBe(403);
    for (const url of ['/api/users', '/api/roles', '/api/audit']) expect((await call(server.base, olga, 'GET', url)).status).toBe(403);
    expect((await call(server.base, olga, 'POST', '/api/users', { username: 'mallory', role: 'admin', password: PASSWORD })).status).toBe(403);
    expect((await call(server.base, undefined, 'GET', '/api/users')).status).toBe(401);
    const demoted = await call(server.base, admin, 'PATCH', '/api/users/ada', { role: 'operator' });
    expect(demoted.status).toBe(400);
    expect(((await demoted.json()) as { error: string }).error).toBe('"ada" is the last admin; make another user admin first');
  });

  it('rolls back only with the right password: 403 and nothing changed with a wrong one', async () => {
    await withConnection(schema.target, (conn) => conn.query('INSERT INTO product VALUES (4, "d")'));
    const jobsBefore = ((await (await call(server.base, admin, 'GET', '/api/jobs')).json()) as { jobs: unknown[] }).jobs.length;
    expect((await call(server.base, admin, 'POST', `/api/backups/${backupId}/rollback`, { password: 'not my password' })).status).toBe(403);
    expect((await call(server.base, admin, 'POST', `/api/backups/${backupId}/rollback`, { password: PASSWORD }, { csrf: false })).status).toBe(403);
    expect(await products()).toBe(4);
    expect(((await (await call(server.base, admin, 'GET', '/api/jobs')).json()) as { jobs: unknown[] }).jobs.length).toBe(jobsBefore);
    const started = await call(server.base, admin, 'POST', `/api/backups/${backupId}/rollback`, { password: PASSWORD, maintenance: true });
    expect(started.status).toBe(202);
    const { job } = (await started.json()) as { job: { id: string; kind: string } };
    expect(job.kind).toBe('rollback');
    expect((await waitForJob(server.base, admin, job.id)).state).toBe('succeeded');
    expect(await products()).toBe(3);
  });

  it('deletes a backup (204, archive gone) and records everything in the audit log', async () => {
    const { backups } = (await (await call(server.base, admin, 'GET', '/api/backups')).json()) as { backups: { id: string; file: string }[] };
    expect((await call(server.base, admin, 'DELETE', `/api/backups/${backupId}`, undefined, { csrf: false })).status).toBe(403);
    expect((await call(server.base, admin, 'DELETE', `/api/backups/${backupId}`)).status).toBe(204);
    expect(existsSync(path.join(backupDir, backups[0].file))).toBe(false);
    expect((await call(server.base, admin, 'DELETE', `/api/backups/${backupId}`)).status).toBe(404);
    const { entries } = (await (await call(server.base, admin, 'GET', '/api/audit')).json()) as { entries: { username: string; action: string; backup: string | null; success: boolean; address: string }[] };
    const seen = entries.map((e) => `${e.username} ${e.action} ${e.backup ?? '-'} ${e.success}`);
    expect(seen).toContain(`ada backup db ${backupId} true`);
    expect(seen).toContain(`ada download ${backupId} true`);
    expect(seen).toContain(`ada rollback ${backupId} false`);
    expect(seen).toContain(`ada rollback ${backupId} true`);
    expect(seen).toContain(`ada delete ${backupId} true`);
    expect(entries.every((e) => e.address === '127.0.0.1')).toBe(true);
  });

  it('documents every route in /api/openapi.json', async () => {
    const doc = (await (await call(server.base, undefined, 'GET', '/api/openapi.json')).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    const routes = Object.entries(doc.paths).flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`));
    for (const route of [
      'POST /api/session', 'GET /api/session', 'DELETE /api/session', 'GET /api/setup', 'POST /api/setup', 'GET /api/backups', 'POST /api/backups',
      'GET /api/backups/{id}/download', 'DELETE /api/backups/{id}', 'POST /api/backups/{id}/rollback', 'GET /api/jobs', 'GET /api/jobs/{id}',
      'GET /api/jobs/{id}/events', 'GET /api/users', 'POST /api/users', 'PATCH /api/users/{name}', 'DELETE /api/users/{name}', 'GET /api/roles',
      'POST /api/roles', 'DELETE /api/roles/{name}', 'GET /api/audit', 'GET /api/openapi.json',
      'POST /api/jobs/{id}/cancel', 'GET /api/settings', 'PUT /api/settings', 'POST /api/settings/notify-test',
    ]) {
      expect(routes).toContain(route);
    }
  });

  it('signs out (the cookie stops working) and answers 429 after 10 failed sign-ins', async () => {
    const olga = await signIn(server.base, 'olga', PASSWORD);
    expect((await call(server.base, olga, 'DELETE', '/api/session')).status).toBe(204);
    expect((await call(server.base, olga, 'GET', '/api/backups')).status).toBe(401);
    for (let i = 0; i < 10; i++) {
      expect((await call(server.base, undefined, 'POST', '/api/session', { username: 'olga', password: `wrong ${i}` })).status).toBe(401);
    }
    const locked = await call(server.base, undefined, 'POST', '/api/session', { username: 'olga', password: PASSWORD });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('manages users and roles from the command line', async () => {
    const add = await runCliWithStdin(['user', 'add', 'cli-user', '--role', 'operator', '--password-stdin'], env, `${PASSWORD}\n`);
    expect(add.code, add.stderr).toBe(0);
    const list = await runCliWithStdin(['user', 'list', '--json'], env, '');
    expect((JSON.parse(list.stdout) as { username: string }[]).map((u) => u.username)).toEqual(['ada', 'cli-user', 'olga']);
    const bad = await runCliWithStdin(['role', 'add', 'undo', '--resources', 'rollback'], env, '');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/must also have the backup resource/);
    expect((await runCliWithStdin(['role', 'add', 'undo', '--resources', 'backup,rollback'], env, '')).code).toBe(0);
    expect((await runCliWithStdin(['role', 'list'], env, '')).stdout).toMatch(/^undo +backup,rollback$/m);
    expect((await runCliWithStdin(['user', 'passwd', 'cli-user', '--password-stdin'], env, 'another password\n')).code).toBe(0);
    expect((await runCliWithStdin(['user', 'add', 'x', '--role', 'operator'], env, '')).code).toBe(2);
    const reserved = await runCliWithStdin(['user', 'add', 'schedule', '--role', 'operator', '--password-stdin'], env, `${PASSWORD}\n`);
    expect(reserved.code).toBe(2);
    expect(reserved.stderr.trim().split('\n')).toEqual([expect.stringMatching(/user name "schedule" is reserved.*choose another name/)]);
    expect((await runCliWithStdin(['user', 'remove', 'cli-user'], env, '')).code).toBe(0);
    expect((await runCliWithStdin(['role', 'remove', 'undo'], env, '')).code).toBe(0);
    expect((await runCliWithStdin(['user', 'remove', 'ada'], env, '')).stderr).toMatch(/last admin/);
  });
});
