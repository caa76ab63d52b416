// The schedule and retention commands through the real CLI, on the SQLite demo shop.
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { StateStore } from '../../src/state/state.js';
import { currentProcess } from '../../src/shared/process-identity.js';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { runCli } from '../helpers/cli.js';

describe('schedule and prune', () => {
  let env: Record<string, string>;

  beforeAll(async () => {
    const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-sched-')), 'shop'));
    env = { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl };
  });

  it('saves a schedule and shows its next run in ISO 8601', async () => {
    const set = await runCli(['schedule', 'set', '--type', 'db', '--frequency', 'monthly', '--day-of-month', '31', '--time', '03:15', '--timezone', 'Europe/Amsterdam', '--keep-last', '2', '--json'], env);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    const shown = JSON.parse((await runCli(['schedule', 'show', '--json'], env)).stdout);
    expect(shown).toMatchObject({ enabled: true, type: 'db', frequency: 'monthly', time: '03:15:00', maintenance: false, dayOfMonth: 31, retention: { keepLast: 2 } });
    expect(shown.nextRun).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // 03:15 in Amsterdam is 02:15 UTC in winter and 01:15 in summer.
    expect(shown.nextRun).toMatch(/T0[12]:15:00\.000Z$/);
    const bad = await runCli(['schedule', 'set', '--timezone', 'Mars/Base'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('prunes by the saved policy, keeping the newest', async () => {
    const files: string[] = [];
    for (let i = 0; i < 4; i++) {
      const result = await runCli(['backup', 'db', '--json'], env);
      expect(result.code).toBe(0);
      files.push(JSON.parse(result.stdout).path);
    }
    const dry = JSON.parse((await runCli(['prune', '--dry-run', '--json'], env)).stdout);
    expect(dry.dryRun).toBe(true);
    expect(dry.remove).toHaveLength(2);
    expect(files.every((f) => existsSync(f))).toBe(true);
    const noTty = await runCli(['prune'], env);
    expect(noTty.code).toBe(2);
    const applied = await runCli(['prune', '--yes'], env);
    expect(applied.code).toBe(0);
    expect(files.map((f) => existsSync(f))).toEqual([false, false, true, true]);
    const left = JSON.parse((await runCli(['list', '--json'], env)).stdout);
    expect(left.map((r: { path: string }) => r.path)).toEqual([files[3], files[2]]);
  });

  it('never removes a backup that a running job is reading', async () => {
    const files: string[] = [];
    for (let i = 0; i < 2; i++) files.push(JSON.parse((await runCli(['backup', 'db', '--json'], env)).stdout).file);
    const records = JSON.parse((await runCli(['list', '--json'], env)).stdout) as { file: string }[];
    const oldest = records[records.length - 1].file;
    // A rollback job of this very process reads the oldest backup.
    const store = StateStore.open({ home: path.join(env.LIFEBOAT_ROOT, 'var', 'lifeboat') });
    await store.createJob({ id: 'jreading1', kind: 'rollback', type: 'db', description: `rollback ${oldest}`, trigger: 'test', state: 'running', file: oldest, process: currentProcess() });
    await store.close();
    const plan = JSON.parse((await runCli(['prune', '--keep-last', '1', '--dry-run', '--json'], env)).stdout);
    expect(plan.remove.map((r: { file: string }) => r.file)).not.toContain(oldest);
    expect(plan.keep).toContainEqual(expect.objectContaining({ reasons: ['protected'] }));
  });
});
