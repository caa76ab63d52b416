// Creates views, triggers, routines and events from their SHOW CREATE definitions, under the session
// settings they were created with (sql_mode, client charset, connection collation, event time zone).
//
// DEFINER: the staging load creates every object as the restoring user (setting another definer needs
// SUPER / SET USER, which a shop's database user does not have). Before the swap, restore-owners.ts puts
// the owner each object had in the backup into its definition where the restoring user may set it (and
// the account exists: an object whose definer is missing fails whenever it is used, error 1449), so the
// swap creates definitions as they are ('keep-if-allowed': should the server still refuse another
// definer, error 1227, the object is created without it, for the restoring user). Putting the shop's own
// objects back after a failed swap does the same with their original definers.
import { classifyStatement, removeRanges } from './restore-parse.js';
import { asServerError, exec, type RawConnection, wire, quoteString } from './restore-session.js';
import type { CreationContext, ObjectDefinition } from './restore-inventory.js';

export interface CurrentUser {
  user: string;
  host: string;
}

export type DefinerPolicy = 'strip-foreign' | 'keep-if-allowed';

export async function readCurrentUser(conn: RawConnection): Promise<CurrentUser> {
  const [rows] = await conn.query('SELECT CURRENT_USER() AS u');
  const value = String((rows as { u: string }[])[0]?.u ?? '');
  const at = value.lastIndexOf('@');
  return at < 0 ? { user: value, host: '' } : { user: value.slice(0, at), host: value.slice(at + 1) };
}

export function isCurrentUser(definer: { user: string; host?: string; currentUser: boolean }, current: CurrentUser): boolean {
  if (definer.currentUser) return true;
  return definer.user === current.user && (definer.host ?? '%').toLowerCase() === current.host.toLowerCase();
}

/** The statement with its DEFINER clause removed when the policy says so. */
export function applyDefinerPolicy(sql: Buffer, current: CurrentUser, strip: 'foreign' | 'always' | 'never'): Buffer {
  if (strip === 'never') return sql;
  const info = classifyStatement(sql);
  if (!info.definer) return sql;
  if (strip === 'foreign' && isCurrentUser(info.definer, current)) return sql;
  return removeRanges(sql, [info.definer.range]);
}

function withOrReplace(sql: string): string {
  const m = /^\s*CREATE\s+/i.exec(sql);
  if (!m || /^\s*CREATE\s+OR\s+REPLACE\b/i.test(sql)) return sql;
  return sql.slice(0, m[0].length) + 'OR REPLACE ' + sql.slice(m[0].length);
}

const UTF8_CHARSETS = new Set(['utf8', 'utf8mb3', 'utf8mb4']);

async function enterContext(conn: RawConnection, ctx: CreationContext): Promise<void> {
  // We always send UTF-8 bytes; keep the recorded client charset when it reads UTF-8, else use utf8mb4.
  const client = UTF8_CHARSETS.has(ctx.characterSetClient.toLowerCase()) ? ctx.characterSetClient : 'utf8mb4';
  const parts = [`character_set_client = ${quoteString(client)}`, `character_set_results = 'utf8mb4'`];
  if (ctx.collationConnection) parts.push(`collation_connection = ${quoteString(ctx.collationConnection)}`);
  parts.push(`sql_mode = ${quoteString(ctx.sqlMode)}`);
  if (ctx.timeZone) parts.push(`time_zone = ${quoteString(ctx.timeZone)}`);
  await exec(conn, 'SET @lb_saved_sql_mode = @@SESSION.sql_mode');
  await exec(conn, `SET SESSION ${parts.join(', ')}`);
}

async function leaveContext(conn: RawConnection): Promise<void> {
  await exec(conn, "SET NAMES utf8mb4, time_zone = '+00:00', sql_mode = @lb_saved_sql_mode");
}

export interface CreateOptions {
  current: CurrentUser;
  policy: DefinerPolicy;
  /** Replace an existing object of the same name (CREATE OR REPLACE on MariaDB, DROP + CREATE on MySQL). */
  orReplace: boolean;
  /** MariaDB has CREATE OR REPLACE for every object kind; MySQL only for views. */
  mariadb: boolean;
}

/** Creates one object in the session's default schema. */
export async function createObject(conn: RawConnection, kind: ObjectKind, def: ObjectDefinition, options: CreateOptions): Promise<void> {
  const nativeReplace = options.orReplace && (options.mariadb || kind === 'view');
  if (options.orReplace && !nativeReplace) await dropObject(conn, kind, def.name);
  const original = Buffer.from(def.sql, 'utf8');
  const attempts =
    options.policy === 'keep-if-allowed'
      ? [original, applyDefinerPolicy(original, options.current, 'foreign')]
      : [applyDefinerPolicy(original, options.current, 'foreign')];
  let lastError: unknown;
  for (const [i, sql] of attempts.entries()) {
    if (i > 0 && sql.equals(attempts[i - 1])) continue;
    let text = sql.toString('utf8');
    if (nativeReplace) text = withOrReplace(text);
    await enterContext(conn, def.context);
    try {
      await conn.query(wire(text));
      return;
    } catch (error) {
      lastError = error;
      const { errno } = asServerError(error);
      // 1227: access denied (needs SUPER/SET USER for another definer); try again without the definer.
      if (errno !== 1227) break;
    } finally {
      await leaveContext(conn);
    }
  }
  throw lastError;
}

export type ObjectKind = 'view' | 'trigger' | 'procedure' | 'function' | 'event';

export async function dropObject(conn: RawConnection, kind: ObjectKind, name: string, schema?: string): Promise<void> {
  const id = (schema ? '`' + schema.replace(/`/g, '``') + '`.' : '') + '`' + name.replace(/`/g, '``') + '`';
  await exec(conn, `DROP ${kind.toUpperCase()} IF EXISTS ${id}`);
}

/**
 * Creates views whose definitions may depend on each other: tries them all, again and again while at
 * least one more succeeds (a view on a view fails until the view below exists).
 */
export async function createViews(conn: RawConnection, views: ObjectDefinition[], options: CreateOptions): Promise<void> {
  let pending = [...views];
  while (pending.length > 0) {
    const failed: { view: ObjectDefinition; error: unknown }[] = [];
    for (const view of pending) {
      try {
        await createObject(conn, 'view', view, options);
      } catch (error) {
        failed.push({ view, error });
      }
    }
    if (failed.length === pending.length) {
      const first = failed[0];
      throw new Error(`cannot create view \`${first.view.name}\`: ${asServerError(first.error).message}`);
    }
    pending = failed.map((f) => f.view);
  }
}
