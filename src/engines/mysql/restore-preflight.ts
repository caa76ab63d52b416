// Checks before a restore writes anything (before the staging schema is created), so that a restore the
// server would stop half-way is refused with one line saying what to do, instead of failing after its
// staging load has gone into the binary log (and so to every replica):
// - privileges on the shop's schema and on the helper schemas `<db>__lb_*`;
// - with the binary log on and log_bin_trust_function_creators off (the default), a user without SUPER
//   may neither create nor drop triggers, nor create functions (error 1419; procedures, views and events
//   are allowed): refused when the backup has triggers or functions (the manifest's counts tell, and its
//   owners tell functions from procedures) or the shop has triggers the swap would drop. A partial
//   restore counts the shop's triggers on its tables only (the manifest does not say which tables the
//   backup's triggers are on). A dump without a manifest is refused at its first trigger or function
//   instead, with the same advice (refusalForStatement).
// Then the caller learns where the restore will write (RestoreOptions.beforeWrite): the binary log grows
// by about the uncompressed dump, and the staging copy takes about the data's size in the data folder.
import path from 'node:path';
import { RestoreRefusedError, type RestoreFootprint, type RestoreOptions } from '../engine.js';
import type { MysqlTarget } from '../target.js';
import { formatAccount, type Account } from './definers.js';
import { quoteId } from './restore-parse.js';
import { readPrivileges, type Privileges } from './restore-privileges.js';
import { quoteString, run, text, type RawConnection } from './restore-session.js';

export interface PreflightInput {
  target: MysqlTarget;
  current: Account;
  /** The staging schema's name: the helper schemas' grants must cover it. */
  stage: string;
  /** The GRANT that gives the helper schemas, for the refusal. */
  helperGrant: string;
  /** A partial restore: only these tables. */
  tables?: Set<string>;
  options: Pick<RestoreOptions, 'objects' | 'definers' | 'totalBytes' | 'beforeWrite'>;
}

interface ServerFacts {
  binaryLog: boolean;
  /** This session writes to the binary log (a drill's sessions may keep out of it: MysqlTarget.unlogged). */
  sessionLogged: boolean;
  trustsFunctionCreators: boolean;
  /** @@log_bin_basename: the binary log files' path without their number. */
  binaryLogBase: string;
  dataDir: string;
}

/** What the shop holds now, of what the restore replaces. */
interface ShopFacts {
  triggers: number;
  views: number;
  routines: number;
  events: number;
  /** Data and index bytes of the tables the restore replaces. */
  dataBytes: number;
}

/** Privileges the restore uses on every schema it writes (RENAME TABLE needs ALTER, DROP, CREATE, INSERT). */
const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'CREATE', 'DROP', 'ALTER'];
/** The helper schemas are loaded, indexed and dropped whole: everything a dump can do. */
const HELPER_PRIVILEGES = [...TABLE_PRIVILEGES, 'UPDATE', 'INDEX', 'CREATE VIEW', 'SHOW VIEW', 'TRIGGER', 'CREATE ROUTINE', 'ALTER ROUTINE', 'EVENT'];

const LOOPBACK_HOSTS = new Set(['localhost', '::1', '[::1]']);

/** The whole check; throws RestoreRefusedError, or tells `beforeWrite` where the restore will write. */
export async function checkBeforeWriting(conn: RawConnection, input: PreflightInput): Promise<void> {
  const server = await readServerFacts(conn);
  const shop = await readShopFacts(conn, input.target.database, input.tables);
  const privileges = await readPrivileges(conn, input.current);
  if (privileges.complete) await requirePrivileges(privileges, input, shop);
  requireTrustedCreators(server, privileges, input, shop);
  await input.options.beforeWrite?.(footprintOf(server, shop, input));
}

async function readServerFacts(conn: RawConnection): Promise<ServerFacts> {
  const [row] = await run(
    conn,
    'SELECT @@log_bin AS logBin, @@SESSION.sql_log_bin AS logged, @@log_bin_trust_function_creators AS trusts, @@log_bin_basename AS base, @@datadir AS dataDir',
  );
  const on = (column: string) => ['1', 'ON'].includes(text(row ?? {}, column).toUpperCase());
  return { binaryLog: on('logBin'), sessionLogged: on('logged'), trustsFunctionCreators: on('trusts'), binaryLogBase: text(row ?? {}, 'base'), dataDir: text(row ?? {}, 'dataDir') };
}

async function readShopFacts(conn: RawConnection, shop: string, tables: Set<string> | undefined): Promise<ShopFacts> {
  const s = quoteString(shop);
  const only = (column: string) => (tables ? ` AND ${column} IN (${[...tables].map(quoteString).join(', ') || 'NULL'})` : '');
  const [row] = await run(
    conn,
    `SELECT (SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ${s}${only('EVENT_OBJECT_TABLE')}) AS triggers,
            (SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ${s}) AS views,
            (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ${s}) AS routines,
            (SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ${s}) AS events,
            (SELECT COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${s}${only('TABLE_NAME')}) AS dataBytes`,
  );
  const count = (column: string) => Number(text(row ?? {}, column) || 0);
  const partial = tables !== undefined; // a partial restore leaves views, routines and events alone
  return {
    triggers: count('triggers'),
    views: partial ? 0 : count('views'),
    routines: partial ? 0 : count('routines'),
    events: partial ? 0 : count('events'),
    dataBytes: count('dataBytes'),
  };
}

/** The backup's objects of one kind, when its manifest counts them (a partial restore replaces only tables and triggers). */
function backupCount(input: PreflightInput, kind: 'triggers' | 'views' | 'routines' | 'events'): number | undefined {
  if (input.tables && kind !== 'triggers') return 0;
  if (input.tables) return undefined; // the manifest does not say which tables the triggers are on
  return input.options.objects?.[kind];
}

