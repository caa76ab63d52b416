/*
 * Atomic restore of a MySQL/MariaDB database from an SQL dump (Lifeboat's own dumps, mysqldump and
 * mariadb-dump output, Magento's "Database Backup" files).
 *
 * How: the dump is replayed into a fresh staging schema `<db>__lb_stage_<random>`; the staged objects are
 * read back; then, in the shop schema, the triggers are dropped and ALL base tables (and sequences) are
 * moved to `<db>__lb_prev_<random>` while the staged ones move in, in ONE `RENAME TABLE` statement; then
 * routines, views, triggers and events are created from the staged definitions and the objects the backup
 * does not have are dropped. A failure before the rename leaves the shop untouched (staging is dropped);
 * a failure after it renames everything back and recreates the old objects. On success the prev schema is
 * dropped. With `options.tables`, only those tables (and their triggers) are replayed and swapped.
 *
 * Privileges the database user needs:
 * - on the helper schemas `<db>__lb_%`: everything (they are created, filled and dropped):
 *     GRANT ALL PRIVILEGES ON `<db>\_\_lb\_%`.* TO 'user'@'host';
 *   Without it the restore fails at once, before touching anything, with a one-line message that
 *   prints this GRANT for the actual database and user.
 * - on the shop's database: SELECT, INSERT, CREATE, DROP, ALTER, INDEX, REFERENCES (tables and the
 *   RENAME), TRIGGER, CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, EVENT, LOCK TABLES
 *   (Magento's installer grants ALL on its database, which covers these). MariaDB shows a routine's
 *   body only to its definer or to users with SELECT on mysql.proc: routines of the shop owned by
 *   another user are still replaced, but with a warning, since they could not be put back if the
 *   restore had to be undone.
 * - nothing global: everything goes to the binary log as it happens (replicas apply the same load and
 *   RENAME); objects get their owners from the backup only where the user may set them (restore-owners.ts),
 *   so SUPER / SET USER is never required. With the binary log on, a user without SUPER needs
 *   log_bin_trust_function_creators = 1 for triggers and functions: checked, with the privileges, before
 *   anything is written (restore-preflight.ts).
 *
 * Known limits: foreign keys of tables in *other* schemas that reference the shop's tables are not
 * repointed (they follow the old tables, which are dropped; InnoDB then reports them as dangling);
 * during the post-rename phase (milliseconds to seconds) the shop has its new tables but may still lack
 * triggers; events are created disabled in staging and get their dumped status in the shop.
 */
import { randomBytes } from 'node:crypto';
import { RestoreRefusedError, type RestoreOptions, type RestoreResult, type RestoreState } from '../engine.js';
import type { MysqlTarget } from '../target.js';
import { quoteId } from './restore-parse.js';
import { asServerError, exec, loadRows, openRawSession, quoteString, run, text, type RawConnection } from './restore-session.js';
import { countObjects, inventorySchema, type SchemaInventory } from './restore-inventory.js';
import { abortReason, replayIntoStaging, type ReplayResult } from './staging-replay.js';
import { dropObject, readCurrentUser, type CurrentUser } from './swap-objects.js';
import { SwapError, swapTables } from './swap-tables.js';
import { checkBeforeWriting } from './restore-preflight.js';
import { dropHelperSchemas, helperGrant, helperSchemaName, restoreLockName, serverStartTime, SUFFIX_LENGTH } from './helper-schemas.js';
import { giveBackOwners } from './restore-owners.js';
import { DumpScreen, screenDump } from './dump-screen.js';

export { StatementError } from './staging-replay.js';

/** A restore failed; the message says whether the database was changed. */
export class RestoreError extends Error {}

/** Sessions that load the staging schema at once, by default (see replay-lanes.ts). */
export const DEFAULT_RESTORE_THREADS = 2;

/**
 * A session on the staging schema, with checks off for the load. The binary log stays on: a replica must
 * see the staging load as well as the RENAME that moves its tables in, or it stops at that RENAME
 * (error 1146) and keeps the old data; a binary-log replay after a restore would fail the same way.
 */
