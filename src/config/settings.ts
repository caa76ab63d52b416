// Lifeboat's settings: environment variables, each also settable in a config file
// (lifeboat.config.json / .yaml / .yml in the working folder, or the file named by LIFEBOAT_CONFIG).
// The variable wins over the file. The database, when neither sets it, is the one the shop in the root
// uses (Magento's app/etc/env.php, Shopware's .env, WordPress's wp-config.php; see src/shop/).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseClusterSettings, type ClusterSettings } from './cluster.js';
import { notifySettings } from './notify.js';
import { parseStateSettings } from './state.js';
import { parseStorageSettings, type OffsiteSettings } from './storage.js';
import { UsageError } from '../shared/errors.js';
import { COMPRESSIONS, FAKE_KINDS, type CompressionName, type FakeKind } from '../shared/types.js';
import type { NotifyConfig } from './notify-config.js';
import { rememberSecret, rememberUrlSecrets } from '../shared/redact.js';
import { parseDatabaseUrl, TargetError, type DatabaseTarget, type MysqlTarget } from '../engines/target.js';
import { readShopConfig } from '../shop/detect.js';
import { databaseUrlOf, type ShopConfig } from '../shop/shop.js';

export interface Settings extends ClusterSettings {
  /** LIFEBOAT_DATABASE_URL as set, else the database of the shop's own configuration as such a URL. */
  databaseUrl?: string;
  /** The shop found in the root and what its own configuration file says (its database, table prefix). */
  shop?: ShopConfig;
  /**
   * Where each setting that was set came from; a setting not here has its default (or the shop's value).
   * `notify`: "environment" when any LIFEBOAT_NOTIFY_* variable is set (they win field by field).
   */
  origins: Partial<Record<SettingKey | 'notify', SettingOrigin>>;
  root: string;
  backupDir: string;
  home: string;
  /** Lifeboat's own state in a MySQL/MariaDB schema of its own (LIFEBOAT_STATE_URL); unset: SQLite in `home`. */
  stateTarget?: MysqlTarget;
  /**
   * Extra paths to leave out of file backups and untouched by rollbacks (LIFEBOAT_EXCLUDE, comma-separated
   * globs relative to the root; in the file also a list).
   */
  exclude: string[];
  /** LIFEBOAT_COMPRESSION: what new backups are compressed with (default gzip, as Magento's .sql.gz and .tgz). */
  compression?: CompressionName;
  /**
   * LIFEBOAT_INCREMENTAL: tree backups (System, Database and Media, code) go into the backup folder's
   * content store, deduplicated, unless a run asks for --full (default: full archives).
   */
  incremental?: boolean;
  /** The shop's name in notifications and the page (LIFEBOAT_SHOP_NAME; default: the root folder's name). */
  shopName?: string;
  /** Where failures (and optionally successes) are reported; see notifySettings. */
  notify?: NotifyConfig;
  /** Where `lifeboat serve` is mounted behind a reverse proxy (LIFEBOAT_BASE_PATH, e.g. /lifeboat; default none). */
  basePath: string;
  /**
   * Which proxies to trust for the client address and protocol (LIFEBOAT_TRUST_PROXY): "true", a hop
   * count, or comma-separated addresses/CIDRs. Default: none.
   */
  trustProxy?: boolean | number | string[];
  /** The S3-compatible second target (LIFEBOAT_STORAGE_URL, LIFEBOAT_S3_ENDPOINT, LIFEBOAT_S3_REGION). */
  storage?: OffsiteSettings;
  /** LIFEBOAT_ENCRYPTION_KEY_FILE: 32 random bytes or a passphrase; off-site copies are encrypted with it. */
  encryptionKeyFile?: string;
  /** LIFEBOAT_METRICS_TOKEN: when set, /metrics needs "Authorization: Bearer <token>". */
  metricsToken?: string;
  /**
   * LIFEBOAT_SECRET_KEY_FILE: the key that seals passwords and tokens saved from the Settings page
   * (default with the SQLite state: <home>/secrets.key; required with LIFEBOAT_STATE_URL). See src/core/stored-secrets.ts.
   */
  secretKeyFile?: string;
  /** The config file that was read, if any. */
  configFile?: string;
  /** The config file's `anonymize`: more columns for `--anonymize`, "table.column" -> kind. */
  anonymize?: Record<string, FakeKind>;
}