/** Privileges for the kinds of objects the restore creates (from the backup) or drops (from the shop). */
function objectPrivileges(input: PreflightInput, shop: ShopFacts): string[] {
  const involves = (kind: 'triggers' | 'views' | 'routines' | 'events') => (backupCount(input, kind) ?? 0) + shop[kind] > 0;
  return [
    ...(involves('triggers') ? ['TRIGGER'] : []),
    ...(involves('views') ? ['CREATE VIEW', 'SHOW VIEW'] : []),
    ...(involves('routines') ? ['CREATE ROUTINE', 'ALTER ROUTINE'] : []),
    ...(involves('events') ? ['EVENT'] : []),
  ];
}

async function requirePrivileges(privileges: Privileges, input: PreflightInput, shop: ShopFacts): Promise<void> {
  const { target, current } = input;
  const user = formatAccount(current);
  const missing = async (schema: string, needed: string[]) => {
    const held = await privileges.onSchema(schema);
    return needed.filter((p) => !held.has(p));
  };
  const helper = await missing(input.stage, HELPER_PRIVILEGES);
  if (helper.length > 0) {
    const reason = `user ${user} lacks ${helper.join(', ')} on the helper schemas (such as ${quoteId(input.stage)})`;
    throw refusal(target.database, `${reason}; grant them with: ${input.helperGrant}`);
  }
  const own = await missing(target.database, [...TABLE_PRIVILEGES, ...objectPrivileges(input, shop)]);
  if (own.length > 0) {
    const grant = `GRANT ALL PRIVILEGES ON ${quoteId(target.database)}.* TO ${quoteString(current.user)}@${quoteString(current.host)}`;
    throw refusal(target.database, `user ${user} lacks ${own.join(', ')} on it; grant them with: ${grant}`);
  }
}

/**
 * With the binary log on and log_bin_trust_function_creators off, only a user with SUPER may create or
 * drop triggers and create functions: refuse when the restore would have to.
 */
function requireTrustedCreators(server: ServerFacts, privileges: Privileges, input: PreflightInput, shop: ShopFacts): void {
  if (!server.binaryLog || server.trustsFunctionCreators || privileges.global.has('SUPER') || !privileges.complete) return;
  const triggers = (backupCount(input, 'triggers') ?? 0) + shop.triggers;
  const functions = input.tables ? 0 : backupFunctions(input);
  if (triggers + functions === 0) return;
  const what = [triggers > 0 ? 'triggers' : '', functions > 0 ? 'functions' : ''].filter(Boolean).join(' and ');
  throw refusal(input.target.database, `${untrustedCreator(input.current, `would refuse the ${what} this restore creates or drops`)}; ${TRUST_ADVICE}`);
}

/** Functions in the backup: the manifest's owners name them apart from procedures; its counts only together. */
function backupFunctions(input: PreflightInput): number {
  const { definers, objects } = input.options;
  if (definers) return Object.keys(definers).filter((key) => key.startsWith('function ')).length;
  return objects?.routines ?? 0;
}

const TRUST_ADVICE =
  'run SET GLOBAL log_bin_trust_function_creators = 1 (on a managed database, set log_bin_trust_function_creators to 1 in its parameter group) and roll back again';

function untrustedCreator(current: Account, consequence: string): string {
  return `the binary log is on and ${formatAccount(current)} lacks SUPER, so the server ${consequence} (error 1419)`;
}

/** `cannot restore database `db`: nothing was changed, because <reason>`: the restore's one-line refusal. */
export function refusal(database: string, reason: string, unchanged = 'nothing was changed'): RestoreRefusedError {
  return new RestoreRefusedError(`cannot restore database ${quoteId(database)}: ${unchanged}, because ${reason}`);
}

/**
 * A statement of the dump that the binary log's rules refused (a dump without a manifest, whose triggers
 * and functions could not be counted before): the same advice as the check before writing.
 */
export function refusalForStatement(errno: number | undefined, database: string, current: Account): RestoreRefusedError | undefined {
  const unchanged = 'the database was not changed';
  if (errno === 1419) return refusal(database, `${untrustedCreator(current, 'refused a trigger or function of the dump')}; ${TRUST_ADVICE}`, unchanged);
  if (errno === 1418) {
    const reason = 'the binary log is on and a function of the dump is declared neither DETERMINISTIC, NO SQL nor READS SQL DATA, so the server refused it (error 1418)';
    return refusal(database, `${reason}; ${TRUST_ADVICE}`, unchanged);
  }
  return undefined;
}

/** The server runs on this machine: reached over a socket or a loopback address. */
function isLocal(target: MysqlTarget): boolean {
  return target.socketPath !== undefined || LOOPBACK_HOSTS.has(target.host.toLowerCase()) || /^127\./.test(target.host);
}

function footprintOf(server: ServerFacts, shop: ShopFacts, input: PreflightInput): RestoreFootprint {
  const { totalBytes } = input.options;
  const logged = server.binaryLog && server.sessionLogged;
  const footprint: RestoreFootprint = {
    binaryLog: logged,
    // A rollback of a shop to its own backup: the tables it replaces are about the size of the staged copy.
    stagingBytes: shop.dataBytes > 0 ? shop.dataBytes : (totalBytes ?? 0),
    ...(totalBytes !== undefined ? { loadBytes: totalBytes } : {}),
  };
  if (isLocal(input.target) && server.dataDir !== '') {
    const binaryLogDir = logged && server.binaryLogBase !== '' ? path.dirname(server.binaryLogBase) : undefined;
    footprint.local = { dataDir: server.dataDir, ...(binaryLogDir ? { binaryLogDir } : {}) };
  }
  return footprint;
}
