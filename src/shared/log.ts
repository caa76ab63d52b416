// Every line Lifeboat logs goes through here, to stderr (stdout is left to what a command reports).
// Human format (the default): the line as people read it. LIFEBOAT_LOG_FORMAT=json: one JSON object a
// line with pino's fields (level as pino's number, time in epoch ms, pid, hostname, msg) and the fields
// of what the line is about (a job's id and type, a request's route and status). Text passes through
// redact, in both formats: no password or token reaches a log.
import { AsyncLocalStorage } from 'node:async_hooks';
import { hostname } from 'node:os';
import { UsageError } from './errors.js';
import { redact } from './redact.js';

export type LogFormat = 'human' | 'json';

/** pino's level numbers. */
const LEVELS = { info: 30, warn: 40, error: 50 } as const;
export type LogLevel = keyof typeof LEVELS;

/** null says "none" (a request without a signed-in user); undefined leaves the field out. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

let format: LogFormat = 'human';
const bindings = new AsyncLocalStorage<LogFields>();
const host = hostname();

function parseLogFormat(value: string | undefined): LogFormat {
  if (value === undefined || value === '' || value === 'human') return 'human';
  if (value === 'json') return 'json';
  throw new UsageError(`LIFEBOAT_LOG_FORMAT must be "human" (the default) or "json", not "${value}"`);
}

/** Sets the format from LIFEBOAT_LOG_FORMAT; an unknown value is a usage error, told in the human format. */
export function configureLog(env: NodeJS.ProcessEnv): void {
  format = 'human';
  format = parseLogFormat(env.LIFEBOAT_LOG_FORMAT);
}

export function logFormat(): LogFormat {
  return format;
}

/**
 * Node's own warnings (a deprecation, an experimental module) as log lines too, in place of the plain text
 * Node prints: in the json format a line that is no JSON would break whatever reads the log.
 */
export function logProcessWarnings(): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => log.warn(`${warning.name}: ${warning.message}`));
}

/** Runs `work` with `fields` added to every line logged within it, its async continuations included (a job's id and type). */
export function withLogFields<T>(fields: LogFields, work: () => T): T {
  return bindings.run({ ...bindings.getStore(), ...fields }, work);
}

function jsonLine(level: LogLevel, text: string, fields: LogFields | undefined): string {
  const extra: LogFields = {};
  for (const [key, value] of Object.entries({ ...bindings.getStore(), ...fields })) {
    extra[key] = typeof value === 'string' ? redact(value) : value;
  }
  return `${JSON.stringify({ level: LEVELS[level], time: Date.now(), pid: process.pid, hostname: host, ...extra, msg: redact(text) })}\n`;
}

function humanLine(text: string): string {
  const line = redact(text);
  return line.endsWith('\n') ? line : `${line}\n`;
}

/** `human`: where the human format writes the line; `none` for lines only the json format has. */
function write(level: LogLevel, text: string, fields: LogFields | undefined, human: 'stderr' | 'stdout' | 'none'): void {
  if (format === 'json') process.stderr.write(jsonLine(level, text, fields));
  else if (human === 'stderr') process.stderr.write(humanLine(text));
  else if (human === 'stdout') process.stdout.write(humanLine(text));
}

export const log = {
  info: (text: string, fields?: LogFields) => write('info', text, fields, 'stderr'),
  warn: (text: string, fields?: LogFields) => write('warn', text, fields, 'stderr'),
  error: (text: string, fields?: LogFields) => write('error', text, fields, 'stderr'),
  /** A warning as Lifeboat has always printed one: "warning: " and the text. */
  warning: (text: string, fields?: LogFields) => write('warn', `warning: ${text}`, fields, 'stderr'),
  /** A line the human format prints on stdout for whoever watches a service (serve's address, cron's outcome). */
  status: (level: LogLevel, text: string, fields?: LogFields) => write(level, text, fields, 'stdout'),
  /** A line only the json format has: the human format leaves it to the command's own output (a job's start, progress and end). */
  event: (level: LogLevel, text: string, fields?: LogFields) => write(level, text, fields, 'none'),
};
