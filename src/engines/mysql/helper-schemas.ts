// The helper schemas a restore works in (`<db>__lb_stage_<job>`, `<db>__lb_prev_<job>`) and the lock that
// keeps two restores of one database apart: what a restore, its recovery and the cleanup of leftovers
// share. Kept apart from the restore itself so that the cleanup every job runs first loads only this.
import { quoteId } from './restore-parse.js';
import { asServerError, exec, quoteString, run, type RawConnection } from './restore-session.js';

const MAX_SCHEMA_NAME = 64;

/** Characters of the helper schemas' suffix: a job id (`j` and 8 hex digits). */
export const SUFFIX_LENGTH = 9;

/** How much of the database name the helper schema names keep (the same for both kinds). */
function helperPrefix(database: string): string {
  return database.slice(0, MAX_SCHEMA_NAME - '__lb_stage_'.length - SUFFIX_LENGTH) + '__lb_';
}

/** `<db>__lb_<kind>_<suffix>`; a database name over 45 characters is shortened to stay within 64. */
export function helperSchemaName(database: string, kind: 'stage' | 'prev' | 'drill', suffix: string): string {
  return `${helperPrefix(database)}${kind}_${suffix}`;
}

/** The GRANT that lets `user` create the helper schemas of `database`. */
export function helperGrant(database: string, user: string, host: string): string {
  const pattern = helperPrefix(database).replace(/[_%\\]/g, (c) => '\\' + c) + '%';
  return `GRANT ALL PRIVILEGES ON ${quoteId(pattern)}.* TO ${quoteString(user)}@${quoteString(host)}`;
}

/** When the server last started (seconds since the epoch): session ids are only unique within one run. */
export async function serverStartTime(conn: RawConnection): Promise<number> {
  const [row] = await run(conn, "SELECT UNIX_TIMESTAMP() - VARIABLE_VALUE AS started FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'UPTIME'");
  return Math.round(Number(row?.started ?? 0) / 10) * 10; // the two clocks tick apart: tolerate a few seconds
}

/** The server-wide lock that keeps two restores (or a restore and a recovery) of a database apart. */
export function restoreLockName(database: string): string {
  return `lifeboat-restore:${database}`.slice(0, 64);
}

/** Drops the helper schemas that exist; returns the ones it dropped. */
export async function dropHelperSchemas(admin: RawConnection, schemas: string[]): Promise<string[]> {
  const dropped: string[] = [];
  await exec(admin, 'SET SESSION foreign_key_checks = 0');
  for (const schema of schemas) {
    const [found] = await run(admin, `SELECT 1 AS found FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${quoteString(schema)}`);
    if (!found) continue;
    try {
      await exec(admin, `DROP DATABASE IF EXISTS ${quoteId(schema)}`);
    } catch (error) {
      const e = asServerError(error);
      // 1010: the schema's folder holds files the server does not know (a statement killed half-way).
      if (e.errno !== 1010) throw error;
      throw new Error(`the server cannot drop the helper schema ${quoteId(schema)} (${e.message}): remove the files left in its folder in the server's data folder, then drop it (DROP DATABASE ${quoteId(schema)})`);
    }
    dropped.push(schema);
  }
  return dropped;
}
