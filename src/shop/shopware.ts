// Shopware 6: DATABASE_URL (mysql://user:password@host:3306/shopware), found as Symfony's Dotenv finds
// it when Shopware boots: a variable of the process wins; else .env.local.php (composer dump-env) when
// present; else .env (or .env.dist), .env.local (unless APP_ENV is "test"), .env.$APP_ENV and
// .env.$APP_ENV.local, each overriding the ones before.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeUrlPart } from '../shared/url-parts.js';
import { parseDotenv } from './dotenv.js';
import { mysqlEndpoint } from './mysql-host.js';
import { lookup, parseReturnFile, phpString } from './php-literal.js';
import { fileError, readDatabase, ShopFileError, type ShopConfig, type ShopContext, type ShopDatabase } from './shop.js';

const ENV_FILES = ['.env', '.env.local', '.env.dist', '.env.local.php'];
const SCHEMES = new Set(['mysql:', 'mariadb:', 'mysql2:', 'pdo-mysql:']);
/** Where a DATABASE_URL of the process is said to come from. */
const ENVIRONMENT = 'the environment';

/** A Symfony project's env files beside something that says Shopware. */
export function isShopware(root: string): boolean {
  if (!ENV_FILES.some((name) => existsSync(path.join(root, name)))) return false;
  if (existsSync(path.join(root, 'vendor', 'shopware', 'core')) || existsSync(path.join(root, 'config', 'packages', 'shopware.yaml'))) return true;
  try {
    return /"shopware\/(core|platform|production)"/.test(readFileSync(path.join(root, 'composer.json'), 'utf8'));
  } catch {
    return false;
  }
}

interface Found {
  url: string;
  file: string;
  line?: number;
  /** e.g. "DATABASE_URL, line 12". */
  origin: string;
}

export function readShopware(root: string, context: ShopContext): ShopConfig {
  const dotenv = path.join(root, '.env');
  const config: ShopConfig = { platform: 'shopware', label: 'Shopware 6', file: dotenv, notes: [] };
  let found: Found | undefined;
  try {
    found = findDatabaseUrl(root, context.env);
  } catch (error) {
    if (error instanceof ShopFileError) return { ...config, error: error.message };
    throw error;
  }
  const withFile = found && found.file !== ENVIRONMENT ? { ...config, file: found.file } : config;
  return readDatabase(withFile, () => {
    if (!found) throw new ShopFileError(dotenv, undefined, 'no DATABASE_URL in .env, .env.local or the environment');
    return fromUrl(found, context);
  });
}

function findDatabaseUrl(root: string, env: Readonly<Record<string, string | undefined>>): Found | undefined {
  if (env.DATABASE_URL !== undefined && env.DATABASE_URL !== '') {
    return { url: env.DATABASE_URL, file: ENVIRONMENT, origin: 'DATABASE_URL, which Shopware takes before its .env files' };
  }
  const compiled = path.join(root, '.env.local.php');
  if (existsSync(compiled)) return fromCompiled(compiled);
  const values = new Map<string, string>();
  let found: Found | undefined;
  const load = (name: string) => {
    const file = path.join(root, name);
    if (!existsSync(file)) return;
    let parsed;
    try {
      parsed = parseDotenv(readFileSync(file, 'utf8'), { env, earlier: values });
    } catch (error) {
      throw fileError(file, error);
    }
    for (const [key, { value }] of parsed) values.set(key, value);
    const url = parsed.get('DATABASE_URL');
    if (url) found = { url: url.value, file, line: url.line, origin: `DATABASE_URL, line ${url.line}` };
  };
  load(existsSync(path.join(root, '.env')) || !existsSync(path.join(root, '.env.dist')) ? '.env' : '.env.dist');
  const appEnv = () => env.APP_ENV ?? values.get('APP_ENV') ?? 'dev';
  if (appEnv() !== 'test') load('.env.local');
  const name = appEnv();
  if (name !== 'local' && /^[A-Za-z0-9_-]+$/.test(name)) {
    load(`.env.${name}`);
    load(`.env.${name}.local`);
  }
  return found;
}

/** .env.local.php: `<?php return array('DATABASE_URL' => '...', ...);`, which composer dump-env writes. */
function fromCompiled(file: string): Found | undefined {
  try {
    const value = lookup(parseReturnFile(readFileSync(file, 'utf8')), ['DATABASE_URL']);
    const url = phpString(value);
    return url ? { url, file, origin: 'DATABASE_URL' } : undefined;
  } catch (error) {
    throw fileError(file, error);
  }
}

/** The connection in a Doctrine URL; a socket as `?unix_socket=` (or `?socket=`). */
function fromUrl(found: Found, context: ShopContext): ShopDatabase {
  const fail = (problem: string): never => {
    throw new ShopFileError(found.file, found.line, `DATABASE_URL ${problem}`);
  };
  let url: URL;
  try {
    url = new URL(found.url.trim());
  } catch {
    return fail('is not a URL like mysql://user:password@host:3306/shopware');
  }
  if (!SCHEMES.has(url.protocol)) fail(`is a "${url.protocol.replace(/:$/, '')}" URL; Lifeboat reads MySQL/MariaDB (mysql://...)`);
  const part = (text: string, what: string) => decodeUrlPart(text) ?? fail(`has a "%" in the ${what} that is not a percent-escape`);
  const database = part(url.pathname.replace(/^\//, ''), 'database name');
  const user = part(url.username, 'user name');
  if (database === '' || user === '') fail(`names no ${database === '' ? 'database' : 'user'}`);
  const socket = url.searchParams.get('unix_socket') ?? url.searchParams.get('socket') ?? undefined;
  const port = url.port === '' ? undefined : Number(url.port);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    endpoint: mysqlEndpoint(host, port, socket, context.sockets),
    user,
    password: part(url.password, 'password'),
    database,
    file: found.file,
    origin: found.origin,
  };
}
