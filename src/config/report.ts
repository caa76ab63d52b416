// `lifeboat config`: the effective settings and where each came from (environment, config file, the
// shop's own file, default), with passwords and tokens masked, and what an operator should know about
// the shop's database: how "localhost" was taken, other connections, a table prefix, a Docker host name.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { KEYS, requireDatabase, type SettingKey, type Settings } from './settings.js';
import { jobLockKind } from './cluster.js';
import { MASK, redactUrl } from '../shared/redact.js';
import { UNRESOLVED_HOST_ADVICE } from '../engines/mysql/connect.js';
import { describeTarget, type DatabaseTarget } from '../engines/target.js';

export type SettingSource = 'environment' | 'config file' | 'shop file' | 'default';

export interface SettingReport {
  /** The effective value, passwords and tokens masked; null when unset. */
  value: string | null;
  source: SettingSource;
  /** The variable, the config file, the shop's file and place in it, or what the default is. */
  from: string;
}

export interface ConfigReport {
  configFile: string | null;
  shop: {
    platform: string;
    label: string;
    file: string;
    /** '' when the shop has none; null when its platform has none or it could not be read. */
    tablePrefix: string | null;
    error: string | null;
  } | null;
  /** By variable name, e.g. settings.LIFEBOAT_DATABASE_URL. */
  settings: Record<string, SettingReport>;
  notes: string[];
}

/** Defaults as an operator reads them, for what is not set. */
const DEFAULTS: Record<SettingKey, string> = {
  databaseUrl: 'none: backup and rollback need one',
  root: 'the working folder',
  backupDir: '<root>/var/backups',
  home: '<root>/var/lifeboat',
  stateUrl: 'the SQLite file <home>/lifeboat.db',
  exclude: 'none',
  compression: 'gzip',
  incremental: 'no: file backups are full archives (--incremental for one run)',
  shopName: "the root folder's name",
  basePath: 'none (/)',
  trustProxy: 'none',
  storageUrl: 'none: backups stay in the backup folder only',
  s3Endpoint: 'AWS S3',
  s3Region: 'us-east-1',
  s3ConditionalWrites: 'auto',
  s3LimitUpload: 'none',
  s3LimitDownload: 'none',
  s3LimitRequests: 'none',
  encryptionKeyFile: 'none',
  secretKeyFile: 'with the SQLite state, <home>/secrets.key',
  jobLock: 'mysql with LIFEBOAT_MAINTENANCE_ROOTS and a MySQL/MariaDB database, else file',
  maintenanceRoots: 'none: only the root',
  metricsToken: 'none: /metrics answers whoever reaches it',
};

export async function configReport(settings: Settings): Promise<ConfigReport> {
  const notes: string[] = [];
  const target = safeTarget(settings, notes);
  const values = effectiveValues(settings, target);
  const report: Record<string, SettingReport> = {};
  for (const key of Object.keys(KEYS) as SettingKey[]) report[KEYS[key]] = { value: values[key] ?? null, ...sourceOf(settings, key) };
  report['LIFEBOAT_NOTIFY_*'] = notifyReport(settings);
  const shop = settings.shop;
  if (shop) {
    notes.push(...(shop.database?.endpoint.note ? [shop.database.endpoint.note] : []), ...shop.notes);
    if (shop.error && !settings.databaseUrl) notes.push(shop.error);
    if (shop.error && settings.databaseUrl) notes.push(`the shop's file is not used (${settings.origins.databaseUrl === 'environment' ? 'LIFEBOAT_DATABASE_URL' : 'the config file'} sets the database), but it could not be read: ${shop.error}`);
    if (shop.tablePrefix) notes.push(`table prefix "${shop.tablePrefix}": backups and rollbacks take every table of the database, also those without the prefix`);
    notes.push(...differingDatabase(settings, target));
  }
  if (target?.kind === 'mysql' && !target.socketPath) notes.push(...(await unresolvedHost(target.host)));
  return {
    configFile: settings.configFile ?? null,
    shop: shop ? { platform: shop.platform, label: shop.label, file: shop.file, tablePrefix: shop.tablePrefix ?? null, error: shop.error ?? null } : null,
    settings: report,
    notes,
  };
}

function safeTarget(settings: Settings, notes: string[]): DatabaseTarget | undefined {
  if (!settings.databaseUrl) return undefined;
  try {
    return requireDatabase(settings);
  } catch (error) {
    notes.push((error as Error).message);
    return undefined;
  }
}

