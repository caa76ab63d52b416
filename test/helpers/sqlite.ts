// Reading SQLite files in tests with node:sqlite: one column, or rows as arrays.
import { DatabaseSync } from 'node:sqlite';

type Param = string | number | bigint | null | Uint8Array;

/** The first column of every row. */
export function column<T = unknown>(db: DatabaseSync, sql: string, ...params: Param[]): T[] {
  return rowArrays(db, sql, ...params).map((row) => row[0] as T);
}

/** The first column of the first row. */
export function value<T = unknown>(db: DatabaseSync, sql: string, ...params: Param[]): T | undefined {
  return column<T>(db, sql, ...params)[0];
}

/** The first column of the first row, read from the database file `file` (opened read-only, then closed). */
export function valueInFile<T = unknown>(file: string, sql: string): T | undefined {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return value<T>(db, sql);
  } finally {
    db.close();
  }
}

/** Every row as an array of its values. */
export function rowArrays(db: DatabaseSync, sql: string, ...params: Param[]): unknown[][] {
  const statement = db.prepare(sql);
  statement.setReturnArrays(true);
  return statement.all(...params) as unknown as unknown[][];
}

/** Every row as an array of its values, integers as bigint (none rounded). */
export function rowArraysExact(db: DatabaseSync, sql: string): unknown[][] {
  const statement = db.prepare(sql);
  statement.setReturnArrays(true);
  statement.setReadBigInts(true);
  return statement.all() as unknown as unknown[][];
}

/** Every table's rows, in rowid order, of the database file `file`: equal digests mean equal data. */
export function tableRowsDigest(file: string): string {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
    return tables.map((t) => JSON.stringify(rowArrays(db, `SELECT * FROM "${t.name}" ORDER BY rowid`))).join('\n');
  } finally {
    db.close();
  }
}
