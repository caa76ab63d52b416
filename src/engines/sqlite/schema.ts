// What a SQLite database (main or an attached one) holds, read from sqlite_schema and the pragmas:
// the objects in creation order, and for each table the columns a dump or a copy must carry.
import { queryAll, scalar, type SqliteDb } from '../../sql/sqlite.js';
import { quoteIdent, type TextEncoding } from './literals.js';

export type Db = SqliteDb;

export interface SchemaObject {
  type: 'table' | 'index' | 'view' | 'trigger';
  name: string;
  /** The table an index or trigger belongs to (the object itself for tables and views). */
  tblName: string;
  sql: string;
}

export interface TableShape {
  name: string;
  sql: string;
  virtual: boolean;
  /** Stored, insertable columns: generated and hidden columns left out. */
  columns: string[];
  /**
   * The name under which the rowid is copied explicitly ("rowid", "_rowid_" or "oid", whichever no
   * column shadows), or null when there is none to keep: WITHOUT ROWID, an INTEGER PRIMARY KEY
   * (it is the rowid and already a column), a virtual table other than FTS.
   */
  rowid: string | null;
  /** The column that holds the rowid (the copied rowid or the INTEGER PRIMARY KEY), to read in rowid order. */
  orderBy: string | null;
  autoincrement: boolean;
}

export interface Schema {
  encoding: TextEncoding;
  userVersion: number;
  applicationId: number;
  /** Tables (regular and virtual) that a dump carries, in creation order. */
  tables: TableShape[];
  indexes: SchemaObject[];
  views: SchemaObject[];
  triggers: SchemaObject[];
  /** Tables that belong to a virtual table (FTS5 _data, _idx, ...): created by its CREATE VIRTUAL TABLE. */
  shadow: Set<string>;
  /** Tables that could not be read (a virtual table whose module is not available), with the reason. */
  unreadable: { name: string; reason: string }[];
}

interface XinfoRow {
  name: string;
  type: string;
  pk: number;
  hidden: number;
}

export function isInternal(name: string): boolean {
  return name.toLowerCase().startsWith('sqlite_');
}

/** The module of a CREATE VIRTUAL TABLE statement, lower case ('fts5', 'rtree', ...). */
export function virtualModule(sql: string): string {
  return /\bUSING\s+([A-Za-z0-9_]+)/i.exec(sql)?.[1]?.toLowerCase() ?? '';
}

function pickRowidName(columns: XinfoRow[]): string | null {
  const taken = new Set(columns.map((c) => c.name.toLowerCase()));
  return ['rowid', '_rowid_', 'oid'].find((n) => !taken.has(n)) ?? null;
}

/** Reads the schema of `schemaName` ('main' or an attached database) on `db`. */
export function readSchema(db: Db, schemaName = 'main'): Schema {
  const s = quoteIdent(schemaName);
  const pragma = (name: string): unknown => scalar(db, `PRAGMA ${s}.${name}`);
  const encoding = String(scalar(db, 'PRAGMA encoding')) as TextEncoding;
  const objects = queryAll<SchemaObject>(db, `SELECT type, name, tbl_name AS tblName, sql FROM ${s}.sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid`);
  const listed = queryAll<{ name: string; type: string; wr: number }>(db, 'SELECT name, type, wr FROM pragma_table_list WHERE schema = ?', schemaName);
  const kinds = new Map(listed.map((t) => [t.name, t]));
  const shadow = new Set(listed.filter((t) => t.type === 'shadow').map((t) => t.name));
  const schema: Schema = {
    encoding,
    userVersion: Number(pragma('user_version')),
    applicationId: Number(pragma('application_id')),
    tables: [],
    indexes: [],
    views: [],
    triggers: [],
    shadow,
    unreadable: [],
  };
  for (const object of objects) {
    if (isInternal(object.name)) continue;
    if (object.type === 'index') schema.indexes.push(object);
    else if (object.type === 'view') schema.views.push(object);
    else if (object.type === 'trigger') schema.triggers.push(object);
    else if (object.type === 'table' && !shadow.has(object.name)) {
      const shape = tableShape(db, schemaName, object, kinds.get(object.name)?.wr === 1);
      if (typeof shape === 'string') schema.unreadable.push({ name: object.name, reason: shape });
      else schema.tables.push(shape);
    }
  }
  return schema;
}

/** The table's shape, or why it cannot be read. */
function tableShape(db: Db, schemaName: string, object: SchemaObject, withoutRowid: boolean): TableShape | string {
  const virtual = /^\s*CREATE\s+VIRTUAL\b/i.test(object.sql);
  let xinfo: XinfoRow[];
  try {
    xinfo = queryAll<XinfoRow>(db, 'SELECT name, type, pk, hidden FROM pragma_table_xinfo(?, ?) ORDER BY cid', object.name, schemaName);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const columns = xinfo.filter((c) => c.hidden === 0).map((c) => c.name);
  let rowid: string | null = null;
  let orderBy: string | null = null;
  if (virtual) {
    // FTS tables keep their rowids (external content links rows by rowid); rtree's id column is its rowid.
    if (/^fts[345]$/.test(virtualModule(object.sql))) rowid = pickRowidName(xinfo);
  } else if (!withoutRowid) {
    const pk = xinfo.filter((c) => c.pk > 0);
    const pkIndex = scalar(db, "SELECT count(*) FROM pragma_index_list(?, ?) WHERE origin = 'pk'", object.name, schemaName) !== 0;
    // An INTEGER PRIMARY KEY is the rowid itself, except when declared DESC, which gives it an index.
    const aliased = pk.length === 1 && pk[0].type.toUpperCase() === 'INTEGER' && !pkIndex;
    if (!aliased) rowid = pickRowidName(xinfo);
    orderBy = aliased ? pk[0].name : rowid;
  }
  return {
    name: object.name,
    sql: object.sql,
    virtual,
    columns,
    rowid,
    orderBy,
    autoincrement: !virtual && /\bAUTOINCREMENT\b/i.test(object.sql),
  };
}

/** `"rowid","a","b"`: the column list that a dump's INSERT and a copy's SELECT both use. */
export function columnList(table: TableShape): string {
  const names = table.rowid ? [table.rowid, ...table.columns] : table.columns;
  return names.map(quoteIdent).join(',');
}
