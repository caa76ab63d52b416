// Whether the columns a dump read for every table at its start (one information_schema.COLUMNS query,
// instead of one per table: that query was the largest part of the cost of a small table) still
// describe a table when its turn comes. A table may have been altered in between; its SHOW CREATE
// TABLE, read under the table's metadata lock (so nothing changes it any more), is compared with
// everything the dump takes from the columns: names and order, type, character set, nullability,
// generated, primary key and ON UPDATE. Any doubt answers "changed", and the dump reads the columns
// again: a false "changed" costs one query, a false "unchanged" would write wrong literals.
import { columnOf, createLayout, isGenerated, unquote } from './create-layout.js';
import type { ColumnInfo } from './values.js';

/** String literals ('...' with '' or backslash escapes) and quoted names, which may contain any words. */
const QUOTED = /'(?:[^'\\]|\\.|'')*'|`(?:[^`]|``)*`/g;

export function columnsMatchDefinition(columns: ColumnInfo[], create: string): boolean {
  // The layout helpers read bytes as latin1 (names come back as UTF-8 through unquote).
  const layout = createLayout(Buffer.from(create, 'utf8'));
  if (layout === null) return false;
  const lines = layout.body.filter((line) => columnOf(line) !== undefined);
  if (lines.length !== columns.length) return false;
  const tableCharset = /\bDEFAULT CHARSET=(\w+)/.exec(layout.tail)?.[1];
  const primaryKey = primaryKeyColumns(layout.body);
  return columns.every((column, i) => {
    const quotedName = columnOf(lines[i]) as string;
    if (unquote(quotedName) !== column.name) return false;
    const definition = Buffer.from(lines[i].slice(2 + quotedName.length + 1), 'latin1').toString('utf8');
    if (!definition.startsWith(column.columnType)) return false;
    const rest = definition.slice(column.columnType.length);
    if (rest !== '' && !rest.startsWith(' ')) return false; // int(11) is not int(111)
    return attributesMatch(column, rest.replace(QUOTED, "''"), tableCharset) && primaryKey.has(column.name) === (column.primaryKey ?? false);
  });
}

/** The column attributes after the type, with quoted text blanked out. */
function attributesMatch(column: ColumnInfo, attributes: string, tableCharset: string | undefined): boolean {
  // isGenerated looks at the whole line; the leading space stands in for the name before it.
  if (isGenerated(' ' + attributes) !== column.generated) return false;
  if (/(?<!\bIS) NOT NULL\b/i.test(attributes) === column.nullable) return false;
  if (/\bON UPDATE\b/i.test(attributes) !== (column.autoUpdated ?? false)) return false;
  if (column.charset === null) return !/\b(?:CHARACTER SET|COLLATE)\b/i.test(attributes.split('(')[0]);
  return columnCharset(attributes, tableCharset) === column.charset;
}

/** The character set a text column is stored in: its own clause, else the table's default. */
function columnCharset(attributes: string, tableCharset: string | undefined): string | undefined {
  // Clauses of the column itself come before any expression (a CAST in a generated column has its own).
  const clauses = attributes.split('(')[0];
  const charset = /\bCHARACTER SET (\w+)/i.exec(clauses)?.[1];
  if (charset !== undefined) return charset;
  const collation = /\bCOLLATE (\w+)/i.exec(clauses)?.[1];
  if (collation !== undefined && (tableCharset === undefined || !collation.startsWith(`${tableCharset}_`))) return undefined;
  return tableCharset;
}

/** The columns of the PRIMARY KEY clause (empty without one: a stand-in unique key is not guessed). */
function primaryKeyColumns(body: string[]): Set<string> {
  const clause = body.find((line) => line.startsWith('  PRIMARY KEY ('));
  return new Set(clause === undefined ? [] : (clause.match(/`(?:[^`]|``)*`/g) ?? []).map(unquote));
}