async function openStagingSession(target: MysqlTarget, stage: string): Promise<RawConnection> {
  const conn = await openRawSession(target, { database: stage });
  try {
    await exec(conn, 'SET SESSION foreign_key_checks = 0, unique_checks = 0');
  } catch (error) {
    await conn.end().catch(() => undefined);
    throw error;
  }
  return conn;
}

/**
 * Whether this session may send rows with LOAD DATA LOCAL: the server must allow it (MySQL 8 does not by
 * default) and so must anything between (some proxies refuse it). Tried once on a temporary table.
 */
export async function canLoadLocal(conn: RawConnection): Promise<boolean> {
  try {
    await exec(conn, 'CREATE TEMPORARY TABLE `lifeboat_load_probe` (`n` INT)');
    try {
      return (await loadRows(conn, 'LOAD DATA LOCAL INFILE \'rows\' INTO TABLE `lifeboat_load_probe` CHARACTER SET utf8mb4 (`n`)', Buffer.from('1\n'))).affected === 1;
    } finally {
      await exec(conn, 'DROP TEMPORARY TABLE `lifeboat_load_probe`');
    }
  } catch {
    return false; // every row then keeps its INSERT
  }
}

/** What a MySQL/MariaDB restore records in its journal (see restore-recover.ts for what each phase means). */
export interface MysqlRestoreState extends RestoreState {
  engine: 'mysql';
  /**
   * staging: only the staging schema may exist (the shop is untouched); swapping: the swap has started
   * (its RENAME TABLE is the commit point); committed / undone: the database is the backup's / as it was,
   * and only the helper schemas may be left to drop.
   */
  phase: 'staging' | 'swapping' | 'committed' | 'undone';
  database: string;
  stage: string;
  prev: string;
  /** From 'swapping' on: what the swap moves and the objects it recreates, old and new. */
  swap?: { staged: SchemaInventory; old: SchemaInventory; tables?: string[] };
  /** The restore's sessions that may still run a statement after its process died, and when the server started. */
  sessions?: { ids: number[]; serverStarted: number };
  /** The database was missing and the restore created it: a restore that ends as it was drops it again. */
  createdDatabase?: true;
}

/** Suffix of the helper schemas: the job's id when the caller gives one, so a person sees whose they are. */
function helperSuffix(label: string | undefined): string {
  const clean = (label ?? '').replace(/[^A-Za-z0-9]/g, '').slice(0, SUFFIX_LENGTH);
  return clean || `r${randomBytes((SUFFIX_LENGTH - 1) >> 1).toString('hex')}`;
}

export async function restoreMysql(target: MysqlTarget, sql: AsyncIterable<Buffer>, options: RestoreOptions = {}): Promise<RestoreResult> {
  const { signal } = options;
  if (signal?.aborted) throw abortReason(signal);
  const suffix = helperSuffix(options.label);
  const stage = helperSchemaName(target.database, 'stage', suffix);
  const prev = helperSchemaName(target.database, 'prev', suffix);
  return new MysqlRestore(target, options, stage, prev, await openRawSession(target)).run(sql);
}

/** What the restore learns of the server before it writes. */
interface ServerFacts {
  mariadb: boolean;
  current: CurrentUser;
  /** The sql_mode every new session starts with: how the screen reads a dump's first statements. */
  sqlMode: string;
  maxAllowedPacket: number;
  serverStarted: number;
}

/**
 * One restore, phase by phase (see the head of this file): its sessions, its lock and the state its
 * journal has, which the cleanup at the end reads whatever phase failed.
 */
class MysqlRestore {
  private readonly db: string;
  private readonly tables: Set<string> | undefined;
  private readonly lockName: string;
  private readonly warnings: string[] = [];
  private state: MysqlRestoreState;
  private stageConn: RawConnection | undefined;
  private readonly moreConns: RawConnection[] = [];
  private shopConn: RawConnection | undefined;
  private locked = false;
  private swapStarted = false;

