// Parsing of LIFEBOAT_DATABASE_URL into a connection target. Kept beside the engines (not in core)
// because only the engines know what a target means.
import path from 'node:path';
import { decodeUrlPart, percentEscapeAdvice } from '../shared/url-parts.js';
import { redactUrl } from '../shared/redact.js';

export interface MysqlTarget {
  kind: 'mysql';
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** Unix socket path, from `?socket=/path`. */
  socketPath?: string;
  /**
   * Writes through this target stay out of the binary log where the user may keep them out (`SET SESSION
   * sql_log_bin = 0`): a drill's scratch copy, which replicas never need. Never set for the shop itself.
   */
  unlogged?: true;
}

export interface SqliteTarget {
  kind: 'sqlite';
  /** Absolute path of the database file. */
  path: string;
}

export type DatabaseTarget = MysqlTarget | SqliteTarget;

const EXAMPLES = 'mysql://user:password@127.0.0.1:3306/shop or sqlite:///var/www/shop/var/shop.db';

export class TargetError extends Error {}

/** A user, password, database or path with a "%" that is not a percent-escape (e.g. "p%ss"). */
export class PercentEscapeError extends TargetError {}

/**
 * Parses `mysql://user:pass@host:port/db` (also `mariadb://`) and `sqlite:///abs/path.db`
 * (or `sqlite:relative/path.db`, resolved against `baseDir`).
 */
export function parseDatabaseUrl(value: string, baseDir: string): DatabaseTarget {
  const trimmed = value.trim();
  if (trimmed.startsWith('sqlite:')) {
    let rest = trimmed.slice('sqlite:'.length);
    if (rest.startsWith('//')) rest = rest.slice(2); // sqlite:///abs -> /abs ; sqlite://rel -> rel
    if (rest === '') throw new TargetError(`no file in database URL "${value}"; expected e.g. ${EXAMPLES}`);
    return { kind: 'sqlite', path: path.resolve(baseDir, decodePart(rest, 'file path')) };
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new TargetError(`cannot parse database URL "${redactUrl(value)}"; expected e.g. ${EXAMPLES}`);
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    throw new TargetError(`unsupported database URL scheme "${url.protocol}"; expected e.g. ${EXAMPLES}`);
  }
  const database = decodePart(url.pathname.replace(/^\//, ''), 'database name');
  if (database === '' || database.includes('/')) {
    throw new TargetError(`database URL "${redactUrl(value)}" names no database; expected e.g. ${EXAMPLES}`);
  }
  const port = url.port === '' ? 3306 : Number(url.port);
  const socketPath = url.searchParams.get('socket') ?? undefined;
  return {
    kind: 'mysql',
    // An IPv6 address stands in brackets in a URL ([::1]), not in what the driver takes.
    host: url.hostname === '' ? '127.0.0.1' : url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    user: decodePart(url.username, 'user name') || 'root',
    password: decodePart(url.password, 'password'),
    database,
    ...(socketPath ? { socketPath } : {}),
  };
}

/** A part of the URL, decoded; a "%" that starts no escape is a TargetError that never repeats the part. */
function decodePart(text: string, what: string): string {
  const decoded = decodeUrlPart(text);
  if (decoded === undefined) throw new PercentEscapeError(percentEscapeAdvice(what));
  return decoded;
}

/**
 * The URL again, without the password (or with `mask` in its place when there is one): safe for logs
 * and manifests. A socket stands as `?socket=`, where host and port do not matter.
 */
export function describeTarget(target: DatabaseTarget, mask?: string): string {
  if (target.kind === 'sqlite') return `sqlite://${target.path}`;
  const user = `${target.user}${mask && target.password !== '' ? `:${mask}` : ''}`;
  if (target.socketPath) return `mysql://${user}@localhost/${target.database}?socket=${target.socketPath}`;
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `mysql://${user}@${host}:${target.port}/${target.database}`;
}
