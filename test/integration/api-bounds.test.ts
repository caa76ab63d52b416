// Bounded input over real HTTP against `lifeboat serve` and its real state (the SQLite file): every text
// a client sends has a length limit, answered with 400 naming the field and the limit, and nothing of
// it is stored whole (the audit log and the job list stay small); the CLI refuses the same with exit 2.
// Also: a malformed session cookie is no session (401), and a request without a body may still say
// content-type: application/json.
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { runCli } from '../helpers/cli.js';
import { addAccounts, call, runCliWithStdin, signIn, startServer, waitForJob, type Client, type RunningServer } from '../helpers/server.js';

const PASSWORD = 'bounded input password';

/** The error of a refused request: its status and its one-line message. */
async function refusal(response: Response): Promise<{ status: number; error: string }> {
  const text = await response.text();
  return { status: response.status, error: (JSON.parse(text) as { error: string }).error };
}

describe('bounded input', () => {
  let server: RunningServer;
  let env: Record<string, string>;
  let backupDir: string;
  let admin: Client;

  beforeAll(async () => {
    const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-bounds-')), 'shop'));
    backupDir = path.join(shop.root, 'var', 'backups');
    env = { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl };
    await addAccounts(env, PASSWORD, { users: { ada: 'admin' } });
    server = await startServer(env);
    admin = await signIn(server.base, 'ada', PASSWORD);
  });

  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
  });

  const auditText = async () => (await call(server.base, admin, 'GET', '/api/audit?limit=1000')).text();
  const jobsText = async () => (await call(server.base, admin, 'GET', '/api/jobs')).text();

  it('refuses a 1 MB username at sign-in with 400, and the audit log does not keep it', async () => {
    const huge = 'u'.repeat(1_000_000);
    for (let i = 0; i < 5; i++) {
      const answer = await refusal(await call(server.base, undefined, 'POST', '/api/session', { username: huge, password: PASSWORD }));
      expect(answer.status).toBe(400);
      expect(answer.error).toBe('username has 1000000 characters; shorten it to at most 64');
    }
    const audit = await auditText();
    expect(audit.length).toBeLessThan(20_000);
    expect(audit).not.toContain('u'.repeat(65));
    // A username of the limit is an ordinary wrong sign-in, audited as such.
    expect((await call(server.base, undefined, 'POST', '/api/session', { username: 'u'.repeat(64), password: PASSWORD })).status).toBe(401);
    expect(await auditText()).toContain('u'.repeat(64));
  });

  it('refuses a password over 1024 characters before hashing it, at sign-in and for a rollback', async () => {
    const long = 'p'.repeat(1025);
    const signInAnswer = await refusal(await call(server.base, undefined, 'POST', '/api/session', { username: 'ada', password: long }));
    expect(signInAnswer).toEqual({ status: 400, error: 'password has 1025 characters; shorten it to at most 1024' });
    const users = await refusal(await call(server.base, admin, 'POST', '/api/users', { username: 'longpass', role: 'admin', password: long }));
    expect(users).toEqual({ status: 400, error: 'password has 1025 characters; shorten it to at most 1024' });
    const change = await refusal(await call(server.base, admin, 'PATCH', '/api/users/ada', { password: long }));
    expect(change).toEqual({ status: 400, error: 'password has 1025 characters; shorten it to at most 1024' });
    // Counted in characters, not bytes: 1024 emoji are a valid password.
    const emoji = '🔑'.repeat(1024);
    expect((await call(server.base, admin, 'POST', '/api/users', { username: 'emoji', role: 'admin', password: emoji })).status).toBe(201);
    expect((await call(server.base, undefined, 'POST', '/api/session', { username: 'emoji', password: emoji })).status).toBe(200);
  });

  it('refuses a 900 KB backup name with 400 naming the limit; no job keeps it', async () => {
    const answer = await refusal(await call(server.base, admin, 'POST', '/api/backups', { type: 'db', name: 'n'.repeat(900_000) }));
    expect(answer).toEqual({ status: 400, error: 'name has 900000 characters; shorten it to at most 50' });
    expect(await refusal(await call(server.base, admin, 'POST', '/api/backups', { type: 'db', name: 'n'.repeat(51) }))).toMatchObject({ status: 400 });
    const jobs = await jobsText();
    expect(jobs.length).toBeLessThan(20_000);
    expect(jobs).not.toContain('n'.repeat(51));
    expect(await auditText()).not.toContain('n'.repeat(51));
    // Fifty characters, as Magento allows, are taken.
    const started = await call(server.base, admin, 'POST', '/api/backups', { type: 'db', name: 'n'.repeat(50) });
    expect(started.status).toBe(202);
    const { job } = (await started.json()) as { job: { id: string } };
    expect((await waitForJob(server.base, admin, job.id)).state).toBe('succeeded');
    expect((await readdir(backupDir)).some((file) => file.endsWith(`_db_${'n'.repeat(50)}.sql.gz`))).toBe(true);
    // The password a rollback asks for again is bounded too, before any hashing.
    const rollback = await refusal(await call(server.base, admin, 'POST', `/api/backups/${(await waitForJob(server.base, admin, job.id)).backupId}/rollback`, { password: 'p'.repeat(1025) }));
    expect(rollback).toEqual({ status: 400, error: 'password has 1025 characters; shorten it to at most 1024' });
  });

  it('refuses user and role names over 64 characters, without echoing them', async () => {
    const name = 'a'.repeat(100_000);
    expect(await refusal(await call(server.base, admin, 'POST', '/api/users', { username: name, role: 'admin', password: PASSWORD }))).toEqual({
      status: 400,
      error: 'username has 100000 characters; shorten it to at most 64',
    });
    expect(await refusal(await call(server.base, admin, 'POST', '/api/users', { username: 'rolly', role: name, password: PASSWORD }))).toEqual({
      status: 400,
      error: 'role has 100000 characters; shorten it to at most 64',
    });
    expect(await refusal(await call(server.base, admin, 'PATCH', '/api/users/ada', { role: name }))).toEqual({ status: 400, error: 'role has 100000 characters; shorten it to at most 64' });
    expect(await refusal(await call(server.base, admin, 'POST', '/api/roles', { name, resources: ['backup'] }))).toEqual({
      status: 400,
      error: 'role has 100000 characters; shorten it to at most 64',
    });
    const resource = await refusal(await call(server.base, admin, 'POST', '/api/roles', { name: 'viewer', resources: [name] }));
    expect(resource.status).toBe(400);
    expect(resource.error.length).toBeLessThan(200);
    expect((await call(server.base, admin, 'POST', '/api/users', { username: 'a'.repeat(64), role: 'admin', password: PASSWORD })).status).toBe(201);
  });

  it('refuses settings fields over their limits and saves nothing', async () => {
    const before = await (await call(server.base, admin, 'GET', '/api/settings')).text();
    const webhook = await refusal(await call(server.base, admin, 'PUT', '/api/settings', { notify: { webhookUrl: `https://hooks.example.com/${'w'.repeat(900_000)}` } }));
    expect(webhook).toEqual({ status: 400, error: 'notify webhookUrl has 900026 characters; shorten it to at most 2048' });
    const smtp = { url: 'smtp://mail.example.com:587', from: `${'f'.repeat(300)}@shop.example`, to: ['ops@shop.example'] };
    expect(await refusal(await call(server.base, admin, 'PUT', '/api/settings', { notify: { smtp } }))).toEqual({
      status: 400,
      error: 'notify smtp.from has 313 characters; shorten it to at most 254',
    });
    const many = Array.from({ length: 51 }, (_, i) => `ops${i}@shop.example`);
    expect(await refusal(await call(server.base, admin, 'PUT', '/api/settings', { notify: { smtp: { ...smtp, from: 'lifeboat@shop.example', to: many } } }))).toEqual({
      status: 400,
      error: 'notify smtp.to has 51 addresses; give at most 50',
    });
    expect(await refusal(await call(server.base, admin, 'PUT', '/api/settings', { schedule: { timezone: 'Z'.repeat(1_000_000) } }))).toEqual({
      status: 400,
      error: 'schedule timezone has 1000000 characters; shorten it to at most 64',
    });
    expect(await (await call(server.base, admin, 'GET', '/api/settings')).text()).toBe(before);
  });

  it('answers 401 to a malformed session cookie', async () => {
    const answer = await refusal(await fetch(`${server.base}/api/backups`, { headers: { cookie: 'lifeboat_session=%E0%A4%A' } }));
    expect(answer).toEqual({ status: 401, error: 'sign in first' });
    expect((await fetch(`${server.base}/api/session`, { headers: { cookie: 'other=%; lifeboat_session=%E0%A4%A' } })).status).toBe(401);
  });

  it('accepts content-type: application/json without a body on routes that take none; a body that is there must be JSON', async () => {
    const backup = await runCli(['backup', 'db', '--name', 'to delete', '--json'], env);
    expect(backup.code, backup.stderr).toBe(0);
    const { id } = JSON.parse(backup.stdout) as { id: string };
    // What scripts send: the header on every call, and Content-Length: 0 for a request without a body.
    const bare = (method: string, url: string, body = '') =>
      fetch(`${server.base}${url}`, { method, headers: { 'content-type': 'application/json', cookie: admin.cookie, 'x-csrf-token': admin.csrf }, body });
    expect((await bare('DELETE', `/api/backups/${id}`)).status).toBe(204);
    expect(await refusal(await bare('POST', '/api/jobs/jnothere/cancel'))).toEqual({ status: 404, error: 'no job "jnothere"' });
    expect((await bare('POST', '/api/backups')).status).toBe(400); // no body where one is needed: the route says what to send
    const broken = await refusal(await bare('POST', '/api/backups', '{"type": "db"'));
    expect(broken.status).toBe(400);
    expect(broken.error).toMatch(/JSON/);
  });

  it('refuses the same from the command line with exit code 2', async () => {
    const name = await runCli(['backup', 'db', '--name', 'n'.repeat(51)], env);
    expect(name.code).toBe(2);
    expect(name.stderr).toBe('lifeboat: name has 51 characters; shorten it to at most 50\n');
    const guard = await runCli(['guard', '--type', 'db', '--name', 'n'.repeat(51), '--', 'true'], env);
    expect(guard.code).toBe(2);
    const user = await runCliWithStdin(['user', 'add', 'a'.repeat(65), '--role', 'admin', '--password-stdin'], env, PASSWORD);
    expect(user.code).toBe(2);
    expect(user.stderr).toBe('lifeboat: username has 65 characters; shorten it to at most 64\n');
    const password = await runCliWithStdin(['user', 'add', 'longpass', '--role', 'admin', '--password-stdin'], env, 'p'.repeat(1025));
    expect(password.code).toBe(2);
    expect(password.stderr).toBe('lifeboat: password has 1025 characters; shorten it to at most 1024\n');
    const passwd = await runCliWithStdin(['user', 'passwd', 'ada', '--password-stdin'], env, 'p'.repeat(1025));
    expect(passwd.code).toBe(2);
    const role = await runCli(['role', 'add', 'r'.repeat(65), '--resources', 'backup'], env);
    expect(role.code).toBe(2);
    expect(role.stderr).toBe('lifeboat: role has 65 characters; shorten it to at most 64\n');
  });
});
