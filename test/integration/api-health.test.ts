// What `lifeboat serve` tells anyone who asks, over real HTTP: /healthz only that it is up; /metrics
// (backup times and sizes, the shop's name) only with the bearer token when LIFEBOAT_METRICS_TOKEN or
// the config file's metricsToken is set, and as before without it.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { runCli } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';

const TOKEN = 'metrics-token-0123456789abcdef';

async function shopEnv(): Promise<Record<string, string>> {
  const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-health-')), 'shop'));
  return { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl, LIFEBOAT_SHOP_NAME: 'Health Shop' };
}

const metrics = (base: string, authorization?: string) => fetch(`${base}/metrics`, { headers: authorization ? { authorization } : {} });

describe('health and metrics', () => {
  it('/healthz says only that the server is up; /metrics stays open without a token setting', async () => {
    const env = await shopEnv();
    expect((await runCli(['backup', 'db'], env)).code).toBe(0);
    const server = await startServer(env);
    try {
      const health = await fetch(`${server.base}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      const open = await metrics(server.base);
      expect(open.status).toBe(200);
      expect(await open.text()).toMatch(/^lifeboat_backup_last_size_bytes\{shop="Health Shop",type="db"\} [1-9]\d*$/m);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('/metrics needs the bearer token of LIFEBOAT_METRICS_TOKEN: 401 without it or with another', async () => {
    const env = await shopEnv();
    const server = await startServer({ ...env, LIFEBOAT_METRICS_TOKEN: TOKEN });
    try {
      for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, TOKEN, 'Bearer ']) {
        const refused = await metrics(server.base, authorization);
        expect(refused.status, String(authorization)).toBe(401);
        expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="lifeboat metrics"');
        const body = await refused.text();
        expect(body).not.toMatch(/lifeboat_backup|Health Shop/);
        expect(JSON.parse(body)).toEqual({ error: 'send the metrics token as "Authorization: Bearer TOKEN" (LIFEBOAT_METRICS_TOKEN)' });
      }
      for (const authorization of [`Bearer ${TOKEN}`, `bearer ${TOKEN}`]) {
        const allowed = await metrics(server.base, authorization);
        expect(allowed.status).toBe(200);
        expect(await allowed.text()).toMatch(/^# TYPE lifeboat_backup_failures_total counter$/m);
      }
      expect(await (await fetch(`${server.base}/healthz`)).json()).toEqual({ status: 'ok' });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('takes the token from the config file too, and refuses a token too short to be a secret', async () => {
    const env = await shopEnv();
    const config = path.join(env.LIFEBOAT_ROOT, 'lifeboat.config.yaml');
    await writeFile(config, `metricsToken: ${TOKEN}\n`);
    const server = await startServer({ ...env, LIFEBOAT_CONFIG: config });
    try {
      expect((await metrics(server.base)).status).toBe(401);
      expect((await metrics(server.base, `Bearer ${TOKEN}`)).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    const weak = await runCli(['serve', '--port', '0'], { ...env, LIFEBOAT_METRICS_TOKEN: 'secret' });
    expect(weak.code).toBe(2);
    expect(weak.stderr).toBe('lifeboat: LIFEBOAT_METRICS_TOKEN has 6 characters; use at least 16 random ones, e.g. from: openssl rand -hex 32\n');
  });
});
