// The sign-in limits of several `lifeboat serve` sharing one state (LIFEBOAT_STATE_URL): two real
// servers on their own homes and one MySQL/MariaDB state schema count one account's failures together,
// in a table of that schema, and a success on either clears them for both.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MysqlTarget } from '../../src/engines/target.js';
import { createTestSchema, withConnection } from '../helpers/mysql.js';
import { addAccounts, call, startServer, type RunningServer } from '../helpers/server.js';

const PASSWORD = 'shared sign-in password';
const url = (target: MysqlTarget) => `mysql://${target.user}@${target.host}:${target.port}/${target.database}`;

describe('sign-in limits of several servers sharing one state', () => {
  let state: { target: MysqlTarget; drop: () => Promise<void> };
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    state = await createTestSchema('signin');
    const envs: Record<string, string>[] = [];
    for (const name of ['web1', 'web2']) {
      const root = await mkdtemp(path.join(tmpdir(), `lifeboat-signin-${name}-`));
      envs.push({ LIFEBOAT_ROOT: root, LIFEBOAT_STATE_URL: url(state.target), LIFEBOAT_TRUST_PROXY: '127.0.0.1' });
    }
    await addAccounts(envs[0], PASSWORD, { roles: { operator: 'backup' }, users: { ada: 'admin', olga: 'operator' } });
    servers.push(...(await Promise.all(envs.map((env) => startServer(env)))));
  });

  afterAll(async () => {
    for (const server of servers) expect(await server.stop()).toBe(0);
    await state?.drop();
  });

  const signIn = (server: RunningServer, address: string, username: string, password: string) =>
    call(server.base, undefined, 'POST', '/api/session', { username, password }, { headers: { 'x-forwarded-for': address } });

  const failuresIn = (address: string) =>
    withConnection(state.target, async (conn) => {
      const [rows] = await conn.query('SELECT username, COUNT(*) AS n FROM signin_failure WHERE address = ? GROUP BY username ORDER BY username', [address]);
      return (rows as { username: string; n: number | string }[]).map((row) => [row.username, Number(row.n)]);
    });

  it("counts an account's failures on both servers together", async () => {
    const address = '203.0.113.21';
    for (let i = 0; i < 10; i++) expect((await signIn(servers[i % 2], address, 'ada', `guess ${i}`)).status).toBe(401);
    for (const server of servers) {
      const limited = await signIn(server, address, 'ada', PASSWORD);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(await failuresIn(address)).toEqual([['ada', 10]]);
    expect((await signIn(servers[0], address, 'olga', PASSWORD)).status).toBe(200);
    expect((await signIn(servers[1], '198.51.100.21', 'ada', PASSWORD)).status).toBe(200);
  });

  it('counts guesses sent in parallel to both servers before checking them: at most 10 are checked', async () => {
    const address = '203.0.113.23';
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => signIn(servers[i % 2], address, 'olga', `parallel guess ${i}`)));
    const checked = answers.filter((response) => response.status === 401).length;
    expect(checked).toBeLessThanOrEqual(10);
    expect(answers.filter((response) => response.status === 429)).toHaveLength(30 - checked);
  });

  it('clears the count on both servers at a success on one', async () => {
    const address = '203.0.113.22';
    for (let i = 0; i < 9; i++) expect((await signIn(servers[0], address, 'olga', `guess ${i}`)).status).toBe(401);
    expect((await signIn(servers[1], address, 'olga', PASSWORD)).status).toBe(200);
    expect(await failuresIn(address)).toEqual([]);
    for (let i = 0; i < 10; i++) expect((await signIn(servers[0], address, 'olga', `again ${i}`)).status).toBe(401);
    expect((await signIn(servers[1], address, 'olga', PASSWORD)).status).toBe(429);
  });

  it('counts a client address longer than its column (a trusted proxy passes on what the client wrote): 401, then 429, never 500', async () => {
    const address = `203.0.113.${'9'.repeat(200)}`;
    for (let i = 0; i < 10; i++) expect((await signIn(servers[i % 2], address, 'ada', `long guess ${i}`)).status).toBe(401);
    expect((await signIn(servers[0], address, 'ada', PASSWORD)).status).toBe(429);
  });
});
