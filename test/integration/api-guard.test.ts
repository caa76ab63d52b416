// Every route of the OpenAPI document that names a resource, over real HTTP against `lifeboat serve`:
// 401 without a session, 403 for a role that lacks the resource, and, for every state-changing
// request, 403 without the session's x-csrf-token header. The checks run before any lookup, so a
// made-up id is enough; a route added without its guard fails here.
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { OPERATIONS } from '../../src/server/routes/openapi.js';
import { runCli } from '../helpers/cli.js';
import { addAccounts, call, signIn, startServer, type Client, type RunningServer } from '../helpers/server.js';

const PASSWORD = 'guard test password';

interface Route {
  method: string;
  url: string;
  resource?: string;
}

/** The documented routes with their path parameters filled in with names that do not exist. */
function documentedRoutes(): Route[] {
  return Object.entries(OPERATIONS).flatMap(([template, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase(),
      url: template.replace('{id}', 'no-such-id').replace('{name}', 'no-such-name'),
      resource: operation.resource,
    })),
  );
}

/** Needs a session: every route with a resource, and signing out. */
const needsSession = (route: Route) => Boolean(route.resource) || (route.url === '/api/session' && route.method === 'DELETE');

/** Resources a route needs, as the OpenAPI document names them ("backup (rollback for rollback jobs)" → backup). */
const firstResource = (route: Route) => route.resource?.split(/[ ,]/)[0];

describe('every documented route checks the session, the resource and the CSRF token', () => {
  let server: RunningServer;
  let backupDir: string;
  /** Signed in, one per role: with only `admin`, and with only `backup`. */
  const clients: Record<string, Client> = {};
  const routes = documentedRoutes();

  beforeAll(async () => {
    const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-guard-')), 'shop'));
    backupDir = path.join(shop.root, 'var', 'backups');
    const env = { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl };
    await addAccounts(env, PASSWORD, { roles: { auditor: 'admin', operator: 'backup' }, users: { ada: 'auditor', olga: 'operator' } });
    // One backup, so that deleting or rolling it back without the token would show.
    expect((await runCli(['backup', 'db', '--name', 'kept'], env)).code).toBe(0);
    server = await startServer(env);
    clients.admin = await signIn(server.base, 'ada', PASSWORD);
    clients.backup = await signIn(server.base, 'olga', PASSWORD);
  }, 60_000);

  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
  });

  it('lists the routes it checks (the document is not empty)', () => {
    expect(routes.filter((r) => r.resource).length).toBeGreaterThanOrEqual(18);
  });

  it('answers 401 without a session on every guarded route', async () => {
    const answers: string[] = [];
    for (const route of routes.filter(needsSession)) {
      const response = await call(server.base, undefined, route.method, route.url, route.method === 'GET' ? undefined : {});
      answers.push(`${route.method} ${route.url} ${response.status}`);
    }
    expect(answers).toEqual(routes.filter(needsSession).map((r) => `${r.method} ${r.url} 401`));
  });

  it('answers 403 to a role that lacks the resource', async () => {
    const checked: string[] = [];
    const expected: string[] = [];
    for (const route of routes.filter((r) => r.resource)) {
      // The admin-only role lacks backup and rollback; the backup-only role lacks admin and rollback.
      const lacking = firstResource(route) === 'admin' ? clients.backup : clients.admin;
      const response = await call(server.base, lacking, route.method, route.url, route.method === 'GET' ? undefined : {});
      checked.push(`${route.method} ${route.url} ${response.status}`);
      expected.push(`${route.method} ${route.url} 403`);
      const body = (await response.json()) as { error?: string };
      expect(body.error, `${route.method} ${route.url}`).toMatch(/lacks the \w+ resource/);
    }
    expect(checked).toEqual(expected);
  });

  it('answers 403 to a state-changing request without the CSRF header, and changes nothing', async () => {
    const before = await readdir(backupDir);
    const [kept] = before.filter((file) => file.endsWith('.sql.gz'));
    const changing = routes.filter((r) => r.method !== 'GET' && needsSession(r));
    expect(changing.length).toBeGreaterThanOrEqual(10);
    for (const route of changing) {
      const owner = firstResource(route) === 'admin' || !route.resource ? clients.admin : clients.backup;
      const body = route.url === '/api/backups' ? { type: 'db' } : {};
      const url = route.url.replace('no-such-id', kept);
      const response = await call(server.base, owner, route.method, url, body, { csrf: false });
      expect(`${route.method} ${url} ${response.status}`).toBe(`${route.method} ${url} 403`);
      expect(((await response.json()) as { error: string }).error).toBe('missing or wrong x-csrf-token header');
    }
    expect(await readdir(backupDir)).toEqual(before);
    // The sessions still work: the refusals did not sign anyone out.
    expect((await call(server.base, clients.backup, 'GET', '/api/backups')).status).toBe(200);
    expect((await call(server.base, clients.admin, 'GET', '/api/audit')).status).toBe(200);
  });
});
