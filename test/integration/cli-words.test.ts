// The command line speaks the user's words: `schedule show` says "System backup" and "Monday" for what
// `schedule set --type system` saved, with the next run's weekday in the schedule's zone; `jobs` shows
// local times as `list` does; an id prefix under 4 characters is refused saying so. On the SQLite demo shop.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { runCli } from '../helpers/cli.js';

describe('the command line in the user\'s words', () => {
  let env: Record<string, string>;

  beforeAll(async () => {
    const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-words-')), 'shop'));
    // Half an hour off UTC: a time shown in UTC cannot pass for local.
    env = { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl, TZ: 'Asia/Kolkata' };
  });

  it('shows a weekly System backup as such, with the next run on a Monday', async () => {
    const set = await runCli(['schedule', 'set', '--type', 'system', '--frequency', 'weekly', '--time', '02:30', '--timezone', 'Europe/Amsterdam', '--keep-daily', '7', '--maintenance'], env);
    expect(set.stderr).toBe('');
    const shown = (await runCli(['schedule', 'show'], env)).stdout.trimEnd().split('\n');
    expect(shown[0]).toBe('enabled: System backup, weekly on Monday at 02:30 (Europe/Amsterdam), in maintenance mode');
    expect(shown[1]).toBe('keeps after each run: 7 daily');
    expect(shown[2]).toMatch(/^next run: Monday \d{4}-\d\d-\d\d 02:30 \(Europe\/Amsterdam\)$/);
    const json = JSON.parse((await runCli(['schedule', 'show', '--json'], env)).stdout);
    expect(json).toMatchObject({ type: 'system', weekday: 1 });
    expect((await runCli(['schedule', 'set', '--disable'], env)).stdout).toMatch(/^DISABLED \(lifeboat schedule set --enable runs it\): System backup, weekly on Monday/);
  });

  it('lists jobs in local time, as list shows backups', async () => {
    const backup = JSON.parse((await runCli(['backup', 'db', '--json'], env)).stdout) as { time: number };
    const listed = (await runCli(['list'], env)).stdout.split('\n')[1];
    const jobsTable = (await runCli(['jobs'], env)).stdout.split('\n');
    expect(jobsTable[0]).toMatch(/^JOB +STARTED +STATE/);
    const started = /^j[0-9a-f]+ +(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) +succeeded/.exec(jobsTable[1])?.[1];
    const [job] = JSON.parse((await runCli(['jobs', '--json'], env)).stdout) as { startedAt: string }[];
    // The job started within a second or two of the backup's own time; both in Kolkata's time.
    const local = (ms: number) => new Date(ms + 5.5 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
    expect(started).toBe(local(Date.parse(job.startedAt)));
    expect(listed).toContain(local(backup.time * 1000));
  });

  it('says an id prefix needs 4 characters', async () => {
    const [record] = JSON.parse((await runCli(['list', '--json'], env)).stdout) as { id: string }[];
    const short = await runCli(['verify', record.id.slice(0, 2)], env);
    expect(short.stderr).toBe(`lifeboat: "${record.id.slice(0, 2)}" is too short for an id prefix: give at least 4 characters (ids starting with it: ${record.id})\n`);
    expect(short.code).toBe(2);
    expect((await runCli(['verify', record.id.slice(0, 4)], env)).code).toBe(0);
  });
});
