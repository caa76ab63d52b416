// Reads what a command wrote on stderr with LIFEBOAT_LOG_FORMAT=json: every line must be one JSON object
// with pino's fields (a line that is not fails the test, naming it).
import { hostname } from 'node:os';
import { expect } from 'vitest';

export interface LogRecord {
  level: number;
  time: number;
  pid: number;
  hostname: string;
  msg: string;
  [field: string]: unknown;
}

/** Each line of `stderr` parsed, its pino fields checked: time within [since, now], one pid for all, this host. */
export function parseLogLines(stderr: string, since: number): LogRecord[] {
  expect(stderr.endsWith('\n'), 'stderr ends with a newline').toBe(true);
  const records = stderr
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      try {
        return JSON.parse(line) as LogRecord;
      } catch {
        throw new Error(`not a JSON line on stderr: ${line}`);
      }
    });
  const now = Date.now();
  for (const record of records) {
    expect([30, 40, 50]).toContain(record.level);
    expect(record.time).toBeGreaterThanOrEqual(since);
    expect(record.time).toBeLessThanOrEqual(now);
    expect(record.pid).toBe(records[0].pid);
    expect(record.hostname).toBe(hostname());
    expect(typeof record.msg).toBe('string');
  }
  return records;
}

/** The lines of one job: its start (json only), its progress, its end with durationMs and bytes. */
export function jobLines(records: LogRecord[], jobId: string) {
  const lines = records.filter((record) => record.jobId === jobId);
  const start = lines.find((record) => typeof record.msg === 'string' && record.msg.startsWith(`job ${jobId} started: `));
  const end = lines.find((record) => record.state !== undefined);
  return { lines, start, progress: lines.filter((record) => record.phase !== undefined), end };
}
