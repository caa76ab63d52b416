// Loads a dump into a fresh staging database file, statement by statement, inside one transaction.
// The staging file is throw-away: no journal, no fsync. Any failure names the statement's byte offset.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { splitStatements } from '../../sql/splitter.js';
import { openSqlite, prepareOne } from '../../sql/sqlite.js';
import type { RestoreOptions } from '../engine.js';
import type { TextEncoding } from './literals.js';
import type { Db } from './schema.js';

const PROGRESS_MS = 200;
const SNIPPET_CHARS = 120;

/** A restore failure; `offset` is the byte offset in the dump of the statement that failed. */
export class SqliteRestoreError extends Error {
  constructor(
    message: string,
    readonly offset?: number,
  ) {
    super(message);
    this.name = 'SqliteRestoreError';
  }
}

/**
 * `.lifeboat-rollback-<job>.<file>` beside the target, so that it is on the same file system; named after
 * the job when there is one (a person, or recovery, sees whose it is), else at random. The name starts as
 * a rollback's work folder does, so that file backups leave it out and a System rollback's file swap,
 * which runs while it exists, never moves it (archive/tree-rules.ts WORK_FOLDER_PREFIX).
 */
export function stagingPath(target: string, label?: string): string {
  return path.join(path.dirname(target), `${STAGING_FILE_PREFIX}${label ?? randomBytes(6).toString('hex')}.${path.basename(target)}`);
}

export const STAGING_FILE_PREFIX = '.lifeboat-rollback-';

export async function removeDatabaseFiles(file: string): Promise<void> {
  for (const suffix of ['', '-journal', '-wal', '-shm']) await rm(file + suffix, { force: true });
}

export function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('restore aborted');
}

export interface StageResult {
  statements: number;
  /** Bytes of the dump read. */
  bytes: number;
  /** The dump set PRAGMA user_version / application_id (Lifeboat dumps always do). */
  setsHeader: boolean;
}

type Kind = 'begin' | 'commit' | 'rollback' | 'foreign_keys' | 'header' | 'insert' | 'forbidden' | 'other';

function classify(sql: string): Kind {
  const word = /^[A-Za-z_]+/.exec(sql)?.[0].toUpperCase();
  if (word === 'INSERT') return 'insert';
  if (word === 'BEGIN') return 'begin';
  if (word === 'COMMIT' || word === 'END') return 'commit';
  // A dump only creates and fills objects; these would reach other files than the staging database.
  if (word === 'ATTACH' || word === 'DETACH' || word === 'VACUUM') return 'forbidden';
  if (word === 'ROLLBACK') return /^ROLLBACK\s*(TRANSACTION\s*)?$/i.test(sql) ? 'rollback' : 'other';
  if (word === 'PRAGMA') {
    if (/^PRAGMA\s+(main\s*\.\s*)?foreign_keys\b/i.test(sql)) return 'foreign_keys';
    if (/^PRAGMA\s+(main\s*\.\s*)?(user_version|application_id)\s*=/i.test(sql)) return 'header';
  }
  return 'other';
}

/** The table an `INSERT INTO x ...` writes to (unquoted), or undefined when it cannot tell. */
export function insertTarget(sql: string): string | undefined {
  const head = /^INSERT\s+(?:OR\s+[A-Za-z]+\s+)?INTO\s+/i.exec(sql);
  if (!head) return undefined;
  let rest = sql.slice(head[0].length);
  let name: string | undefined;
  for (;;) {
    const m = /^(?:"((?:[^"]|"")*)"|\[([^\]]*)\]|`((?:[^`]|``)*)`|([A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*))/.exec(rest);
    if (!m) return undefined;
    name = m[1]?.replace(/""/g, '"') ?? m[2] ?? m[3]?.replace(/``/g, '`') ?? m[4];
    rest = rest.slice(m[0].length);
    const dot = /^\s*\.\s*/.exec(rest);
    if (!dot) return name;
    rest = rest.slice(dot[0].length); // schema.table: the table is the last part
  }
}

function snippet(sql: string): string {
  const line = sql.replace(/\s+/g, ' ');
  return line.length > SNIPPET_CHARS ? `${line.slice(0, SNIPPET_CHARS)}...` : line;
}

/**
 * Creates `file` (which must not exist) with the target's text encoding and executes the dump in it.
 * With `options.tables`, INSERTs into other tables are skipped (their definitions are still loaded).
 */
export async function loadStage(file: string, sql: AsyncIterable<Buffer>, encoding: TextEncoding, options: RestoreOptions): Promise<StageResult> {
  let db: Db;
  try {
    db = openSqlite(file);
  } catch (error) {
    throw new SqliteRestoreError(`cannot create the staging database ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const only = options.tables?.length ? new Set(options.tables.map((t) => t.toLowerCase())) : undefined;
  const result: StageResult = { statements: 0, bytes: 0, setsHeader: false };
  let began = false;
  let lastKind: Kind | undefined;
  let lastProgress = 0;
  let rows = 0;
  let offset = 0;
  try {
    db.exec(`PRAGMA encoding = '${encoding}'; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF`);
    db.exec('BEGIN');
    for await (const statement of splitStatements(sql, 'sqlite')) {
      if (options.signal?.aborted) throw abortError(options.signal);
      offset = statement.offset;
      const text = statement.text.toString('utf8');
      const kind = classify(text);
      lastKind = kind;
      if (kind === 'rollback') {
        throw new SqliteRestoreError(`the dump rolls its transaction back at byte offset ${offset} (it was written after an error); refusing to restore it`, offset);
      }
      if (kind === 'forbidden') {
        throw new SqliteRestoreError(`statement at byte offset ${offset} is not allowed in a dump: [${snippet(text)}]`, offset);
      }
      if (kind === 'begin') began = true;
      if (kind === 'begin' || kind === 'commit' || kind === 'foreign_keys') continue; // one transaction of our own
      if (kind === 'header') result.setsHeader = true;
      if (kind === 'insert' && only) {
        const table = insertTarget(text);
        if (table !== undefined && !only.has(table.toLowerCase()) && table.toLowerCase() !== 'sqlite_sequence') continue;
      }
      try {
        prepareOne(db, text).run();
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new SqliteRestoreError(`statement at byte offset ${offset} of the dump failed: ${reason} [${snippet(text)}]`, offset);
      }
      result.statements++;
      result.bytes = statement.offset + statement.text.length + statement.delimiter.length;
      if (kind === 'insert') rows++;
      const now = Date.now();
      if (options.onProgress && now - lastProgress >= PROGRESS_MS) {
        lastProgress = now;
        const total = options.totalBytes !== undefined ? { totalBytes: options.totalBytes } : {};
        options.onProgress({ phase: 'restore', rows, bytes: result.bytes, ...total });
      }
    }
    if (began && lastKind !== 'commit') {
      throw new SqliteRestoreError(`the dump is incomplete: it does not end with COMMIT (last statement at byte offset ${offset})`, offset);
    }
    db.exec('COMMIT');
    return result;
  } finally {
    db.close();
  }
}
