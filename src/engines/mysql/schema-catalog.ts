// Reads what a dump needs to know about a schema: its tables, columns and other objects, and their
// SHOW CREATE statements. Runs on the dump's connection, inside its snapshot transaction.
import type { MysqlConnection } from './connect.js';
import { quoteIdentifier, type ColumnInfo } from './values.js';

export interface TableInfo {
  name: string;
  /** 'BASE TABLE' or 'SYSTEM VERSIONED' (MariaDB). */
  type: string;
  engine: string;
  /** Whether the engine takes part in the consistent snapshot (InnoDB: yes; MyISAM, Aria, MEMORY: no). */
  transactional: boolean;
  /** The server's estimate of the data's size (DATA_LENGTH), to read large tables first. */
  dataBytes: number;
}

/** A trigger, routine, event or view: its CREATE statement and the session it must be created in. */
export interface ObjectDefinition {
  kind: 'trigger' | 'function' | 'procedure' | 'event' | 'view';
  name: string;
  /** For triggers: the table they belong to. */
  table?: string;
  createStatement: string;
  sqlMode?: string;
  characterSetClient: string;
  collationConnection: string;
  /** For events: the time zone their schedule is written in. */
  timeZone?: string;
  /** The owner, `user@host` as information_schema shows it (the dump leaves the DEFINER clause out). */
  definer: string;
}

export interface SequenceInfo {
  name: string;
  createStatement: string;
  nextValue: string;
  cycleCount: string;
}

type Row = Record<string, unknown>;

async function rows(conn: MysqlConnection, sql: string, params: unknown[] = []): Promise<Row[]> {
  const [result] = await conn.query(sql, params);
  return result as Row[];
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

/** Tables and sequences, by name. Views are read separately. */
export async function listTables(conn: MysqlConnection, database: string): Promise<{ tables: TableInfo[]; sequences: string[] }> {
  const list = await rows(
    conn,
    `SELECT t.TABLE_NAME AS name, t.TABLE_TYPE AS type, t.ENGINE AS engine, e.TRANSACTIONS AS transactions,
            COALESCE(t.DATA_LENGTH, 0) AS dataBytes
       FROM information_schema.TABLES t LEFT JOIN information_schema.ENGINES e ON e.ENGINE = t.ENGINE
      WHERE t.TABLE_SCHEMA = ? AND t.TABLE_TYPE <> 'VIEW'
      ORDER BY t.TABLE_NAME`,
    [database],
  );
  const tables: TableInfo[] = [];
  const sequences: string[] = [];
  for (const row of list) {
    const name = text(row.name);
    const type = text(row.type);
    if (type === 'SEQUENCE') sequences.push(name);
    else tables.push({ name, type, engine: text(row.engine), transactional: text(row.transactions) === 'YES', dataBytes: Number(row.dataBytes) });
  }
  return { tables, sequences };
}

/** Columns of every table in the schema (or of one table), in table order. */
export async function listColumns(conn: MysqlConnection, database: string, table?: string): Promise<Map<string, ColumnInfo[]>> {
  const list = await rows(
    conn,
    `SELECT TABLE_NAME AS tableName, COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType,
            CHARACTER_SET_NAME AS charset, CHARACTER_MAXIMUM_LENGTH AS maxLength, EXTRA AS extra,
            IS_NULLABLE AS nullable, COLUMN_KEY AS columnKey
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ${table === undefined ? '' : 'AND TABLE_NAME = ?'}
      ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    table === undefined ? [database] : [database, table],
  );
  const byTable = new Map<string, ColumnInfo[]>();
  for (const row of list) {
    const table = text(row.tableName);
    const extra = text(row.extra);
    const columns = byTable.get(table) ?? [];
    columns.push({
      name: text(row.name),
      dataType: text(row.dataType).toLowerCase(),
      columnType: text(row.columnType),
      charset: row.charset === null ? null : text(row.charset),
      maxLength: row.maxLength === null ? null : Number(row.maxLength),
      // MariaDB: VIRTUAL GENERATED / STORED GENERATED (also system-versioning row start/end); MySQL the same.
      // MySQL's DEFAULT_GENERATED (a DEFAULT expression) is an ordinary column.
      generated: /\b(VIRTUAL|STORED|PERSISTENT) GENERATED\b/i.test(extra),
      nullable: text(row.nullable) !== 'NO',
      primaryKey: text(row.columnKey) === 'PRI',
      autoUpdated: /\bon update\b/i.test(extra),
    });
    byTable.set(table, columns);
  }
  return byTable;
}

/**
 * SRIDs declared on geometry columns (REF_SYSTEM_ID=n), per table and column. MariaDB keeps them but its
 * SHOW CREATE TABLE does not print them, so the dump adds them back. Empty where the view is missing.
 */
export async function listGeometrySrids(conn: MysqlConnection, database: string): Promise<Map<string, Map<string, number>>> {
  const result = new Map<string, Map<string, number>>();
  let list: Row[];
  try {
    list = await rows(
      conn,
      `SELECT G_TABLE_NAME AS tableName, G_GEOMETRY_COLUMN AS columnName, SRID AS srid
         FROM information_schema.GEOMETRY_COLUMNS WHERE G_TABLE_SCHEMA = ? AND SRID <> 0`,
      [database],
    );
  } catch {
    return result; // MySQL: no such view, and SHOW CREATE TABLE prints SRID itself
  }
  for (const row of list) {
    const table = text(row.tableName);
    const columns = result.get(table) ?? new Map<string, number>();
    columns.set(text(row.columnName), Number(row.srid));
    result.set(table, columns);
  }
  return result;
}

export async function showCreateTable(conn: MysqlConnection, table: string): Promise<string> {
  const [row] = await rows(conn, `SHOW CREATE TABLE ${quoteIdentifier(table)}`);
  return text(row['Create Table']);
}

export async function readSequence(conn: MysqlConnection, name: string): Promise<SequenceInfo> {
  const [create] = await rows(conn, `SHOW CREATE SEQUENCE ${quoteIdentifier(name)}`);
  const [state] = await rows(conn, `SELECT next_not_cached_value AS nextValue, cycle_count AS cycleCount FROM ${quoteIdentifier(name)}`);
  return { name, createStatement: text(create['Create Table']), nextValue: text(state.nextValue), cycleCount: text(state.cycleCount) };
}

/** Views with their definitions, in name order (dependency order is decided by the writer). */
export async function listViews(conn: MysqlConnection, database: string): Promise<{ definition: ObjectDefinition; columns: string[] }[]> {
  const names = await rows(conn, `SELECT TABLE_NAME AS name, DEFINER AS definer FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`, [database]);
  const result: { definition: ObjectDefinition; columns: string[] }[] = [];
  for (const { name, definer } of names) {
    const viewName = text(name);
    const [row] = await rows(conn, `SHOW CREATE VIEW ${quoteIdentifier(viewName)}`);
    const columns = await rows(
      conn,
      `SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [database, viewName],
    );
    result.push({
      definition: {
        kind: 'view',
        name: viewName,
        createStatement: text(row['Create View']),
        characterSetClient: text(row.character_set_client),
        collationConnection: text(row.collation_connection),
        definer: text(definer),
      },
      columns: columns.map((c) => text(c.name)),
    });
  }
  return result;
}

