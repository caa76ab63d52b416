// The atomic swap: the staged database is attached to the target and copied over it inside ONE
// write transaction. Other connections (the shop) see the old content until COMMIT, the new after.
import type { ObjectCounts } from '../../shared/types.js';
import type { ProgressListener } from '../engine.js';
import { sqliteResultCode } from '../../sql/sqlite.js';
import { quoteIdent, quoteString } from './literals.js';
import { columnList, readSchema, type Db, type Schema, type SchemaObject, type TableShape } from './schema.js';
import { SqliteRestoreError } from './stage.js';

export const STAGE = 'lifeboat_stage';
const S = quoteIdent(STAGE);

export interface SwapOptions {
  /** Restore only these tables (case-insensitive names); everything else stays. */
  tables?: string[];
  /** Copy user_version and application_id from the stage (a full restore of a dump that sets them). */
  copyHeader: boolean;
  /** Size of the dump, reported as the bytes of the swap's progress. */
  bytes: number;
  onProgress?: ProgressListener;
  /**
   * A table created inside the swap's transaction, so that recovery can tell whether it committed (a
   * System rollback's files follow that answer); dropped by the caller right after.
   */
  commitMarker?: string;
}

export interface SwapResult {
  tables: number;
  rows: number;
  objects: ObjectCounts;
  warnings: string[];
}

const lower = (name: string) => name.toLowerCase();

function isContentless(table: TableShape): boolean {
  return table.virtual && /\bcontent\s*=\s*(''|"")/i.test(table.sql);
}

/** Copies one table's rows from the stage into main (which has the table, empty); returns the row count. */
function copyRows(db: Db, table: TableShape): number {
  if (isContentless(table)) return 0;
  const columns = columnList(table);
  const order = table.orderBy ? ` ORDER BY ${quoteIdent(table.orderBy)}` : '';
  const source = `${S}.${quoteIdent(table.name)}`;
  return Number(db.prepare(`INSERT INTO main.${quoteIdent(table.name)}(${columns}) SELECT ${columns} FROM ${source}${order}`).run().changes);
}

function copySequences(db: Db, names: string[]): void {
  const hasSequence = (schema: string) =>
    db.prepare(`SELECT 1 FROM ${schema}.sqlite_schema WHERE type = 'table' AND name = 'sqlite_sequence'`).get() !== undefined;
  if (names.length === 0 || !hasSequence('main')) return;
  const list = names.map(quoteString).join(',');
  db.exec(`DELETE FROM main.sqlite_sequence WHERE name IN (${list})`);
  if (!hasSequence(S)) return;
  db.exec(`INSERT INTO main.sqlite_sequence(name, seq) SELECT name, seq FROM ${S}.sqlite_sequence WHERE name IN (${list})`);
}

function createAll(db: Db, objects: SchemaObject[]): void {
  for (const object of objects) db.exec(object.sql);
}

/** Replaces everything in main by the stage's content. */
function swapAll(db: Db, main: Schema, stage: Schema, options: SwapOptions, result: SwapResult): void {
  for (const trigger of main.triggers) db.exec(`DROP TRIGGER IF EXISTS main.${quoteIdent(trigger.name)}`);
  for (const view of main.views) db.exec(`DROP VIEW IF EXISTS main.${quoteIdent(view.name)}`);
  // Virtual tables first: dropping one drops its shadow tables, which are not in main.tables.
  for (const table of [...main.tables.filter((t) => t.virtual), ...main.tables.filter((t) => !t.virtual)]) {
    db.exec(`DROP TABLE IF EXISTS main.${quoteIdent(table.name)}`);
  }
  for (const index of main.indexes) db.exec(`DROP INDEX IF EXISTS main.${quoteIdent(index.name)}`);
  restoreTables(db, stage.tables, options, result);
  createAll(db, stage.indexes);
  createAll(db, stage.views);
  createAll(db, stage.triggers);
  if (options.copyHeader) {
    db.exec(`PRAGMA main.user_version = ${stage.userVersion}`);
    db.exec(`PRAGMA main.application_id = ${stage.applicationId}`);
  }
  result.objects = { ...result.objects, views: stage.views.length, triggers: stage.triggers.length };
}