  constructor(
    private readonly target: MysqlTarget,
    private readonly options: RestoreOptions,
    private readonly stage: string,
    private readonly prev: string,
    private readonly admin: RawConnection,
  ) {
    this.db = target.database;
    this.tables = options.tables && options.tables.length > 0 ? new Set(options.tables) : undefined;
    this.lockName = restoreLockName(this.db);
    this.state = { engine: 'mysql', phase: 'staging', database: this.db, stage, prev };
  }

  async run(sql: AsyncIterable<Buffer>): Promise<RestoreResult> {
    const { signal } = this.options;
    signal?.addEventListener('abort', this.onAbort);
    try {
      const server = await this.checkServer();
      const charset = await this.shopCharset();
      await this.createStage(server, charset);
      const { stageConn, loadData } = await this.openStagingSessions();
      const replay = await this.replay(sql, stageConn, loadData, server);
      const staged = await this.readStaged(stageConn, replay, server.current);
      for (const statement of this.options.stagedStatements ?? []) await exec(stageConn, statement);
      const shopConn = await openRawSession(this.target, { database: this.db });
      this.shopConn = shopConn;
      const old = await this.readOld(shopConn);
      await this.swap(shopConn, staged, old, server, charset);
      const objects = countObjects(staged);
      return { tables: staged.tables.length, rows: replay.rows, objects, warnings: this.warnings };
    } catch (error) {
      throw await this.failure(error);
    } finally {
      signal?.removeEventListener('abort', this.onAbort);
      await this.close();
    }
  }

  private async record(next: MysqlRestoreState): Promise<void> {
    await this.options.journal?.record(next);
    this.state = next;
  }

  // Interrupt the statement being replayed; the replay loop then throws the abort reason.
  private readonly onAbort = () => {
    if (this.swapStarted) return;
    for (const conn of this.stageConn ? [this.stageConn, ...this.moreConns] : []) this.admin.query(`KILL QUERY ${Number(conn.threadId)}`).catch(() => undefined);
  };

  private checkAbort(): void {
    const { signal } = this.options;
    if (signal?.aborted) throw abortReason(signal);
  }

  /** What the server is, who we are on it, the restore's lock, and the checks before anything is written. */
  private async checkServer(): Promise<ServerFacts> {
    const { admin, db, tables, options } = this;
    const [versionRow] = await run(admin, 'SELECT VERSION() AS v, @@max_allowed_packet AS p, @@SESSION.sql_mode AS m');
    const mariadb = /mariadb/i.test(text(versionRow ?? {}, 'v'));
    const current = await readCurrentUser(admin);

    const [lock] = await run(admin, `SELECT GET_LOCK(${quoteString(this.lockName)}, 0) AS l`);
    if (Number(lock?.l) !== 1) throw new RestoreError(`another restore of database ${quoteId(db)} is running`);
    this.locked = true;
    const helper = helperGrant(db, current.user, current.host);
    await checkBeforeWriting(admin, { target: this.target, current, stage: this.stage, helperGrant: helper, ...(tables ? { tables } : {}), options });
    const sqlMode = text(versionRow ?? {}, 'm');
    if (!options.ownDump && options.rereadSql && !tables) await screenDump(options.rereadSql(), db, sqlMode, options);
    const serverStarted = await serverStartTime(admin);
    return { mariadb, current, sqlMode, maxAllowedPacket: Number(versionRow?.p), serverStarted };
  }

  /** The shop schema's character set and collation, which the helper schemas take; a missing schema is created. */
  private async shopCharset(): Promise<string> {
    const query = `SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${quoteString(this.db)}`;
    let [schema] = await run(this.admin, query);
    if (!schema) {
      // Recorded before it is made: a restore that ends with the database as it was drops it again (restore-recover.ts).
      await this.record({ ...this.state, createdDatabase: true });
      await exec(this.admin, `CREATE DATABASE ${quoteId(this.db)}`);
      this.warnings.push(`database ${quoteId(this.db)} did not exist and was created`);
      [schema] = await run(this.admin, query);
    }
    return `CHARACTER SET ${text(schema, 'cs')} COLLATE ${text(schema, 'co')}`;
  }

