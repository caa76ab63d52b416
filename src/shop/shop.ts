// What Lifeboat learns from a shop's own configuration file (Magento's app/etc/env.php, Shopware's .env,
// WordPress's wp-config.php): the database the shop uses and its table prefix. Read without running
// PHP; what it cannot read is reported in one line naming the file, the line and what to do.
import { UsageError } from '../shared/errors.js';
import { DotenvError } from './dotenv.js';
import type { MysqlEndpoint } from './mysql-host.js';
import { NotLiteralError, PhpSyntaxError } from './php-literal.js';

export type Platform = 'magento' | 'shopware' | 'wordpress';

export interface ShopDatabase {
  endpoint: MysqlEndpoint;
  user: string;
  password: string;
  database: string;
  /** The file it was read from (absolute). */
  file: string;
  /** Where in the file, e.g. "db/connection/default" or "DATABASE_URL, line 31". */
  origin: string;
}

export interface ShopConfig {
  platform: Platform;
  /** e.g. "Magento 2", "WooCommerce (WordPress)". */
  label: string;
  /** The configuration file read (absolute). */
  file: string;
  database?: ShopDatabase;
  /** The prefix of the shop's table names ('' when it has none); undefined when the platform has none. */
  tablePrefix?: string;
  /** Things an operator should know: other connections, how "localhost" was taken, ... */
  notes: string[];
  /** Why the database could not be read: one line naming the file, the line and what to do. */
  error?: string;
}

/** What a reader may look at besides the files: the process's variables, where PHP's default socket may be. */
export interface ShopContext {
  env: Readonly<Record<string, string | undefined>>;
  /** Default: DEFAULT_SOCKETS (mysql-host.ts). */
  sockets?: readonly string[];
}

/** The way out for whatever Lifeboat cannot read in a shop file. */
export const SET_URL_ADVICE = 'set LIFEBOAT_DATABASE_URL (e.g. mysql://user:password@host:3306/shop) instead';

/** A shop file that Lifeboat cannot take the database from. */
export class ShopFileError extends UsageError {
  constructor(file: string, line: number | undefined, problem: string, advice = SET_URL_ADVICE) {
    super(`${file}${line !== undefined ? ` line ${line}` : ''}: ${problem}; ${advice}`);
  }
}

/** A value that code gives (a call, a constant, ...): `what` says which value and what code. */
export function notPlainValue(file: string, line: number, what: string): ShopFileError {
  return new ShopFileError(file, line, `${what}, not a plain value, and Lifeboat reads this file without running PHP`);
}

/**
 * Whatever went wrong reading `file` as the one-line error: a syntax error with its line (`syntaxNote`
 * appended), a value given by code, a file that cannot be read.
 */
export function fileError(file: string, error: unknown, syntaxNote = ''): ShopFileError {
  if (error instanceof ShopFileError) return error;
  if (error instanceof NotLiteralError) return notPlainValue(file, error.notLiteral.line, `${error.path} is ${error.notLiteral.what}`);
  if (error instanceof PhpSyntaxError) return new ShopFileError(file, error.line, `${error.message}${syntaxNote}`);
  if (error instanceof DotenvError) return new ShopFileError(file, error.line, `${error.message} (read as Symfony's Dotenv reads it)`);
  if ((error as NodeJS.ErrnoException).code === 'EACCES') {
    return new ShopFileError(file, undefined, 'cannot be read: permission denied', `run Lifeboat as the user the shop runs as, or ${SET_URL_ADVICE}`);
  }
  return new ShopFileError(file, undefined, `cannot be read (${(error as Error).message})`);
}

/**
 * A configuration's database as a LIFEBOAT_DATABASE_URL (parts percent-encoded, a socket as
 * `?socket=`), so it takes the same road as one that was set.
 */
export function databaseUrlOf(db: ShopDatabase): string {
  const user = encodeURIComponent(db.user);
  const password = db.password === '' ? '' : `:${encodeURIComponent(db.password)}`;
  const host = db.endpoint.host.includes(':') ? `[${db.endpoint.host}]` : db.endpoint.host;
  const socket = db.endpoint.socketPath ? `?socket=${encodeURIComponent(db.endpoint.socketPath)}` : '';
  return `mysql://${user}${password}@${host}:${db.endpoint.port}/${encodeURIComponent(db.database)}${socket}`;
}

/** Runs `read`; a UsageError it throws becomes the configuration's error (commands that need no database still run). */
export function readDatabase(config: ShopConfig, read: () => ShopDatabase | undefined): ShopConfig {
  try {
    const database = read();
    return database ? { ...config, database } : config;
  } catch (error) {
    if (error instanceof UsageError) return { ...config, error: error.message };
    throw error;
  }
}
