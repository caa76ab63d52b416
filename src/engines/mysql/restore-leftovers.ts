// What rollbacks that died left in the database server: staging schemas (dropped) and schemas with
// the tables a shop had before a rollback that could not be finished (reported). Every job runs this
// first, so it loads only the helper-schema code, not the restore's.
import type { MysqlTarget } from '../target.js';
import type { MysqlRestoreState } from './restore.js';
import { dropHelperSchemas, helperSchemaName, restoreLockName } from './helper-schemas.js';
import { quoteId } from './restore-parse.js';
import { openRawSession, quoteString, run, text } from './restore-session.js';

/**
 * Helper schemas of the database that no journal names (after every journal was settled, but for
 * `ongoing` restores: their rollbacks still clean up in the background): staging
 * schemas are dropped (copies of a backup); a previous-tables schema is only reported, since a rollback
 * of an earlier version whose undo failed kept the shop's old tables there.
 */
export async function clearMysqlLeftovers(target: MysqlTarget, ongoing: readonly MysqlRestoreState[] = []): Promise<string[]> {
  const theirs = new Set(ongoing.flatMap((state) => [state.stage, state.prev]));
  const admin = await openRawSession(target);
  const lockName = restoreLockName(target.database);
  try {
    const [lock] = await run(admin, `SELECT GET_LOCK(${quoteString(lockName)}, 0) AS l`);
    if (Number(lock?.l) !== 1) return [];
    try {
      const prefix = helperSchemaName(target.database, 'stage', '').slice(0, -'stage_'.length);
      const like = prefix.replace(/[\\_%]/g, (c) => '\\' + c) + '%';
      const rows = await run(admin, `SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ${quoteString(like)} ORDER BY SCHEMA_NAME`);
      const lines: string[] = [];
      for (const name of rows.map((row) => text(row, 'name')).filter((name) => !theirs.has(name))) {
        const rest = name.slice(prefix.length);
        if (rest.startsWith('stage_')) {
          await dropHelperSchemas(admin, [name]);
          lines.push(`dropped the staging schema ${quoteId(name)} left by an earlier rollback`);
        } else if (rest.startsWith('prev_')) {
          lines.push(`schema ${quoteId(name)} holds tables the shop had before an earlier rollback that could not be finished; compare them with the shop, then drop it (DROP DATABASE ${quoteId(name)})`);
        }
      }
      return lines;
    } finally {
      await run(admin, `SELECT RELEASE_LOCK(${quoteString(lockName)})`).catch(() => undefined);
    }
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** Drops the helper schemas of a committed restore that left its old tables (RestoreOptions.leaveOldTables). */
export async function dropOldTables(target: MysqlTarget, state: MysqlRestoreState): Promise<string[]> {
  if (state.phase !== 'committed') throw new Error(`the restore of ${quoteId(state.database)} is not committed (${state.phase}): recovery settles it`);
  const admin = await openRawSession(target);
  try {
    return (await dropHelperSchemas(admin, [state.stage, state.prev])).map((schema) => `dropped the helper schema ${quoteId(schema)}`);
  } finally {
    await admin.end().catch(() => undefined);
  }
}
