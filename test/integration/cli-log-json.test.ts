// LIFEBOAT_LOG_FORMAT=json through the real `lifeboat` command on a real MariaDB schema: every line on
// stderr is one JSON object with pino's fields, a job's lines carry its id and type, its last one the
// duration and bytes; stdout keeps what the command reports. The default format stays as it was.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MysqlTarget } from '../../src/engines/target.js';
import { runCli } from '../helpers/cli.js';
import { jobLines, parseLogLines } from '../helpers/log-lines.js';
import { createTestSchema, withConnection } from '../helpers/mysql.js';

const JOB_ID = /^j[0-9a-f]{8}$/;

function databaseUrl(t: MysqlTarget, user = t.user, password = t.password): string {
  return `mysql://${user}${password ? `:${password}` : ''}@${t.host}:${t.port}/${t.database}`;
}

describe('LIFEBOAT_LOG_FORMAT=json', () => {
  let shop: { target: MysqlTarget; drop: () => Promise<void> };
  let env: Record<string, string>;
  let json: Record<string, string>;
  let backup: { id: string; file: string; size: number };

  beforeAll(async () => {
    shop = await createTestSchema('logjson', { asShopUser: true });
    await withConnection(shop.target, (conn) =>
      conn.query(`CREATE TABLE sales_order (id INT PRIMARY KEY, note VARCHAR(64)); INSERT INTO sales_order SELECT seq, CONCAT('order ', seq) FROM seq_1_to_5000;`),
    );
    const root = await mkdtemp(path.join(tmpdir(), 'lifeboat-logjson-'));
    env = { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: databaseUrl(shop.target) };
    json = { ...env, LIFEBOAT_LOG_FORMAT: 'json' };
  });

  afterAll(async () => {
    await shop?.drop();
  });

  it('backup db --json: the record on stdout; on stderr the job start, progress and end, each with jobId and type', async () => {
    const since = Date.now();
    const result = await runCli(['backup', 'db', '--json'], json);
    expect(result.code).toBe(0);
    backup = JSON.parse(result.stdout);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    const records = parseLogLines(result.stderr, since);
    const jobId = records[0].jobId as string;
    expect(jobId).toMatch(JOB_ID);
    const job = jobLines(records, jobId);
    expect(job.lines).toEqual(records); // nothing logged outside the job
    for (const record of records) expect(record).toMatchObject({ jobId, kind: 'backup', type: 'db' });
    expect(job.start).toMatchObject({ level: 30, msg: `job ${jobId} started: backup db`, trigger: 'cli' });
    expect(job.progress.length).toBeGreaterThan(0);
    expect(job.progress[0]).toMatchObject({ level: 30, phase: 'dump' });
    expect(job.end).toMatchObject({ level: 30, msg: `job ${jobId} succeeded: backup db: ${backup.file}`, state: 'succeeded', bytes: backup.size, file: backup.file });
    expect(job.end?.durationMs).toEqual(expect.any(Number));
    expect(job.end?.durationMs).toBeGreaterThan(0);
    expect(job.end?.durationMs).toBeLessThanOrEqual(Date.now() - since);
    expect(records.at(-1)).toBe(job.end);
  });

  it('a rollback logs its end with the bytes of the archive it restored', async () => {
    const since = Date.now();
    const result = await runCli(['rollback', backup.id, '--yes', '--json'], json);
    expect(result.code).toBe(0);
    const done = JSON.parse(result.stdout) as { job: string };
    const job = jobLines(parseLogLines(result.stderr, since), done.job);
    expect(job.start).toMatchObject({ kind: 'rollback', type: 'db', trigger: 'cli' });
    expect(job.end).toMatchObject({ level: 30, state: 'succeeded', bytes: backup.size, kind: 'rollback', type: 'db' });
  });

  it('a job that fails ends at level 50 with its error, then the command\'s one error line; no password shows', async () => {
    const password = 'not-the-password-4711';
    const since = Date.now();
    const result = await runCli(['backup', 'db'], { ...json, LIFEBOAT_DATABASE_URL: databaseUrl(shop.target, 'lb_nobody', password) });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toContain(password);
    const records = parseLogLines(result.stderr, since);
    const jobId = records[0].jobId as string;
    const job = jobLines(records, jobId);
    expect(job.end).toMatchObject({ level: 50, state: 'failed', kind: 'backup', type: 'db' });
    expect(job.end?.error).toMatch(/access denied/i);
    expect(job.end?.durationMs).toEqual(expect.any(Number));
    const last = records.at(-1);
    expect(last).toMatchObject({ level: 50 });
    expect(last?.msg).toMatch(/^lifeboat: .*access denied/i);
    expect(last).not.toHaveProperty('jobId');
  });

  it('cron: with nothing due its outcome is one line on stderr, stdout stays empty; a due run logs its job and its outcome', async () => {
    let since = Date.now();
    const idle = await runCli(['cron'], json);
    expect(idle.code).toBe(0);
    expect(idle.stdout).toBe('');
    expect(parseLogLines(idle.stderr, since)).toEqual([expect.objectContaining({ level: 30, msg: 'no schedule is set; nothing to do', status: 'no-schedule' })]);

    const set = await runCli(['schedule', 'set', '--type', 'db', '--frequency', 'daily', '--time', '02:00', '--timezone', 'UTC', '--json'], json);
    expect(set.code).toBe(0);
    expect(set.stderr).toBe('');
    const at = new Date(Date.now() + 86_400_000);
    at.setUTCHours(2, 5, 0, 0);
    since = Date.now();
    const due = await runCli(['cron', '--at', at.toISOString()], json);
    expect(due.code).toBe(0);
    expect(due.stdout).toBe('');
    const records = parseLogLines(due.stderr, since);
    const jobId = records.find((record) => record.jobId)?.jobId as string;
    const job = jobLines(records, jobId);
    expect(job.start).toMatchObject({ trigger: 'schedule', kind: 'backup', type: 'db' });
    expect(job.end).toMatchObject({ state: 'succeeded', bytes: expect.any(Number), durationMs: expect.any(Number) });
    expect(records.at(-1)).toMatchObject({ level: 30, status: 'succeeded', file: job.end?.file });
    expect(records.at(-1)?.msg).toMatch(/^scheduled backup for .* written: \d+_db_scheduled_daily\.sql\.gz$/);
    const again = await runCli(['cron', '--at', at.toISOString(), '--json'], json);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'already-ran' });
    expect(parseLogLines(again.stderr, since)).toEqual([expect.objectContaining({ status: 'already-ran' })]);
  });

  it('usage errors are JSON lines too, at level 50', async () => {
    const since = Date.now();
    const unknownOption = await runCli(['list', '--bogus'], json);
    expect(unknownOption.code).toBe(2);
    const records = parseLogLines(unknownOption.stderr, since);
    expect(records.every((record) => record.level === 50)).toBe(true);
    expect(records[0].msg).toContain("unknown option '--bogus'");
    const noBackup = await runCli(['verify', 'nosuch'], json);
    expect(noBackup.code).toBe(2);
    expect(parseLogLines(noBackup.stderr, since)).toEqual([expect.objectContaining({ level: 50, msg: expect.stringMatching(/^lifeboat: .*nosuch/) })]);
  });

  it('an unknown LIFEBOAT_LOG_FORMAT is one clear line and exit 2', async () => {
    const result = await runCli(['list'], { ...env, LIFEBOAT_LOG_FORMAT: 'yaml' });
    expect(result).toEqual({ code: 2, stdout: '', stderr: 'lifeboat: LIFEBOAT_LOG_FORMAT must be "human" (the default) or "json", not "yaml"\n' });
  });

  it('the default format prints as it always did: the result on stdout, nothing on stderr', async () => {
    const result = await runCli(['backup', 'db'], env);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^backup [0-9a-f]+ written: \d+_db\.sql\.gz \([\d.]+ KiB, 1 tables\)\n$/);
    const failed = await runCli(['verify', 'nosuch'], env);
    expect(failed.stderr).toMatch(/^lifeboat: [^\n]*nosuch[^\n]*\n$/);
  });
});