  private async createStage({ current, serverStarted }: ServerFacts, charset: string): Promise<void> {
    await this.record({ ...this.state, sessions: { ids: [Number(this.admin.threadId)], serverStarted } });
    try {
      await exec(this.admin, `CREATE DATABASE ${quoteId(this.stage)} ${charset}`);
    } catch (error) {
      const e = asServerError(error);
      if (e.errno === 1044 || e.errno === 1045 || e.errno === 1227) {
        throw new RestoreError(
          `cannot create the staging schema ${quoteId(this.stage)} (${e.message}); grant it with: ${helperGrant(this.db, current.user, current.host)}`,
        );
      }
      throw error;
    }
  }

  /**
   * The sessions that load staging, one per thread (one per stream of a dump in parallel parts, and the
   * main one), and whether they may send rows as LOAD DATA.
   */
  private async openStagingSessions(): Promise<{ stageConn: RawConnection; loadData: boolean }> {
    const stageConn = await openStagingSession(this.target, this.stage);
    this.stageConn = stageConn;
    const loadData = await canLoadLocal(stageConn);
    const parallel = this.options.parallelSql ?? [];
    const threads = parallel.length ? parallel.length + 1 : Math.max(1, Math.floor(this.options.threads ?? DEFAULT_RESTORE_THREADS));
    while (this.moreConns.length < threads - 1) this.moreConns.push(await openStagingSession(this.target, this.stage));
    return { stageConn, loadData };
  }

