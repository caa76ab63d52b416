// `lifeboat serve` behind a reverse proxy: LIFEBOAT_BASE_PATH mounts everything under a path (the
// page's links and the cookie's Path follow it), LIFEBOAT_TRUST_PROXY takes the client address from
// X-Forwarded-For (so the sign-in limit counts the real client, not the proxy).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { call, runCliWithStdin, startServer } from '../helpers/server.js';

describe('serve behind a proxy', () => {
  it('honours the base path and the trusted proxy', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'lifeboat-proxy-'));
    const env = { LIFEBOAT_ROOT: root, LIFEBOAT_BASE_PATH: '/lifeboat/', LIFEBOAT_TRUST_PROXY: '127.0.0.1' };
    expect((await runCliWithStdin(['user', 'add', 'ada', '--role', 'admin', '--password-stdin'], env, 'proxy password\n')).code).toBe(0);
    const server = await startServer(env);
    try {
      expect(server.base).toMatch(/\/lifeboat$/);
      expect(server.setupToken).toBeUndefined();
      const origin = server.base.replace(/\/lifeboat$/, '');
      expect((await fetch(`${origin}/healthz`)).status).toBe(404);
      expect((await fetch(`${server.base}/healthz`)).status).toBe(200);
      const page = await fetch(`${server.base}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<base href="/lifeboat/">');
      const signedIn = await call(server.base, undefined, 'POST', '/api/session', { username: 'ada', password: 'proxy password' });
      expect(signedIn.headers.get('set-cookie')).toMatch(/Path=\/lifeboat;/);
      const from = (address: string, password: string) =>
        call(server.base, undefined, 'POST', '/api/session', { username: 'ada', password }, { headers: { 'x-forwarded-for': address } });
      for (let i = 0; i < 10; i++) expect((await from('203.0.113.5', 'wrong')).status).toBe(401);
      expect((await from('203.0.113.5', 'proxy password')).status).toBe(429);
      expect((await from('198.51.100.7', 'proxy password')).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
