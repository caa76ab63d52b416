// The log module and a job's own log lines: the human format prints the line as before, the json format
// one pino-shaped object a line, with the fields of the job the line was logged within.
import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/shared/errors.js';
import { JobLog } from '../../src/core/jobs/log.js';
import { configureLog, log, logProcessWarnings, withLogFields } from '../../src/shared/log.js';

let stderr: string[];
let stdout: string[];

beforeEach(() => {
  stderr = [];
  stdout = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => stderr.push(String(chunk)) > 0);
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => stdout.push(String(chunk)) > 0);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  configureLog({});
});

const records = () => stderr.map((line) => JSON.parse(line) as Record<string, unknown>);

describe('log, human format (the default)', () => {
  it('writes the text as it is, one line on stderr; status lines on stdout; json-only events nowhere', () => {
    configureLog({});
    log.info('nothing was deleted');
    log.warning('the bucket is unreachable');
    log.error('lifeboat: no backup "x"', { jobId: 'j1' });
    log.status('info', 'lifeboat serve: listening on http://127.0.0.1:8480');
    log.event('info', 'job j1 started: backup db');
    expect(stderr).toEqual(['nothing was deleted\n', 'warning: the bucket is unreachable\n', 'lifeboat: no backup "x"\n']);
    expect(stdout).toEqual(['lifeboat serve: listening on http://127.0.0.1:8480\n']);
  });

  it('masks the password of a URL', () => {
    log.warn('cannot connect to mysql://shop:hunter2hunter2@db/shop');
    expect(stderr).toEqual(['cannot connect to mysql://shop:********@db/shop\n']);
  });
});

describe('log, LIFEBOAT_LOG_FORMAT=json', () => {
  beforeEach(() => configureLog({ LIFEBOAT_LOG_FORMAT: 'json' }));

  it("writes one object a line on stderr with pino's level numbers, time, pid, hostname and msg", () => {
    const before = Date.now();
    log.info('a');
    log.warning('b');
    log.error('c');
    log.status('info', 'listening');
    log.event('error', 'job j1 failed');
    expect(stdout).toEqual([]);
    expect(stderr.every((line) => line.endsWith('}\n') && line.indexOf('\n') === line.length - 1)).toBe(true);
    expect(records().map((r) => [r.level, r.msg])).toEqual([
      [30, 'a'],
      [40, 'warning: b'],
      [50, 'c'],
      [30, 'listening'],
      [50, 'job j1 failed'],
    ]);
    for (const record of records()) {
      expect(record).toMatchObject({ pid: process.pid, hostname: hostname() });
      expect(record.time).toBeGreaterThanOrEqual(before);
      expect(record.time).toBeLessThanOrEqual(Date.now());
      expect(Object.keys(record).slice(0, 4)).toEqual(['level', 'time', 'pid', 'hostname']);
      expect(Object.keys(record).at(-1)).toBe('msg');
    }
  });

  it("logs Node's own warnings instead of Node's plain text", async () => {
    const listeners = process.listeners('warning');
    try {
      logProcessWarnings();
      process.emitWarning('SQLite is an experimental feature', 'ExperimentalWarning');
      await new Promise((resolve) => setImmediate(resolve));
      expect(records()).toEqual([expect.objectContaining({ level: 40, msg: 'ExperimentalWarning: SQLite is an experimental feature' })]);
    } finally {
      process.removeAllListeners('warning');
      for (const listener of listeners) process.on('warning', listener);
    }
  });

  it('keeps a text of several lines on one line', () => {
    log.warn('the command failed; to undo its changes run:\n  lifeboat rollback 3 --yes');
    expect(stderr).toHaveLength(1);
    expect(records()[0].msg).toBe('the command failed; to undo its changes run:\n  lifeboat rollback 3 --yes');
  });

  it('adds the fields of withLogFields to every line logged within it, after awaits too, and only there', async () => {
    await withLogFields({ jobId: 'j0000000a', type: 'db' }, async () => {
      log.info('first');
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.warn('second', { phase: 'dump' });
    });
    log.info('outside');
    expect(records()).toMatchObject([
      { msg: 'first', jobId: 'j0000000a', type: 'db' },
      { msg: 'second', jobId: 'j0000000a', type: 'db', phase: 'dump' },
      { msg: 'outside' },
    ]);
    expect(records()[2]).not.toHaveProperty('jobId');
  });

  it('masks secrets in the text and in the fields; null stays, undefined is left out', () => {
    log.error('failed: mysql://shop:hunter2hunter2@db/shop', { error: 'mysql://shop:hunter2hunter2@db/shop', user: null, table: undefined });
    expect(stderr[0]).not.toContain('hunter2');
    expect(records()[0]).toMatchObject({ msg: 'failed: mysql://shop:********@db/shop', error: 'mysql://shop:********@db/shop', user: null });
    expect(records()[0]).not.toHaveProperty('table');
  });
});

