// Recovery of a MySQL/MariaDB restore whose process died (kill -9, OOM, power loss) or failed half-way,
// from the last state it recorded (restore.ts, MysqlRestoreState):
// - staging: the shop was not touched; the staging schema is dropped.
// - swapping: the swap had started. Its RENAME TABLE is the commit point and is atomic, so where the
//   tables are tells whether it happened: if it did, the backup's routines, views, triggers and events are
//   put in place (each step safe to repeat); if not, the shop's triggers and views dropped ahead of the
//   rename are created again. The decision is recorded before anything is dropped, so recovery itself
//   may be interrupted and run again.
// - committed / undone: only the helper schemas are left to drop.
// A database the restore created (it was missing) is dropped again when the restore ends as it was: it
// would be an empty database that nobody asked for.
// The dead restore's sessions are waited for first (the server finishes a statement after its client is
// gone), then the restore's lock is taken, so a recovery never runs beside a live restore of the database.
import type { RecoveryOutcome, RestoreJournal } from '../engine.js';
import type { MysqlTarget } from '../target.js';
import { quoteId } from './restore-parse.js';
import { dropHelperSchemas, restoreLockName, serverStartTime } from './helper-schemas.js';
import type { MysqlRestoreState } from './restore.js';
import { asServerError, exec, openRawSession, quoteString, run, text, type RawConnection } from './restore-session.js';
import { readCurrentUser } from './swap-objects.js';
import { finishSwap, SwapError, undoUnrenamedSwap, wasRenamed, type SwapInput } from './swap-tables.js';

/** How long recovery waits for a live restore's lock. */
const WAIT_SECONDS = 60;

export class RecoveryError extends Error {}

export async function recoverMysql(target: MysqlTarget, state: MysqlRestoreState, journal: RestoreJournal): Promise<RecoveryOutcome> {
  if (state.database !== target.database) {
    throw new RecoveryError(
      `the interrupted restore was of database ${quoteId(state.database)} but LIFEBOAT_DATABASE_URL names ${quoteId(target.database)}; point it at ${quoteId(state.database)} and run lifeboat recover again`,
    );
  }
  const admin = await openRawSession(target);
  const lockName = restoreLockName(state.database);
  let locked = false;
  try {
    // First: the dead restore's own session may still hold the restore lock (see waitForDeadSessions).
    await waitForDeadSessions(admin, state);
    const [lock] = await run(admin, `SELECT GET_LOCK(${quoteString(lockName)}, ${WAIT_SECONDS}) AS l`);
    if (Number(lock?.l) !== 1) {
      throw new RecoveryError(`a restore of database ${quoteId(state.database)} is running (it holds the lock "${lockName}"); run lifeboat recover again when it has ended`);
    }
    locked = true;
    const done: string[] = [];
    let database: 'old' | 'new' = state.phase === 'committed' ? 'new' : 'old';
    if (state.phase === 'swapping' && state.swap) {
      database = await settleSwap(target, admin, state, done);
      await journal.record({ ...state, phase: database === 'new' ? 'committed' : 'undone' });
    }
    for (const schema of await dropHelperSchemas(admin, [state.stage, state.prev])) done.push(`dropped the helper schema ${quoteId(schema)}`);
    if (database === 'old' && state.createdDatabase) done.push(...(await dropCreatedDatabase(admin, state.database)));
    return { database, done };
  } finally {
    if (locked) await run(admin, `SELECT RELEASE_LOCK(${quoteString(lockName)})`).catch(() => undefined);
    await admin.end().catch(() => undefined);
  }
}

