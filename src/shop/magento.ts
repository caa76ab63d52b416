// Magento 2's app/etc/env.php: `<?php return [...]` as the installer and bin/magento write it. The
// database is db/connection/default (host as "localhost", "127.0.0.1:3307", "db", "[::1]:3306" or a
// socket path), the table prefix db/table_prefix. Other connections (indexer, checkout, sales) are
// reported when they point elsewhere: Lifeboat backs up the default connection's database only.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { mysqlEndpoint, parsePort, splitHost } from './mysql-host.js';
import { isArray, lookup, NotLiteralError, parseReturnFile, phpString, type PhpValue } from './php-literal.js';
import { fileError, readDatabase, ShopFileError, type ShopConfig, type ShopContext, type ShopDatabase } from './shop.js';

export const MAGENTO_ENV = path.join('app', 'etc', 'env.php');

/** PDO::MYSQL_ATTR_SSL_VERIFY_SERVER_CERT, which Magento's installer writes as `1014 => false`. */
const HARMLESS_DRIVER_OPTIONS = new Set(['1014']);

export function isMagento(root: string): boolean {
  return existsSync(path.join(root, MAGENTO_ENV));
}

export function readMagento(root: string, context: ShopContext): ShopConfig {
  const file = path.join(root, MAGENTO_ENV);
  const config: ShopConfig = { platform: 'magento', label: 'Magento 2', file, notes: [] };
  let parsed: PhpValue;
  try {
    parsed = parseReturnFile(readFileSync(file, 'utf8'));
  } catch (error) {
    return { ...config, error: fileError(file, error, ', which is not how Magento writes this file').message };
  }
  const read = (keys: string[]) => valueAt(file, parsed, keys);
  const prefix = optional(() => phpString(read(['db', 'table_prefix'])));
  const withPrefix = { ...config, ...(prefix !== undefined ? { tablePrefix: prefix } : {}) };
  const result = readDatabase(withPrefix, () => connection(file, read, 'default', context));
  return { ...result, notes: [...result.notes, ...otherConnections(file, parsed, result.database, context), ...driverOptionNotes(read)] };
}

type Reader = (keys: string[]) => PhpValue | undefined;

/** A value of the file; a value that is not a plain one is an error naming its line. */
function valueAt(file: string, parsed: PhpValue, keys: string[]): PhpValue | undefined {
  try {
    return lookup(parsed, keys);
  } catch (error) {
    throw error instanceof NotLiteralError ? fileError(file, error) : error;
  }
}

/** What `read` gives, or undefined where it fails: for what is only reported. */
function optional<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function connection(file: string, read: Reader, name: string, context: ShopContext): ShopDatabase {
  const base = ['db', 'connection', name];
  const text = (key: string, required: boolean): string => {
    const keys = [...base, key];
    const value = read(keys);
    const asText = phpString(value);
    if (value !== undefined && asText === undefined) throw new ShopFileError(file, undefined, `${keys.join('/')} is an array, not a text`);
    if (required && !asText) throw new ShopFileError(file, undefined, `has no ${keys.join('/')}${read(base) === undefined ? ` (no ${base.join('/')} at all)` : ''}`);
    return asText ?? '';
  };
  const host = text('host', true);
  const parts = splitHost(host);
  let port: number | undefined;
  if (parts.port !== undefined) {
    const parsedPort = parsePort(parts.port);
    if (typeof parsedPort === 'string') throw new ShopFileError(file, undefined, `${base.join('/')}/host: ${parsedPort}`);
    port = parsedPort;
  }
  return {
    endpoint: mysqlEndpoint(parts.host, port, parts.socketPath, context.sockets),
    database: text('dbname', true),
    user: text('username', true),
    password: text('password', false),
    file,
    origin: base.join('/'),
  };
}

/** Connections besides `default` that use another database or server (Magento Commerce's split database). */
function otherConnections(file: string, parsed: PhpValue, main: ShopDatabase | undefined, context: ShopContext): string[] {
  const connections = optional(() => lookup(parsed, ['db', 'connection']));
  if (!isArray(connections) || !main) return [];
  const notes: string[] = [];
  for (const name of connections.entries.keys()) {
    if (name === 'default') continue;
    const other = optional(() => connection(file, (keys) => lookup(parsed, keys), name, context));
    if (!other) continue;
    const sameServer = other.endpoint.host === main.endpoint.host && other.endpoint.port === main.endpoint.port && other.endpoint.socketPath === main.endpoint.socketPath;
    if (sameServer && other.database === main.database) continue;
    notes.push(`db/connection/${name} uses database "${other.database}"${sameServer ? '' : ` on ${other.endpoint.socketPath ?? `${other.endpoint.host}:${other.endpoint.port}`}`}: Lifeboat backs up only the default connection's database ("${main.database}")`);
  }
  return notes;
}

function driverOptionNotes(read: Reader): string[] {
  const options = optional(() => read(['db', 'connection', 'default', 'driver_options']));
  if (!isArray(options)) return [];
  const keys = [...options.entries.keys()].filter((key) => !HARMLESS_DRIVER_OPTIONS.has(key));
  if (keys.length === 0 && options.unknownKeys.length === 0) return [];
  return ['db/connection/default/driver_options sets PDO options (TLS certificates?) that Lifeboat does not apply; if it cannot connect, set LIFEBOAT_DATABASE_URL'];
}
