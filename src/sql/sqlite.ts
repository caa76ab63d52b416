// Opening SQLite files with Node's built-in node:sqlite (nothing compiled at install), with the few
// habits every caller needs: a busy timeout, "must already exist", one-value queries, and statements
// that refuse a second statement hidden behind the first.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { existsSync } from 'node:fs';

export type SqliteDb = DatabaseSync;

/** What node:sqlite binds to a parameter. */
export type Param = string | number | bigint | null | Uint8Array;

export interface OpenOptions {
  readOnly?: boolean;
  /** Fail instead of creating an empty database when the file is missing. */
  mustExist?: boolean;
  /** How long to wait for another connection's lock before SQLITE_BUSY (ms). */
  timeoutMs?: number;
}

/** Waiting a while for another writer is what every caller wants; SQLite's own default is not to wait. */
const DEFAULT_TIMEOUT_MS = 5_000;

export function openSqlite(file: string, options: OpenOptions = {}): SqliteDb {
  if ((options.mustExist || options.readOnly) && !existsSync(file)) throw new Error('unable to open database file: it does not exist');
  return new DatabaseSync(file, {
    readOnly: options.readOnly ?? false,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
}

/** The first column of the first row (a pragma's value, a count), or undefined when there is no row. */
export function scalar(db: SqliteDb, sql: string, ...params: Param[]): unknown {
  const statement = db.prepare(sql);
  statement.setReturnArrays(true);
  const row = statement.get(...params) as unknown[] | undefined;
  return row?.[0];
}

/**
 * Prepares exactly one statement. SQLite compiles the first statement of a text and node:sqlite drops
 * the rest silently; a dump's statement that SQLite reads as two must be refused, not half run.
 */
export function prepareOne(db: SqliteDb, sql: string): StatementSync {
  const statement = db.prepare(sql);
  // Two statements need a semicolon between them; most texts (a dump's INSERTs) have none to check.
  if (!sql.includes(';')) return statement;
  const rest = sql.slice(statement.sourceSQL.length);
  if (rest.trim() !== '') throw new Error(`the text holds more than one statement (the second starts with [${rest.trim().slice(0, 40)}])`);
  return statement;
}

/** SQLite's own result code of a failed call (5 = SQLITE_BUSY, 6 = SQLITE_LOCKED, extended codes keep it in their low byte). */
export function sqliteResultCode(error: unknown): number | undefined {
  const errcode = (error as { errcode?: unknown } | null)?.errcode;
  return typeof errcode === 'number' ? errcode & 0xff : undefined;
}


/** Every row of a query, typed by the caller (node:sqlite types rows as records of any SQL value). */
export function queryAll<T>(db: SqliteDb, sql: string, ...params: Param[]): T[] {
  return db.prepare(sql).all(...params) as unknown as T[];
}