/** Triggers per table, in the order they fire (creating them in this order keeps FOLLOWS/PRECEDES). */
export async function listTriggers(conn: MysqlConnection, database: string): Promise<ObjectDefinition[]> {
  const list = await rows(
    conn,
    `SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tableName, DEFINER AS definer FROM information_schema.TRIGGERS
      WHERE TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER`,
    [database],
  );
  const result: ObjectDefinition[] = [];
  for (const { name, tableName, definer } of list) {
    const [row] = await rows(conn, `SHOW CREATE TRIGGER ${quoteIdentifier(text(name))}`);
    result.push({
      kind: 'trigger',
      name: text(name),
      table: text(tableName),
      createStatement: text(row['SQL Original Statement']),
      sqlMode: text(row.sql_mode),
      characterSetClient: text(row.character_set_client),
      collationConnection: text(row.collation_connection),
      definer: text(definer),
    });
  }
  return result;
}

export async function listRoutines(conn: MysqlConnection, database: string): Promise<ObjectDefinition[]> {
  const list = await rows(
    conn,
    `SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type, DEFINER AS definer FROM information_schema.ROUTINES
      WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE IN ('FUNCTION', 'PROCEDURE') ORDER BY ROUTINE_TYPE, ROUTINE_NAME`,
    [database],
  );
  const result: ObjectDefinition[] = [];
  for (const { name, type, definer } of list) {
    const kind = text(type) === 'FUNCTION' ? 'function' : 'procedure';
    const [row] = await rows(conn, `SHOW CREATE ${kind.toUpperCase()} ${quoteIdentifier(text(name))}`);
    const statement = row[kind === 'function' ? 'Create Function' : 'Create Procedure'];
    if (statement === null || statement === undefined) {
      throw new Error(`cannot read the definition of ${kind} ${text(name)}: the dump user needs SHOW CREATE ROUTINE (or SELECT on mysql.proc)`);
    }
    result.push({
      kind,
      name: text(name),
      createStatement: text(statement),
      sqlMode: text(row.sql_mode),
      characterSetClient: text(row.character_set_client),
      collationConnection: text(row.collation_connection),
      definer: text(definer),
    });
  }
  return result;
}

export async function listEvents(conn: MysqlConnection, database: string): Promise<ObjectDefinition[]> {
  const list = await rows(conn, `SELECT EVENT_NAME AS name, DEFINER AS definer FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY EVENT_NAME`, [database]);
  const result: ObjectDefinition[] = [];
  for (const { name, definer } of list) {
    const [row] = await rows(conn, `SHOW CREATE EVENT ${quoteIdentifier(text(name))}`);
    result.push({
      kind: 'event',
      name: text(name),
      createStatement: text(row['Create Event']),
      sqlMode: text(row.sql_mode),
      timeZone: text(row.time_zone),
      characterSetClient: text(row.character_set_client),
      collationConnection: text(row.collation_connection),
      definer: text(definer),
    });
  }
  return result;
}

/**
 * The statement's bytes in the character set it was written in (the object's character_set_client), so
 * that it means the same when replayed under that character_set_client (as mysqldump does). The server
 * converts; UTF-8 sessions need nothing.
 */
export async function encodeForClient(conn: MysqlConnection, statement: string, charset: string): Promise<Buffer> {
  if (/^utf8(mb3|mb4)?$/i.test(charset) || /^[\x20-\x7e\t\r\n]*$/.test(statement)) return Buffer.from(statement, 'utf8');
  const [row] = await rows(conn, `SELECT CAST(CONVERT(? USING ${charset.replace(/[^A-Za-z0-9_]/g, '')}) AS BINARY) AS bytes`, [statement]);
  const bytes = row.bytes;
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(text(bytes), 'utf8');
}
