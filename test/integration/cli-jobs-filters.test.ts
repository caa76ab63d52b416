// `lifeboat jobs` through the real command on the SQLite demo shop: who started each job (the OS user of
// the command line, the schedule, nobody for jobs of earlier versions), the history's filters as the API
// has them (refused in one line, exit 2, when a value is not one it knows), and times in local time.
import { DatabaseSync as Database } from 'node:sqlite';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { runCli } from '../helpers/cli.js';

interface ListedJob {
  id: string;
  kind: string;
  state: string;
  trigger: string;
  user?: string;
  createdAt: string;
  startedAt: string;
  log: string[];
}

/** A time of the state as `lifeboat jobs` prints it under TZ=Asia/Kathmandu (UTC+05:45, no daylight saving). */
const kathmandu = (iso: string) => new Date(Date.parse(iso) + (5 * 60 + 45) * 60_000).toISOString().slice(0, 19).replace('T', ' ');

describe('lifeboat jobs: who started each job, filters and local times', () => {
  const me = `cli:${userInfo().username}`;
  let env: Record<string, string>;
  let stateFile: string;
  const jobs = async (...args: string[]) => {
    const result = await runCli(['jobs', ...args, '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as ListedJob[];
  };

  beforeAll(async () => {
    const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-cli-jobs-filters-')), 'shop'));
    env = { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl };
    stateFile = path.join(shop.root, 'var', 'lifeboat', 'lifeboat.db');
    for (const name of ['first', 'second']) expect((await runCli(['backup', 'db', '--name', name], env)).code).toBe(0);
    expect((await runCli(['backup', 'db'], { ...env, LIFEBOAT_DATABASE_URL: 'sqlite:///nonexistent/dir/shop.db' })).code).toBe(1);
    expect((await runCli(['schedule', 'set', '--type', 'db', '--frequency', 'daily', '--time', '02:00', '--timezone', 'UTC'], env)).code).toBe(0);
    const tomorrow = new Date(Date.now() + 24 * 3600 * 1000).toISOString().slice(0, 10);
    expect((await runCli(['cron', '--at', `${tomorrow}T02:30:00Z`], env)).code).toBe(0);
  }, 120_000);

  it("records the command line's OS user and the schedule as who started a job", async () => {
    expect((await jobs()).map((job) => [job.trigger, job.state, job.user])).toEqual([
      ['schedule', 'succeeded', 'schedule'],
      ['cli', 'failed', me],
      ['cli', 'succeeded', me],
      ['cli', 'succeeded', me],
    ]);
    const table = (await runCli(['jobs'], env)).stdout.split('\n');
    expect(table[0]).toMatch(/^JOB +STARTED +STATE +WHAT +NAME +BY +USER +PROGRESS \/ RESULT$/);
    expect(table[1]).toMatch(/ schedule +schedule +/);
    expect(table[2]).toMatch(new RegExp(` cli +${me} +`));
  });

  it('narrows by kind, state, trigger, user and number, as the API does', async () => {
    expect((await jobs('--kind', 'backup', '--state', 'failed')).map((job) => job.user)).toEqual([me]);
    expect((await jobs('--user', 'schedule')).map((job) => job.trigger)).toEqual(['schedule']);
    expect(await jobs('--user', me, '--state', 'succeeded')).toHaveLength(2);
    expect(await jobs('--trigger', 'cli', '--limit', '1')).toHaveLength(1);
    expect(await jobs('--kind', 'verify')).toEqual([]);
    expect((await runCli(['jobs', '--kind', 'verify'], env)).stdout.trim()).toBe('no job matches the filter');
    // Each listed job keeps its log, as before the filters.
    expect((await jobs('--limit', '1'))[0].log.join('\n')).toMatch(/started: backup db/);
  });

  it('refuses a value it does not know in one line naming the allowed ones, with exit code 2', async () => {
    const refusals: [string[], string][] = [
      [['--kind', 'backups'], 'lifeboat: --kind must be one of backup, rollback, verify, drill, restore, not "backups"'],
      [['--state', 'done'], 'lifeboat: --state must be one of queued, running, succeeded, failed, cancelled, not "done"'],
      [['--trigger', 'web'], 'lifeboat: --trigger must be one of api, cli, schedule, guard, demo, not "web"'],
      [['--limit', '0'], 'lifeboat: --limit must be a whole number from 1 to 1000, not "0"'],
      [['--limit', 'ten'], 'lifeboat: --limit must be a whole number from 1 to 1000, not "ten"'],
    ];
    for (const [args, message] of refusals) {
      const refused = await runCli(['jobs', ...args], env);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stderr.trim().split('\n')).toEqual([message]);
      expect(refused.stdout).toBe('');
    }
  });

  it('shows a job of an earlier version, which kept nobody, as "-" and finds it with --user -', async () => {
    const [oldest] = (await jobs()).slice(-1);
    const state = new Database(stateFile);
    state.prepare('UPDATE job SET started_by = NULL WHERE id = ?').run(oldest.id);
    state.close();
    expect((await jobs('--user', '-')).map((job) => [job.id, job.user])).toEqual([[oldest.id, undefined]]);
    const row = (await runCli(['jobs'], env)).stdout.split('\n').find((line) => line.startsWith(oldest.id))!;
    expect(row).toMatch(/ cli +- +/);
  });

  it('prints times in local time, the --json form keeping ISO 8601 UTC', async () => {
    const local = { ...env, TZ: 'Asia/Kathmandu' };
    const [job] = await jobs('--limit', '1');
    expect(job.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const listed = (await runCli(['jobs', '--limit', '1'], local)).stdout.split('\n')[1];
    expect(listed).toContain(` ${kathmandu(job.startedAt)} `);
    const shown = (await runCli(['jobs', job.id], local)).stdout.split('\n');
    expect(shown[0]).toMatch(new RegExp(`^job ${job.id}: backup db .* \\(schedule, by schedule\\) SUCCEEDED$`));
    expect(shown[2]).toMatch(new RegExp(`^  created ${kathmandu(job.createdAt)}, started ${kathmandu(job.startedAt)}, ended \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$`));
    const stamp = job.log[0].split(' ')[0];
    expect(shown[3]).toBe(`  ${kathmandu(stamp)} ${job.log[0].slice(stamp.length + 1)}`);
  });
});
