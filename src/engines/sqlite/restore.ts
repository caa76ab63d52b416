// Atomic SQLite restore: the dump is loaded into a staging file beside the target, then copied over
// the target inside one write transaction (swap.ts), so that the shop, which may have the database
// open, sees either the old or the new content. On any failure the target is left as it was and the
// staging file is removed.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { openSqlite, scalar } from '../../sql/sqlite.js';
import { quoteIdent } from './literals.js';
import type { RecoveryOutcome, RestoreJournal, RestoreOptions, RestoreResult, RestoreState } from '../engine.js';
import type { SqliteTarget } from '../target.js';
import type { TextEncoding } from './literals.js';
import type { Db } from './schema.js';
import { abortError, loadStage, removeDatabaseFiles, SqliteRestoreError, STAGING_FILE_PREFIX, stagingPath } from './stage.js';
import { STAGE, swapIn } from './swap.js';

export { SqliteRestoreError } from './stage.js';

export interface SqliteRestoreOptions extends RestoreOptions {
  /** How long to wait for other connections' locks before giving up (default 30 s). */
  busyTimeoutMs?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 30_000;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The target's text encoding (the stage must match it to be attached); UTF-8 for a new database. */
function targetEncoding(file: string, busyTimeoutMs: number): TextEncoding {
  if (!existsSync(file)) return 'UTF-8';
  let db: Db;
  try {
    db = openSqlite(file, { readOnly: true, timeoutMs: busyTimeoutMs });
  } catch (error) {
    throw new SqliteRestoreError(`cannot open SQLite database ${file}: ${message(error)}`);
  }
  try {
    return String(scalar(db, 'PRAGMA encoding')) as TextEncoding;
  } catch (error) {
    throw new SqliteRestoreError(`${file} is not a usable SQLite database: ${message(error)}`);
  } finally {
    db.close();
  }
}

/** What an SQLite restore records in its journal (see recoverSqlite). */
export interface SqliteRestoreState extends RestoreState {
  engine: 'sqlite';
  /** staging: the target untouched; swapping: its transaction may have committed (the marker tells); committed / undone: settled. */
  phase: 'staging' | 'swapping' | 'committed' | 'undone';
  path: string;
  stage: string;
  /** The table the swap's transaction creates (see SwapOptions.commitMarker). */
  marker: string;
  /** The database file was missing and the swap creates it: a restore that ends as it was removes it again. */
  createdDatabase?: true;
}

/**
 * Replaces the content of the SQLite database `target.path` with the dump read from `sql`
 * (uncompressed SQL text), atomically. With `options.tables`, only those tables (definition, rows,
 * indexes, triggers, AUTOINCREMENT counter) are replaced. Creates the database if it does not exist.
 */
export async function restoreSqlite(target: SqliteTarget, sql: AsyncIterable<Buffer>, options: SqliteRestoreOptions = {}): Promise<RestoreResult> {
  if (options.signal?.aborted) throw abortError(options.signal);
  if (options.parallelSql?.length) throw new SqliteRestoreError('a SQLite dump is restored from one stream');
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const encoding = targetEncoding(target.path, busyTimeoutMs);
  const label = options.label ?? randomBytes(6).toString('hex');
  const stage = stagingPath(target.path, label);
  const state: SqliteRestoreState = { engine: 'sqlite', phase: 'staging', path: target.path, stage, marker: `lifeboat_rollback_${label}` };
  const journal = options.journal;
  try {
    await journal?.record(state);
    const loaded = await loadStage(stage, sql, encoding, options);
    if (options.signal?.aborted) throw abortError(options.signal);
    await journal?.reached('database-staged');
    if (options.stagedStatements?.length) runOnStage(stage, options.stagedStatements, busyTimeoutMs);
    await options.beforeSwap?.();
    const tables = options.tables?.length ? options.tables : undefined; // none named: all of them
    await journal?.record({ ...state, phase: 'swapping', ...(existsSync(target.path) ? {} : { createdDatabase: true as const }) });
    const result = await swapInto(target.path, stage, busyTimeoutMs, {
      ...(tables ? { tables } : {}),
      copyHeader: loaded.setsHeader && !tables,
      bytes: loaded.bytes,
      ...(journal ? { commitMarker: state.marker } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    if (journal) {
      await journal.reached('database-committed'); // committed, not yet recorded: the marker tells recovery
      await journal.record({ ...state, phase: 'committed' });
      await journal.reached('database-swapped');
      dropMarker(target.path, state.marker, busyTimeoutMs);
    }
    return result;
  } finally {
    await removeDatabaseFiles(stage);
  }
}

/** RestoreOptions.stagedStatements, on the staged file before the swap. */
function runOnStage(stage: string, statements: string[], busyTimeoutMs: number): void {
  const db = openSqlite(stage, { timeoutMs: busyTimeoutMs });
  try {
    for (const statement of statements) db.exec(statement);
  } finally {
    db.close();
  }
}

/** Drops the commit marker when it is there; true when it was. */
function dropMarker(file: string, marker: string, busyTimeoutMs: number): boolean {
  if (!existsSync(file)) return false;
  const db = openSqlite(file, { timeoutMs: busyTimeoutMs });
  try {
    const found = db.prepare("SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?").get(marker) !== undefined;
    if (found) db.exec(`DROP TABLE IF EXISTS main.${quoteIdent(marker)}`);
    return found;
  } finally {
    db.close();
  }
}

/**
 * Settles an SQLite restore that stopped at `state`: a swap whose transaction committed left its marker
 * (the database is the backup's), one that did not left the database as it was; the staging file goes.
 */
export async function recoverSqlite(target: SqliteTarget, state: SqliteRestoreState, journal: RestoreJournal): Promise<RecoveryOutcome> {
  if (path.resolve(state.path) !== path.resolve(target.path)) {
    throw new SqliteRestoreError(`the interrupted restore was of ${state.path} but LIFEBOAT_DATABASE_URL names ${target.path}; point it at ${state.path} and run lifeboat recover again`);
  }
  const done: string[] = [];
  let database: 'old' | 'new' = state.phase === 'committed' ? 'new' : 'old';
  if (state.phase === 'swapping' || state.phase === 'committed') {
    const committed = dropMarker(state.path, state.marker, DEFAULT_BUSY_TIMEOUT_MS);
    if (state.phase === 'swapping') {
      database = committed ? 'new' : 'old';
      await journal.record({ ...state, phase: committed ? 'committed' : 'undone' });
      done.push(committed ? `the restore of ${state.path} had committed: the database is the backup's` : `the restore of ${state.path} had not committed: the database is as it was`);
    }
  }
  if (database === 'old' && state.createdDatabase && existsSync(state.path)) {
    await removeDatabaseFiles(state.path);
    done.push(`removed ${state.path}, which the restore had created`);
  }
  if (existsSync(state.stage)) {
    await removeDatabaseFiles(state.stage);
    done.push(`removed the staging file ${state.stage}`);
  }
  return { database, done };
}

async function swapInto(file: string, stage: string, busyTimeoutMs: number, options: Parameters<typeof swapIn>[3]): Promise<RestoreResult> {
  const existed = existsSync(file);
  let db: Db;
  try {
    db = openSqlite(file, { timeoutMs: busyTimeoutMs });
  } catch (error) {
    throw new SqliteRestoreError(`cannot open SQLite database ${file}: ${message(error)}`);
  }
  let done = false;
  try {
    db.exec('PRAGMA foreign_keys = OFF'); // cannot change inside a transaction: before BEGIN
    // A transaction whose changes outgrow the page cache spills them into the database file, and in a
    // rollback-journal database that takes the exclusive lock: the shop's readers would wait from then
    // on instead of only during COMMIT. 64 MiB of cache keeps a small shop's swap in memory until COMMIT.
    db.exec('PRAGMA cache_size = -65536');
    db.prepare(`ATTACH DATABASE ? AS ${STAGE}`).run(stage);
    let result: RestoreResult;
    try {
      result = swapIn(db, file, busyTimeoutMs, options);
      done = true;
    } finally {
      db.exec(`DETACH DATABASE ${STAGE}`);
    }
    if (options.tables) {
      // Only some tables went back in time: rows elsewhere may now point to rows that are gone.
      const violations = Number(scalar(db, 'SELECT count(*) FROM pragma_foreign_key_check'));
      if (violations > 0) result.warnings.push(`${violations} row(s) violate foreign keys after the restore (PRAGMA foreign_key_check lists them)`);
    }
    return result;
  } finally {
    db.close();
    if (!done && !existed) await removeDatabaseFiles(file); // leave no empty database behind
  }
}

/** Staging files beside the database that no journal names (copies of a backup): removed. */
export async function clearSqliteLeftovers(target: SqliteTarget): Promise<string[]> {
  const dir = path.dirname(target.path);
  const base = path.basename(target.path);
  // Earlier versions named them `<file>.lifeboat-stage-<random>`.
  const isStaging = (name: string) => (name.startsWith(STAGING_FILE_PREFIX) && name.endsWith(`.${base}`)) || name.startsWith(`${base}.lifeboat-stage-`);
  const names = await readdir(dir).catch(() => [] as string[]);
  const lines: string[] = [];
  for (const name of names.filter((n) => isStaging(n) && !/-(journal|wal|shm)$/.test(n))) {
    await removeDatabaseFiles(path.join(dir, name));
    lines.push(`removed the staging file ${path.join(dir, name)} left by an earlier rollback`);
  }
  return lines;
}