  private async replay(sql: AsyncIterable<Buffer>, stageConn: RawConnection, loadData: boolean, server: ServerFacts): Promise<ReplayResult> {
    const { options, tables, db } = this;
    const { signal } = options;
    const parallel = options.parallelSql ?? [];
    const replay = await replayIntoStaging(sql, {
      conn: stageConn,
      moreConns: this.moreConns,
      stage: this.stage,
      shop: db,
      current: server.current,
      loadData,
      exactValues: options.ownDump === true,
      ...(options.tableBytes ? { tableBytes: options.tableBytes } : {}),
      ...(options.ownDump ? {} : { screen: new DumpScreen(db, server.sqlMode) }),
      maxAllowedPacket: server.maxAllowedPacket,
      ...(tables ? { tables } : {}),
      ...(parallel.length ? { streams: parallel.map((part) => ({ sql: part.sql, tables: new Set(part.tables) })) } : {}),
      ...(signal ? { signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.totalBytes !== undefined ? { totalBytes: options.totalBytes } : {}),
    });
    this.warnings.push(...replay.warnings);
    this.checkAbort();
    await options.journal?.reached('database-staged');
    return replay;
  }

  /** The staged objects, read back for the swap (their owners given back where the dump named them). */
  private async readStaged(stageConn: RawConnection, replay: ReplayResult, current: CurrentUser): Promise<SchemaInventory> {
    const { tables } = this;
    // Undo what the dump's session statements may have left (locks, charset) before reading back.
    await exec(stageConn, 'UNLOCK TABLES');
    await exec(stageConn, "SET NAMES utf8mb4, time_zone = '+00:00'");
    for (const conn of this.moreConns.splice(0)) await conn.end().catch(() => undefined);
    const staged = await inventorySchema(stageConn, this.stage, tables ? { tables } : {});
    if (tables) {
      staged.tables = staged.tables.filter((t) => tables.has(t));
      staged.sequences = staged.sequences.filter((t) => tables.has(t));
      const found = new Set([...staged.tables, ...staged.sequences]);
      const missing = [...tables].filter((t) => !found.has(t));
      if (missing.length > 0) throw new RestoreError(`the backup has no table ${missing.map((t) => quoteId(t)).join(', ')}`);
    } else {
      staged.events = [...replay.events.values()];
      if (staged.tables.length + staged.sequences.length + staged.views.length === 0) {
        throw new RestoreError('the dump creates no table; refusing to empty the database');
      }
    }
    this.warnings.push(...(await giveBackOwners(this.admin, staged, current, { ...this.options.definers, ...replay.definers })));
    // RENAME TABLE cannot move a table with triggers to another schema: they are recreated in the shop.
    for (const trigger of staged.triggers) await dropObject(stageConn, 'trigger', trigger.name);
    return staged;
  }

  /** The shop's objects that the swap replaces (only the chosen tables of a partial restore). */
  private async readOld(shopConn: RawConnection): Promise<SchemaInventory> {
    const { tables } = this;
    const old = await inventorySchema(shopConn, this.db, { ...(tables ? { tables } : {}), warnings: this.warnings });
    if (tables) {
      old.tables = old.tables.filter((t) => tables.has(t));
      old.sequences = old.sequences.filter((t) => tables.has(t));
    }
    return old;
  }

  /** The caller's last word, then the swap, its start and its outcome recorded in the journal. */
  private async swap(shopConn: RawConnection, staged: SchemaInventory, old: SchemaInventory, server: ServerFacts, charset: string): Promise<void> {
    const { admin, db, tables, options } = this;
    const { journal } = options;
    this.checkAbort();
    // The caller's last word before the shop is touched: the archive's checksum, and in a System rollback
    // the swap of the files (undone by the caller if the database swap then fails).
    await options.beforeSwap?.();
    this.checkAbort(); // last point where an abort is honoured: the swap is short and must not be cut

    await this.record({
      ...this.state,
      phase: 'swapping',
      swap: { staged, old, ...(tables ? { tables: [...tables] } : {}) },
      sessions: { ids: [Number(admin.threadId), Number(shopConn.threadId)], serverStarted: server.serverStarted },
    });
    await exec(admin, `CREATE DATABASE ${quoteId(this.prev)} ${charset}`);
    this.swapStarted = true;
    const { current, mariadb } = server;
    const reached = journal ? { reached: (step: string) => journal.reached(step) } : {};
    try {
      await swapTables({ conn: shopConn, shop: db, stage: this.stage, prev: this.prev, staged, old, ...(tables ? { tables } : {}), current, mariadb, warnings: this.warnings, ...reached });
    } catch (error) {
      if (error instanceof SwapError && error.rolledBack) await this.record({ ...this.state, phase: 'undone' });
      throw error;
    }
    await this.record({ ...this.state, phase: 'committed' });
    await journal?.reached('database-swapped');
  }

  /** The error the restore fails with: its message says whether the database was changed. */
  private async failure(error: unknown): Promise<unknown> {
    const { signal } = this.options;
    // Failed between recording the swap and starting it: the shop was not touched.
    if (this.state.phase === 'swapping' && !this.swapStarted) await this.record({ ...this.state, phase: 'undone' }).catch(() => undefined);
    if (signal?.aborted && !this.swapStarted) return abortReason(signal);
    if (error instanceof RestoreError || error instanceof RestoreRefusedError) return error;
    const message = asServerError(error).message;
    if (error instanceof SwapError) return new RestoreError(`cannot restore database ${quoteId(this.db)}: ${message}`, { cause: error });
    return new RestoreError(`cannot restore database ${quoteId(this.db)}: ${message}; the database was not changed`, { cause: error });
  }

  /** Ends the sessions, drops the helper schemas once the swap is settled, and releases the lock. */
  private async close(): Promise<void> {
    await this.stageConn?.end().catch(() => undefined);
    for (const conn of this.moreConns) await conn.end().catch(() => undefined);
    await this.shopConn?.end().catch(() => undefined);
    try {
      // While the swap is unsettled (its undo failed, or its outcome is not recorded) the helper schemas
      // stay: recovery reads from them where the tables are.
      // A committed restore asked to leave the old tables drops only the staging schema, emptied by the swap.
      const leave = this.state.phase === 'committed' && this.options.leaveOldTables && this.options.journal;
      if (this.state.phase !== 'swapping') await dropHelperSchemas(this.admin, leave ? [this.stage] : [this.stage, this.prev]);
      if (this.locked) await run(this.admin, `SELECT RELEASE_LOCK(${quoteString(this.lockName)})`);
    } catch {
      // Cleanup is best effort; recovery (lifeboat recover) drops what is left, named <db>__lb_*_<job>.
    } finally {
      await this.admin.end().catch(() => undefined);
    }
  }
}