function effectiveValues(settings: Settings, target: DatabaseTarget | undefined): Partial<Record<SettingKey, string>> {
  const storage = settings.storage;
  const list = (items: string[] | undefined) => (items?.length ? items.join(', ') : undefined);
  return {
    databaseUrl: target ? describeTarget(target, MASK) : settings.databaseUrl && redactUrl(settings.databaseUrl),
    root: settings.root,
    backupDir: settings.backupDir,
    home: settings.home,
    stateUrl: settings.stateTarget && describeTarget(settings.stateTarget, MASK),
    exclude: list(settings.exclude),
    compression: settings.compression,
    incremental: settings.incremental === undefined ? undefined : settings.incremental ? 'yes' : 'no',
    shopName: settings.shopName ?? path.basename(settings.root),
    basePath: settings.basePath || undefined,
    trustProxy: settings.trustProxy === undefined ? undefined : Array.isArray(settings.trustProxy) ? settings.trustProxy.join(', ') : String(settings.trustProxy),
    storageUrl: storage?.url,
    s3Endpoint: storage?.endpoint && redactUrl(storage.endpoint),
    s3Region: storage?.region,
    s3ConditionalWrites: storage?.conditionalWrites,
    s3LimitUpload: perSecond(storage?.limits?.uploadBytesPerSecond, 1024, 'KiB/s'),
    s3LimitDownload: perSecond(storage?.limits?.downloadBytesPerSecond, 1024, 'KiB/s'),
    s3LimitRequests: perSecond(storage?.limits?.requestsPerSecond, 1, 'requests/s'),
    encryptionKeyFile: settings.encryptionKeyFile,
    secretKeyFile: settings.secretKeyFile ?? (settings.stateTarget ? undefined : path.join(settings.home, 'secrets.key')),
    jobLock: safely(() => jobLockKind(settings)),
    maintenanceRoots: list(settings.maintenanceRoots),
    metricsToken: settings.metricsToken && MASK,
  };
}

function perSecond(value: number | undefined, unit: number, name: string): string | undefined {
  return value === undefined ? undefined : `${value / unit} ${name}`;
}

function safely<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function sourceOf(settings: Settings, key: SettingKey): { source: SettingSource; from: string } {
  const origin = settings.origins[key];
  if (origin === 'environment') return { source: 'environment', from: KEYS[key] };
  if (origin === 'config file') return { source: 'config file', from: settings.configFile ?? 'config file' };
  const shopDatabase = settings.shop?.database;
  if (key === 'databaseUrl' && shopDatabase) return { source: 'shop file', from: `${shopDatabase.file} (${shopDatabase.origin})` };
  if (key === 'databaseUrl' && settings.shop?.error) return { source: 'default', from: `none: ${settings.shop.file} could not be read (see the notes)` };
  return { source: 'default', from: DEFAULTS[key] };
}

/** Where notifications go, without the webhook's path or the mail server's password. */
function notifyReport(settings: Settings): SettingReport {
  const notify = settings.notify;
  const parts: string[] = [];
  if (notify?.webhookUrl) parts.push(`webhook ${new URL(notify.webhookUrl).origin}/…`);
  if (notify?.smtp) parts.push(`e-mail to ${notify.smtp.to.join(', ')} via ${new URL(notify.smtp.url).host}`);
  if (notify?.onSuccess) parts.push('also on success');
  const value = parts.join('; ') || null;
  const origin = settings.origins.notify;
  if (!value || !origin) return { value, source: 'default', from: "none here (the admin page's Settings may hold some)" };
  return { value, source: origin, from: origin === 'environment' ? 'LIFEBOAT_NOTIFY_*' : (settings.configFile ?? 'config file') };
}

/** LIFEBOAT_DATABASE_URL or the config file names another database than the shop's own file. */
function differingDatabase(settings: Settings, target: DatabaseTarget | undefined): string[] {
  const own = settings.shop?.database;
  if (!own || !settings.origins.databaseUrl || target?.kind !== 'mysql') return [];
  const same = own.database === target.database && (own.endpoint.socketPath ?? `${own.endpoint.host}:${own.endpoint.port}`) === (target.socketPath ?? `${target.host}:${target.port}`);
  if (same) return [];
  const where = own.endpoint.socketPath ? `socket ${own.endpoint.socketPath}` : `${own.endpoint.host}:${own.endpoint.port}`;
  return [`the shop's own file names database "${own.database}" on ${where}, not the one ${settings.origins.databaseUrl === 'environment' ? 'LIFEBOAT_DATABASE_URL' : 'the config file'} sets: Lifeboat uses the latter`];
}

/** A host name that does not resolve here, such as a Docker Compose service name seen from outside. */
async function unresolvedHost(host: string): Promise<string[]> {
  if (isIP(host) || host === 'localhost') return [];
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, 2000, 'timeout').unref());
  const found = await Promise.race([lookup(host).then(() => 'ok' as const, () => 'failed' as const), timeout]);
  if (found === 'ok') return [];
  return [`the database host "${host}" does not resolve here${host.includes('.') ? '' : `; ${UNRESOLVED_HOST_ADVICE}`}`];
}
