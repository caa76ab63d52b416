// The database under Lifeboat's own state: a local SQLite file (the default) or a MySQL/MariaDB schema
// of its own (LIFEBOAT_STATE_URL, for several servers sharing one state). The stores (state.ts,
// accounts.ts) are written once against this interface in SQL both understand; the two places where
// the dialects differ (upserts, inserts that may meet their unique key) are methods here.
import type { MysqlTarget } from '../engines/target.js';

export type StateDialect = 'sqlite' | 'mysql';

/** Where the state lives: `<home>/lifeboat.db`, or the MySQL/MariaDB schema of LIFEBOAT_STATE_URL. */
export interface StateLocation {
  home: string;
  stateTarget?: MysqlTarget;
}

export type Row = Record<string, unknown>;

export interface StateDb {
  readonly dialect: StateDialect;
  /**
   * Appended to a SELECT inside a transaction that writes back what it read: ' FOR UPDATE' in MySQL
   * (whose plain reads do not lock); '' in SQLite, whose write transaction locks the whole file.
   */
  readonly forUpdate: string;
  all<T>(sql: string, params?: unknown[]): Promise<T[]>;
  get<T>(sql: string, params?: unknown[]): Promise<T | undefined>;
  /** Runs a write; the number of rows it changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
  /** Inserts the row; false when a row with the same unique key exists (the insert is the claim). */
  insertUnique(table: string, row: Row): Promise<boolean>;
  /** Inserts the row, or updates `update` columns of the row with the same `key`. */
  upsert(table: string, row: Row, key: string[], update: string[]): Promise<void>;
  /** Runs `work` in one transaction (on one connection); commits when it resolves, rolls back when it throws. */
  transaction<T>(work: (tx: StateDb) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Uses a store and closes it again, also when `use` throws. */
export async function usingStore<S extends { close(): Promise<void> }, T>(store: S, use: (store: S) => Promise<T> | T): Promise<T> {
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** Backticks: both SQLite and MySQL read them as identifier quotes (`key` and `trigger` are reserved in MySQL). */
export const quoteName = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/** `INSERT INTO t (a, b) VALUES (?, ?)` with its values, for a row object. */
export function insertSql(table: string, row: Row, verb = 'INSERT'): { sql: string; params: unknown[] } {
  const columns = Object.keys(row);
  return {
    sql: `${verb} INTO ${quoteName(table)} (${columns.map(quoteName).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
    params: Object.values(row),
  };
}

export function upsertSql(dialect: StateDialect, table: string, row: Row, key: string[], update: string[]): { sql: string; params: unknown[] } {
  const insert = insertSql(table, row);
  const tail =
    dialect === 'sqlite'
      ? ` ON CONFLICT (${key.map(quoteName).join(', ')}) DO UPDATE SET ${update.map((c) => `${quoteName(c)} = excluded.${quoteName(c)}`).join(', ')}`
      : ` ON DUPLICATE KEY UPDATE ${update.map((c) => `${quoteName(c)} = VALUES(${quoteName(c)})`).join(', ')}`;
  return { sql: insert.sql + tail, params: insert.params };
}