export const KEYS = {
  databaseUrl: 'LIFEBOAT_DATABASE_URL',
  root: 'LIFEBOAT_ROOT',
  backupDir: 'LIFEBOAT_BACKUP_DIR',
  home: 'LIFEBOAT_HOME',
  stateUrl: 'LIFEBOAT_STATE_URL',
  exclude: 'LIFEBOAT_EXCLUDE',
  compression: 'LIFEBOAT_COMPRESSION',
  incremental: 'LIFEBOAT_INCREMENTAL',
  shopName: 'LIFEBOAT_SHOP_NAME',
  basePath: 'LIFEBOAT_BASE_PATH',
  trustProxy: 'LIFEBOAT_TRUST_PROXY',
  storageUrl: 'LIFEBOAT_STORAGE_URL',
  s3Endpoint: 'LIFEBOAT_S3_ENDPOINT',
  s3Region: 'LIFEBOAT_S3_REGION',
  s3ConditionalWrites: 'LIFEBOAT_S3_CONDITIONAL_WRITES',
  s3LimitUpload: 'LIFEBOAT_S3_LIMIT_UPLOAD',
  s3LimitDownload: 'LIFEBOAT_S3_LIMIT_DOWNLOAD',
  s3LimitRequests: 'LIFEBOAT_S3_LIMIT_REQUESTS',
  encryptionKeyFile: 'LIFEBOAT_ENCRYPTION_KEY_FILE',
  secretKeyFile: 'LIFEBOAT_SECRET_KEY_FILE',
  jobLock: 'LIFEBOAT_JOB_LOCK',
  maintenanceRoots: 'LIFEBOAT_MAINTENANCE_ROOTS',
  metricsToken: 'LIFEBOAT_METRICS_TOKEN',
} as const;

type Key = keyof typeof KEYS;
export type SettingKey = Key;
export type SettingOrigin = 'environment' | 'config file';

const CONFIG_NAMES = ['lifeboat.config.json', 'lifeboat.config.yaml', 'lifeboat.config.yml'];

function findConfigFile(env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  if (env.LIFEBOAT_CONFIG) {
    const file = path.resolve(cwd, env.LIFEBOAT_CONFIG);
    if (!existsSync(file)) throw new UsageError(`LIFEBOAT_CONFIG names ${file}, which does not exist; point it at a lifeboat.config.json or .yaml file`);
    return file;
  }
  return CONFIG_NAMES.map((name) => path.join(cwd, name)).find((file) => existsSync(file));
}

interface FileSettings {
  values: Partial<Record<Key, string>>;
  /** The `notify` object, validated by notifySettings. */
  notify?: unknown;
  anonymize?: Record<string, FakeKind>;
}

/** The file's `anonymize` object: {"table.column": kind}, each kind one of FAKE_KINDS. */
function parseAnonymize(file: string, value: unknown): Record<string, FakeKind> {
  const example = '{"my_table.email": "email"}';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`config file ${file}: "anonymize" must be an object such as ${example}`);
  const columns: Record<string, FakeKind> = {};
  for (const [key, kind] of Object.entries(value as Record<string, unknown>)) {
    if (!/^[A-Za-z0-9_$]+\.[A-Za-z0-9_$]+$/.test(key)) throw new UsageError(`config file ${file}: anonymize key "${key}" must be table.column, as in ${example}`);
    if (!FAKE_KINDS.some((k) => k === kind)) throw new UsageError(`config file ${file}: anonymize "${key}" must be one of ${FAKE_KINDS.join(', ')}, not ${JSON.stringify(kind)}`);
    columns[key] = kind as FakeKind;
  }
  return columns;
}

/**
 * The YAML parser, loaded (synchronously, as settings are read) only for a YAML file: imported up front
 * it cost every command about 5 MiB of memory, config file or not.
 */
function parseYaml(text: string): unknown {
  const yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yaml.parse(text);
}