describe('configureLog', () => {
  it('takes human (also empty or unset) and json; anything else is a usage error naming both', () => {
    expect(() => configureLog({ LIFEBOAT_LOG_FORMAT: 'human' })).not.toThrow();
    expect(() => configureLog({ LIFEBOAT_LOG_FORMAT: '' })).not.toThrow();
    expect(() => configureLog({ LIFEBOAT_LOG_FORMAT: 'pretty' })).toThrow(UsageError);
    expect(() => configureLog({ LIFEBOAT_LOG_FORMAT: 'JSON ' })).toThrow('LIFEBOAT_LOG_FORMAT must be "human" (the default) or "json", not "JSON "');
  });

  it('falls back to the human format after an unknown value, so the error itself is readable', () => {
    configureLog({ LIFEBOAT_LOG_FORMAT: 'json' });
    expect(() => configureLog({ LIFEBOAT_LOG_FORMAT: 'xml' })).toThrow();
    log.error('lifeboat: bad');
    expect(stderr).toEqual(['lifeboat: bad\n']);
  });
});

describe("a job's own lines (json only)", () => {
  beforeEach(() => configureLog({ LIFEBOAT_LOG_FORMAT: 'json' }));

  it('logs each new phase, then at most every 10 s; the end has the duration and the bytes', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const job = new JobLog('j00000001', 'backup db');
    job.start('cli');
    job.progress({ phase: 'dump', rows: 10, bytes: 100, table: 'store' });
    vi.advanceTimersByTime(3_000);
    job.progress({ phase: 'dump', rows: 20, bytes: 200 });
    vi.advanceTimersByTime(8_000);
    job.progress({ phase: 'dump', rows: 30, bytes: 300 });
    job.progress({ phase: 'verify', rows: 0, bytes: 50, totalBytes: 400 });
    vi.advanceTimersByTime(1_000);
    job.end('succeeded', { bytes: 4096, file: '1_db.sql.gz' });
    expect(records()).toMatchObject([
      { level: 30, msg: 'job j00000001 started: backup db', trigger: 'cli' },
      { level: 30, msg: 'job j00000001: dump 100 B, 10 rows (store)', phase: 'dump', bytes: 100, rows: 10, table: 'store' },
      { level: 30, phase: 'dump', bytes: 300, rows: 30 },
      { level: 30, phase: 'verify', bytes: 50, totalBytes: 400 },
      { level: 30, msg: 'job j00000001 succeeded: backup db: 1_db.sql.gz', state: 'succeeded', durationMs: 12_000, bytes: 4096, file: '1_db.sql.gz' },
    ]);
  });

  it('a failed job ends at level 50 with its error and the bytes it had got through; a cancelled one at 40', () => {
    const failed = new JobLog('j00000002', 'rollback 1_db.sql.gz');
    failed.progress({ phase: 'restore', rows: 5, bytes: 777 });
    failed.end('failed', { error: 'table x is locked' });
    new JobLog('j00000003', 'backup db').end('cancelled', { error: 'interrupted by SIGINT' });
    expect(records()).toMatchObject([
      { phase: 'restore' },
      { level: 50, msg: 'job j00000002 failed: rollback 1_db.sql.gz: table x is locked', state: 'failed', bytes: 777, error: 'table x is locked' },
      { level: 40, state: 'cancelled' },
    ]);
    expect(records()[1].durationMs).toEqual(expect.any(Number));
    expect(records()[2]).not.toHaveProperty('bytes');
  });
});
