// Atomic SQLite restore: the dump is loaded into a staging file beside the target, then copied over
// the target inside one write transaction (swap.ts), so that the shop, which may have the database
// open, sees either the old or the new content. On any failure the target is left as it was and the
// staging file is removed.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import type { RestoreOptions, RestoreResult } from '../engine.js';
import type { SqliteTarget } from '../target.js';
import type { TextEncoding } from './literals.js';
import type { Db } from './schema.js';
import { abortError, loadStage, removeDatabaseFiles, SqliteRestoreError, stagingPath } from './stage.js';
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
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
  } catch (error) {
    throw new SqliteRestoreError(`cannot open SQLite database ${file}: ${message(error)}`);
  }
  try {
    return String(db.pragma('encoding', { simple: true })) as TextEncoding;
  } catch (error) {
    throw new SqliteRestoreError(`${file} is not a usable SQLite database: ${message(error)}`);
  } finally {
    db.close();
  }
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
  const stage = stagingPath(target.path);
  try {
    const loaded = await loadStage(stage, sql, encoding, options);
    if (options.signal?.aborted) throw abortError(options.signal);
    await options.beforeSwap?.();
    const tables = options.tables?.length ? options.tables : undefined; // none named: all of them
    return await swapInto(target.path, stage, busyTimeoutMs, {
      ...(tables ? { tables } : {}),
      copyHeader: loaded.setsHeader && !tables,
      bytes: loaded.bytes,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  } finally {
    await removeDatabaseFiles(stage);
  }
}

async function swapInto(file: string, stage: string, busyTimeoutMs: number, options: Parameters<typeof swapIn>[3]): Promise<RestoreResult> {
  const existed = existsSync(file);
  let db: Db;
  try {
    db = new Database(file, { timeout: busyTimeoutMs });
  } catch (error) {
    throw new SqliteRestoreError(`cannot open SQLite database ${file}: ${message(error)}`);
  }
  let done = false;
  try {
    db.pragma('foreign_keys = OFF'); // cannot change inside a transaction: before BEGIN
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
      const violations = db.prepare('SELECT count(*) FROM pragma_foreign_key_check').pluck().get() as number;
      if (violations > 0) result.warnings.push(`${violations} row(s) violate foreign keys after the restore (PRAGMA foreign_key_check lists them)`);
    }
    return result;
  } finally {
    db.close();
    if (!done && !existed) await removeDatabaseFiles(file); // leave no empty database behind
  }
}