function readConfigFile(file: string): FileSettings {
  let parsed: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    parsed = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new UsageError(`cannot read config file ${file}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || parsed === undefined) return { values: {} };
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`config file ${file} must hold an object, e.g. {"databaseUrl": "mysql://root@127.0.0.1/shop"}`);
  }
  const values: Partial<Record<Key, string>> = {};
  let notify: unknown;
  let anonymize: Record<string, FakeKind> | undefined;
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (key === 'notify') {
      notify = value;
      continue;
    }
    if (key === 'anonymize') {
      anonymize = parseAnonymize(file, value);
      continue;
    }
    // Both spellings work in the file: `databaseUrl` and `LIFEBOAT_DATABASE_URL`.
    const known = (Object.keys(KEYS) as Key[]).find((k) => k === key || KEYS[k] === key);
    if (!known) throw new UsageError(`config file ${file} has an unknown setting "${key}"; known: ${[...Object.keys(KEYS), 'notify', 'anonymize'].join(', ')}`);
    if ((known === 'exclude' || known === 'maintenanceRoots') && Array.isArray(value) && value.every((v) => typeof v === 'string')) {
      values[known] = value.join(',');
      continue;
    }
    if (known === 'incremental' && typeof value === 'boolean') {
      values[known] = String(value);
      continue;
    }
    if (typeof value !== 'string' || value.trim() === '') {
      throw new UsageError(`config file ${file}: setting "${key}" must be a non-empty string`);
    }
    values[known] = value;
  }
  return { values, ...(notify !== undefined ? { notify } : {}), ...(anonymize ? { anonymize } : {}) };
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Settings {
  const configFile = findConfigFile(env, cwd);
  const file: FileSettings = configFile ? readConfigFile(configFile) : { values: {} };
  const fromFile = file.values;
  const origins: Settings['origins'] = {};
  if (Object.keys(env).some((name) => name.startsWith('LIFEBOAT_NOTIFY_') && env[name] !== undefined)) origins.notify = 'environment';
  else if (file.notify !== undefined) origins.notify = 'config file';
  const get = (key: Key): string | undefined => {
    const value = env[KEYS[key]];
    if (value !== undefined) {
      if (value.trim() === '') throw new UsageError(`${KEYS[key]} is set but empty; unset it or give it a value`);
      origins[key] = 'environment';
      return value;
    }
    if (fromFile[key] !== undefined) origins[key] = 'config file';
    return fromFile[key];
  };
  // Relative paths in the file are relative to the file; in variables, to the working folder.
  const baseDir = configFile ? path.dirname(configFile) : cwd;
  const resolvePath = (key: Key): string | undefined => {
    const value = get(key);
    if (value === undefined) return undefined;
    return path.resolve(env[KEYS[key]] !== undefined ? cwd : baseDir, value);
  };
  rememberConfiguredSecrets(env, get);
  const root = resolvePath('root') ?? cwd;
  // Read also when the database is set otherwise: its table prefix and notes are reported by `lifeboat config`.
  const shop = readShopConfig(root, { env });
  const databaseUrl = get('databaseUrl') ?? (shop?.database ? databaseUrlOf(shop.database) : undefined);
  if (shop?.database) rememberSecret(shop.database.password);
  rememberUrlSecrets(databaseUrl);
  const storage = parseStorageSettings(get('storageUrl'), get('s3Endpoint'), get('s3Region'), get('s3ConditionalWrites'), {
    upload: get('s3LimitUpload'),
    download: get('s3LimitDownload'),
    requests: get('s3LimitRequests'),
  });
  return {
    ...(databaseUrl !== undefined ? { databaseUrl } : {}),
    ...(shop ? { shop } : {}),
    origins,
    root,
    backupDir: resolvePath('backupDir') ?? path.join(root, 'var', 'backups'),
    home: resolvePath('home') ?? path.join(root, 'var', 'lifeboat'),
    ...parseStateSettings(get('stateUrl'), databaseUrl, baseDir),
    exclude: (get('exclude') ?? '')
      .split(',')
      .map((pattern) => pattern.trim())
      .filter(Boolean),
    ...parseCompression(get('compression')),
    ...parseIncremental(get('incremental')),
    ...(get('shopName') ? { shopName: get('shopName') } : {}),
    basePath: parseBasePath(get('basePath')),
    ...parseTrustProxy(get('trustProxy')),
    ...notifySettings(env, file.notify),
    ...(storage ? { storage } : {}),
    ...(get('encryptionKeyFile') ? { encryptionKeyFile: resolvePath('encryptionKeyFile') } : {}),
    ...parseMetricsToken(get('metricsToken')),
    ...(get('secretKeyFile') ? { secretKeyFile: resolvePath('secretKeyFile') } : {}),
    ...parseClusterSettings(get('jobLock'), get('maintenanceRoots'), env[KEYS.maintenanceRoots] !== undefined ? cwd : baseDir),
    ...(configFile ? { configFile } : {}),
    ...(file.anonymize ? { anonymize: file.anonymize } : {}),
  };
}

/**
 * Remembers every password and token the settings hold, before they are parsed: from now on they are
 * masked wherever they would show (see src/shared/redact.ts), also in the errors about the settings themselves.
 * (The notification targets' are remembered once they are validated: see rememberNotifySecrets.)
 */
function rememberConfiguredSecrets(env: NodeJS.ProcessEnv, get: (key: Key) => string | undefined): void {
  for (const key of ['databaseUrl', 'stateUrl', 'storageUrl', 's3Endpoint'] as const) rememberUrlSecrets(get(key));
  // The AWS SDK reads these itself; an error that quoted them would be masked too.
  rememberSecret(env.AWS_SECRET_ACCESS_KEY);
  rememberSecret(env.AWS_SESSION_TOKEN);
}

function parseBasePath(value: string | undefined): string {
  if (value === undefined) return '';
  const trimmed = value.replace(/\/+$/, '');
  if (trimmed !== '' && !/^\/[A-Za-z0-9._~/-]*$/.test(trimmed)) {
    throw new UsageError(`LIFEBOAT_BASE_PATH must be a URL path starting with "/", e.g. /lifeboat, not "${value}"`);
  }
  return trimmed;
}

function parseCompression(value: string | undefined): { compression?: CompressionName } {
  if (value === undefined) return {};
  const compression = COMPRESSIONS.find((name) => name === value);
  if (!compression) throw new UsageError(`LIFEBOAT_COMPRESSION must be ${COMPRESSIONS.map((name) => `"${name}"`).join(' or ')}, not "${value}"`);
  return { compression };
}

function parseIncremental(value: string | undefined): { incremental?: boolean } {
  if (value === undefined) return {};
  const word = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(word)) return { incremental: true };
  if (['0', 'false', 'no', 'off'].includes(word)) return { incremental: false };
  throw new UsageError(`LIFEBOAT_INCREMENTAL must be 1 or 0 (true or false), not "${value}"`);
}

/** Guessable tokens are refused: the metrics tell when backups run and how large they are. */
const MIN_METRICS_TOKEN_LENGTH = 16;

function parseMetricsToken(value: string | undefined): { metricsToken?: string } {
  if (value === undefined) return {};
  if (value.length < MIN_METRICS_TOKEN_LENGTH) {
    throw new UsageError(`LIFEBOAT_METRICS_TOKEN has ${value.length} characters; use at least ${MIN_METRICS_TOKEN_LENGTH} random ones, e.g. from: openssl rand -hex 32`);
  }
  return { metricsToken: value };
}

function parseTrustProxy(value: string | undefined): { trustProxy?: boolean | number | string[] } {
  if (value === undefined || value === 'false') return {};
  if (value === 'true') return { trustProxy: true };
  if (/^\d+$/.test(value)) return { trustProxy: Number(value) };
  const list = value.split(',').map((v) => v.trim()).filter(Boolean);
  if (!list.every((v) => /^[0-9a-fA-F:.]+(\/\d+)?$/.test(v) || ['loopback', 'linklocal', 'uniquelocal'].includes(v))) {
    throw new UsageError(`LIFEBOAT_TRUST_PROXY is "true", a hop count or comma-separated addresses, e.g. 127.0.0.1,10.0.0.0/8, not "${value}"`);
  }
  return { trustProxy: list };
}

/** The database to back up, or a usage error naming the setting (or the shop's file) and an example. */
export function requireDatabase(settings: Settings): DatabaseTarget {
  if (!settings.databaseUrl) {
    if (settings.shop?.error) throw new UsageError(settings.shop.error);
    throw new UsageError(
      `LIFEBOAT_DATABASE_URL is not set and ${settings.root} holds no shop configuration Lifeboat reads (app/etc/env.php, wp-config.php, a Shopware .env): ` +
        'set it (or "databaseUrl" in lifeboat.config.json), e.g. mysql://user:password@127.0.0.1:3306/shop or sqlite:///path/to/shop.db',
    );
  }
  try {
    return parseDatabaseUrl(settings.databaseUrl, settings.configFile ? path.dirname(settings.configFile) : process.cwd());
  } catch (error) {
    const source = settings.origins.databaseUrl || !settings.shop?.database ? 'LIFEBOAT_DATABASE_URL' : settings.shop.database.file;
    if (error instanceof TargetError) throw new UsageError(`${source}: ${error.message}`);
    throw error;
  }
}