/** Finishes the swap when its rename happened, else puts the shop's objects back; says which. */
async function settleSwap(target: MysqlTarget, admin: RawConnection, state: MysqlRestoreState, done: string[]): Promise<'old' | 'new'> {
  const swap = state.swap!;
  const shopConn = await openRawSession(target, { database: state.database });
  try {
    const [versionRow] = await run(admin, 'SELECT VERSION() AS v');
    const warnings: string[] = [];
    const input: SwapInput = {
      conn: shopConn,
      shop: state.database,
      stage: state.stage,
      prev: state.prev,
      staged: swap.staged,
      old: swap.old,
      ...(swap.tables ? { tables: new Set(swap.tables) } : {}),
      current: await readCurrentUser(admin),
      mariadb: /mariadb/i.test(text(versionRow ?? {}, 'v')),
      warnings,
    };
    const [stageExists] = await run(admin, `SELECT 1 AS found FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${quoteString(state.stage)}`);
    if (!stageExists) {
      throw new RecoveryError(`cannot tell whether the interrupted restore of ${quoteId(state.database)} swapped its tables: its staging schema ${quoteId(state.stage)} is gone`);
    }
    if (await wasRenamed(admin, input)) {
      const outcome = await finishSwap(input);
      done.push(
        outcome === 'new'
          ? `the restore had swapped the tables of ${quoteId(state.database)}: finished it (the backup's views, triggers, routines and events are in place)`
          : `the restore had swapped the tables of ${quoteId(state.database)} but could not be finished, so they were swapped back`,
      );
      done.push(...warnings);
      return outcome;
    }
    const problems = await undoUnrenamedSwap(input);
    if (problems.length) throw new SwapError(`putting back the objects of ${quoteId(state.database)} failed: ${problems.join('; ')}`, false);
    done.push(`the restore of ${quoteId(state.database)} had not swapped its tables: the shop's triggers and views are as they were`);
    return 'old';
  } finally {
    await shopConn.end().catch(() => undefined);
  }
}

/**
 * Drops the database the restore created, where it is still empty (no table, view, routine or event: as
 * the restore found it, missing); a line for what was done or left.
 */
async function dropCreatedDatabase(admin: RawConnection, database: string): Promise<string[]> {
  const name = quoteString(database);
  const [row] = await run(
    admin,
    `SELECT (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${name}) AS found,
            (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${name})
          + (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ${name})
          + (SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ${name}) AS objects`,
  );
  if (Number(row?.found) === 0) return [];
  if (Number(row?.objects) > 0) return [`left the database ${quoteId(database)}, which the restore had created: it holds objects now`];
  try {
    await exec(admin, `DROP DATABASE ${quoteId(database)}`);
  } catch (error) {
    return [`could not drop the database ${quoteId(database)}, which the restore had created (${asServerError(error).message}); it is empty: drop it by hand`];
  }
  return [`dropped the database ${quoteId(database)}, which the restore had created`];
}

/** How long recovery waits for a dead restore's statements to finish in the server. */
const STATEMENT_WAIT_SECONDS = 600;

/**
 * Waits until the dead restore's sessions are gone: its recorded ones (only within the same server run:
 * ids start again after a restart) and any session working in its staging schema. The server finishes a
 * statement after its client died, and only then ends the session; recovery must not run beside it. A
 * session that is idle is ended at once (the client's machine lost power: the server would keep it until
 * wait_timeout). One that runs a statement is waited for, never killed: a DROP TRIGGER killed half-way
 * leaves a file in the schema's folder that no DROP DATABASE removes.
 */
async function waitForDeadSessions(admin: RawConnection, state: MysqlRestoreState): Promise<void> {
  const ids = new Set<number>();
  if (state.sessions && Math.abs(state.sessions.serverStarted - (await serverStartTime(admin))) <= 10) {
    for (const id of state.sessions.ids) ids.add(id);
  }
  const mine = "USER = SUBSTRING_INDEX(CURRENT_USER(), '@', 1) AND ID <> CONNECTION_ID()";
  for (let waited = 0; ; waited++) {
    const rows = await run(
      admin,
      `SELECT ID AS id, COMMAND AS command FROM information_schema.PROCESSLIST
        WHERE ${mine} AND (DB = ${quoteString(state.stage)}${ids.size ? ` OR ID IN (${[...ids].join(', ')})` : ''})`,
    );
    const busy = rows.filter((row) => text(row, 'command') !== 'Sleep');
    for (const row of rows) if (text(row, 'command') === 'Sleep') await run(admin, `KILL CONNECTION ${Number(row.id)}`).catch(() => undefined);
    if (busy.length === 0) return;
    if (waited >= STATEMENT_WAIT_SECONDS * 5) {
      throw new RecoveryError(
        `the interrupted restore's statements still run in the server (sessions ${busy.map((row) => Number(row.id)).join(', ')}, see SHOW PROCESSLIST); run lifeboat recover again when they have ended`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
