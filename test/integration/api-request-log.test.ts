// `lifeboat serve` logs each request over real HTTP: method, the route's pattern (never the URL, its ids
// or query), status, response time and the signed-in user; one JSON object with LIFEBOAT_LOG_FORMAT=json,
// one short line by default. No password, cookie or token ever shows; a job started over the API logs
// its lines with its id, its end with the duration and bytes.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MysqlTarget } from '../../src/engines/target.js';
import { jobLines, parseLogLines, type LogRecord } from '../helpers/log-lines.js';
import { createTestSchema, TEST_SERVER_URL, withConnection } from '../helpers/mysql.js';
import { call, signIn, startServer, waitForJob, type Client } from '../helpers/server.js';

const PASSWORD = 'correct horse battery staple';

describe('the request log of lifeboat serve', () => {
  let schema: { target: MysqlTarget; drop: () => Promise<void> };
  let env: Record<string, string>;

  beforeAll(async () => {
    schema = await createTestSchema('reqlog');
    await withConnection(schema.target, (conn) => conn.query('CREATE TABLE product (id INT PRIMARY KEY, sku VARCHAR(20)); INSERT INTO product SELECT seq, CONCAT("sku", seq) FROM seq_1_to_500;'));
    const root = await mkdtemp(path.join(tmpdir(), 'lifeboat-reqlog-'));
    env = { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: TEST_SERVER_URL.replace(/\/[^/]*$/, `/${schema.target.database}`) };
  });

  afterAll(async () => {
    await schema?.drop();
  });

  it('json: one object a request with method, route, status, responseTime and user; the API job logs its lines; no secret shows', async () => {
    const since = Date.now();
    const server = await startServer({ ...env, LIFEBOAT_LOG_FORMAT: 'json' });
    let admin!: Client;
    let jobId!: string;
    try {
      expect(server.setupToken).toBeDefined();
      expect((await call(server.base, undefined, 'POST', '/api/setup', { token: server.setupToken, username: 'ada', password: PASSWORD })).status).toBe(201);
      expect((await call(server.base, undefined, 'POST', '/api/session', { username: 'ada', password: 'wrong password 1' })).status).toBe(401);
      admin = await signIn(server.base, 'ada', PASSWORD);
      expect((await call(server.base, admin, 'GET', '/api/backups?token=query-secret-123')).status).toBe(200);
      expect((await call(server.base, admin, 'GET', '/api/jobs/jffffffff')).status).toBe(404);
      expect((await call(server.base, undefined, 'GET', '/api/jobs')).status).toBe(401);
      expect((await call(server.base, undefined, 'GET', '/no/such/place?password=query-secret-456')).status).toBe(404);
      expect((await call(server.base, undefined, 'GET', '/healthz')).status).toBe(200);
      const started = await call(server.base, admin, 'POST', '/api/backups', { type: 'db', name: 'logged' });
      expect(started.status).toBe(202);
      jobId = ((await started.json()) as { job: { id: string } }).job.id;
      expect((await waitForJob(server.base, admin, jobId)).state).toBe('succeeded');
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(server.stdout()).toBe('');
    const stderr = server.stderr();
    const records = parseLogLines(stderr, since);

    const requests = records.filter((record) => record.route !== undefined);
    const seen = (method: string, route: string, status: number) => requests.find((r) => r.method === method && r.route === route && r.status === status);
    expect(seen('POST', '/api/setup', 201)).toMatchObject({ level: 30, user: null });
    expect(seen('POST', '/api/session', 401)).toMatchObject({ level: 30, user: null, msg: expect.stringMatching(/^POST \/api\/session 401 [\d.]+ms -$/) });
    expect(seen('POST', '/api/session', 200)).toMatchObject({ user: 'ada' });
    expect(seen('GET', '/api/backups', 200)).toMatchObject({ user: 'ada', msg: expect.stringMatching(/^GET \/api\/backups 200 [\d.]+ms ada$/) });
    expect(seen('GET', '/api/jobs/:id', 404)).toMatchObject({ user: 'ada' });
    expect(seen('GET', '/api/jobs', 401)).toMatchObject({ user: null });
    expect(seen('GET', '(no route)', 404)).toMatchObject({ user: null });
    expect(seen('GET', '/healthz', 200)).toMatchObject({ user: null });
    expect(seen('POST', '/api/backups', 202)).toMatchObject({ user: 'ada' });
    for (const request of requests) {
      expect(Object.keys(request).sort()).toEqual(['hostname', 'level', 'method', 'msg', 'pid', 'responseTime', 'route', 'status', 'time', 'user']);
      expect(request.responseTime).toBeGreaterThanOrEqual(0);
    }

    // Neither the password, the session cookie, the CSRF token nor anything from a query string.
    for (const secret of [PASSWORD, 'wrong password 1', admin.cookie.split('=')[1], admin.csrf, 'query-secret-123', 'query-secret-456', 'jffffffff', 'no/such']) {
      expect(stderr).not.toContain(secret);
    }
    // The one-time setup link is printed for the operator, once, as before.
    expect(records.filter((record) => record.msg.includes(server.setupToken ?? '-'))).toHaveLength(1);

    const job = jobLines(records, jobId);
    expect(job.start).toMatchObject({ level: 30, trigger: 'api', kind: 'backup', type: 'db' });
    expect(job.end).toMatchObject({ level: 30, state: 'succeeded', bytes: expect.any(Number), durationMs: expect.any(Number) });
    expect(job.end?.file).toMatch(/^\d+_db_logged\.sql\.gz$/);
    expect(records.find((record: LogRecord) => record.msg.startsWith('lifeboat serve: listening on http://127.0.0.1:'))).toMatchObject({ level: 30 });
    expect(records.at(-1)).toMatchObject({ level: 30, msg: 'lifeboat serve: stopping' });
  });

  it('human (the default): one short line a request on stderr', async () => {
    const server = await startServer(env);
    try {
      expect((await call(server.base, undefined, 'GET', '/api/backups')).status).toBe(401);
      const admin = await signIn(server.base, 'ada', PASSWORD);
      expect((await call(server.base, admin, 'DELETE', '/api/backups/nosuch')).status).toBe(404);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(server.stdout()).toMatch(/^lifeboat serve: listening on http:\/\/127\.0\.0\.1:\d+ /);
    expect(server.stderr()).toMatch(/^GET \/api\/backups 401 [\d.]+ms -\nPOST \/api\/session 200 [\d.]+ms ada\nDELETE \/api\/backups\/:id 404 [\d.]+ms ada\nlifeboat serve: stopping\n$/);
  });
});