/** Creates the tables, copies their rows (virtual tables after the regular ones) and their AUTOINCREMENT counters. */
function restoreTables(db: Db, tables: TableShape[], options: SwapOptions, result: SwapResult): void {
  for (const table of tables) db.exec(table.sql);
  for (const table of [...tables.filter((t) => !t.virtual), ...tables.filter((t) => t.virtual)]) {
    const rows = copyRows(db, table);
    result.rows += rows;
    result.tables++;
    if (isContentless(table)) result.warnings.push(`virtual table ${quoteIdent(table.name)} is contentless: rebuild its index`);
    options.onProgress?.({ phase: 'swap', table: table.name, rows: result.rows, bytes: options.bytes });
  }
  copySequences(
    db,
    tables.filter((t) => t.autoincrement).map((t) => t.name),
  );
  result.objects = { ...result.objects, tables: result.objects.tables + tables.length };
}

/** Replaces only the named tables (definition, rows, indexes, triggers, AUTOINCREMENT counter). */
function swapTables(db: Db, main: Schema, stage: Schema, names: string[], options: SwapOptions, result: SwapResult): void {
  const wanted = new Set(names.map(lower));
  const chosen = stage.tables.filter((t) => wanted.has(lower(t.name)));
  const missing = names.filter((n) => !chosen.some((t) => lower(t.name) === lower(n)));
  if (missing.length > 0) {
    throw new SqliteRestoreError(`table(s) not in the dump: ${missing.map(quoteIdent).join(', ')}`);
  }
  const clash = main.views.filter((v) => wanted.has(lower(v.name)));
  if (clash.length > 0) {
    throw new SqliteRestoreError(`cannot restore table(s) over view(s) of the same name: ${clash.map((v) => quoteIdent(v.name)).join(', ')}`);
  }
  // Dropping a table drops its indexes and triggers too.
  for (const table of main.tables.filter((t) => wanted.has(lower(t.name)))) db.exec(`DROP TABLE main.${quoteIdent(table.name)}`);
  restoreTables(db, chosen, options, result);
  createAll(db, stage.indexes.filter((i) => wanted.has(lower(i.tblName))));
  const triggers = stage.triggers.filter((t) => wanted.has(lower(t.tblName)));
  createAll(db, triggers);
  result.objects = { ...result.objects, triggers: triggers.length };
}

const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

function isBusy(error: unknown): boolean {
  const code = sqliteResultCode(error);
  return code === SQLITE_BUSY || code === SQLITE_LOCKED;
}

function busyError(file: string, timeoutMs: number, step: string): SqliteRestoreError {
  return new SqliteRestoreError(
    `the database ${file} is locked by another connection (waited ${Math.round(timeoutMs / 1000)} s to ${step}); nothing was changed — retry when it is less busy`,
  );
}

/**
 * On `db` (the target, with foreign_keys OFF and the stage attached as lifeboat_stage): copies the
 * stage over main in one BEGIN IMMEDIATE ... COMMIT. On any error main is rolled back untouched.
 */
export function swapIn(db: Db, file: string, busyTimeoutMs: number, options: SwapOptions): SwapResult {
  const stage = readSchema(db, STAGE);
  const result: SwapResult = {
    tables: 0,
    rows: 0,
    objects: { tables: 0, views: 0, triggers: 0, routines: 0, events: 0, sequences: 0 },
    warnings: stage.unreadable.map((t) => `table ${quoteIdent(t.name)} of the dump cannot be read (${t.reason}): not restored`),
  };
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (error) {
    if (isBusy(error)) throw busyError(file, busyTimeoutMs, 'start writing');
    throw error;
  }
  try {
    const main = readSchema(db, 'main');
    result.warnings.push(...main.unreadable.map((t) => `table ${quoteIdent(t.name)} of the database cannot be read (${t.reason}): left as it is`));
    if (options.tables) swapTables(db, main, stage, options.tables, options, result);
    else swapAll(db, main, stage, options, result);
    if (options.commitMarker) db.exec(`CREATE TABLE main.${quoteIdent(options.commitMarker)} (committed INTEGER)`);
    try {
      db.exec('COMMIT');
    } catch (error) {
      if (isBusy(error)) throw busyError(file, busyTimeoutMs, 'commit (readers kept the database open)');
      throw error;
    }
  } catch (error) {
    if (error instanceof SqliteRestoreError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new SqliteRestoreError(`could not swap the restored content into ${file}: ${reason}; nothing was changed`);
  } finally {
    if (db.isTransaction) db.exec('ROLLBACK');
  }
  return result;
}
