// `lifeboat serve`: clears a stale maintenance flag at start-up, runs a due scheduled backup in-process,
// and serves /healthz and Prometheus /metrics.
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { StateStore } from '../../src/state/state.js';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { runCli, startCli } from '../helpers/cli.js';

describe('lifeboat serve', () => {
  it('runs the due schedule, clears a stale flag, and serves health and metrics', async () => {
    const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-serve-')), 'shop'));
    const env = { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl, LIFEBOAT_SHOP_NAME: 'serve test' };
    // A schedule saved yesterday for 00:00 UTC daily: today's occurrence is due.
    const store = StateStore.open({ home: path.join(shop.root, 'var', 'lifeboat') });
    await store.setSetting('schedule', {
      enabled: true, type: 'db', frequency: 'daily', time: '00:00:00', timezone: 'UTC', weekday: 1, dayOfMonth: 1, maintenance: false,
      savedAt: new Date(Date.now() - 48 * 3600 * 1000).toISOString(),
    });
    await store.close();
    const failed = await runCli(['backup', 'db'], { ...env, LIFEBOAT_DATABASE_URL: 'sqlite:///nonexistent/x.db' });
    expect(failed.code).toBe(1);
    const deadPid = Number(spawnSync(process.execPath, ['-e', 'console.log(process.pid)']).stdout.toString().trim());
    const flag = path.join(shop.root, 'var', '.maintenance.flag');
    await writeFile(flag, JSON.stringify({ setBy: 'lifeboat', jobId: 'jgone', pid: deadPid, host: hostname(), since: 'x' }));

    const server = startCli(['serve', '--port', '0'], env);
    let stdout = '';
    let stderr = '';
    server.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    server.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => server.on('close', resolve));
    try {
      for (let i = 0; i < 200 && !/listening on/.test(stdout); i++) await new Promise((r) => setTimeout(r, 25));
      const base = /listening on (http:\/\/[^ ]+)/.exec(stdout)?.[1];
      expect(base, stderr).toBeDefined();
      expect(stderr).toMatch(/cleared the maintenance flag left by job jgone/);
      expect(existsSync(flag)).toBe(false);
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      for (let i = 0; i < 200 && !/scheduler: scheduled backup/.test(stderr); i++) await new Promise((r) => setTimeout(r, 25));
      expect(stderr).toMatch(/scheduler: scheduled backup for \d{4}-\d\d-\d\dT00:00:00Z written: \d+_db_scheduled_daily\.sql\.gz/);
      const metrics = await fetch(`${base}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await metrics.text();
      expect(text).toMatch(/^# TYPE lifeboat_backup_last_success_timestamp_seconds gauge$/m);
      expect(text).toMatch(/^lifeboat_backup_last_success_timestamp_seconds\{shop="serve test",type="db"\} \d+(\.\d+)?$/m);
      expect(text).toMatch(/^lifeboat_backup_last_size_bytes\{shop="serve test",type="db"\} [1-9]\d*$/m);
      expect(text).toMatch(/^lifeboat_backup_failures_total\{shop="serve test",type="db"\} 1$/m);
      expect((await fetch(`${base}/nothing`)).status).toBe(404);
    } finally {
      server.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
