// Values too long for one statement of the dump (beyond the row budget, a few MiB of SQL). The row's
// INSERT carries the value's first piece; after the table's INSERTs, `UPDATE t SET c = CONCAT(c, <piece>)
// WHERE <primary key>` statements append the rest, piece by piece, read from the same snapshot with
// SUBSTRING. Every statement then stays within the budget whatever the size of the value: neither the
// dump nor the restore ever holds a whole large value, and a value whose literal (hex or escaped: up to
// twice its size) would not fit max_allowed_packet still backs up and loads back, with the stock client
// too.
//
// What appending this way takes:
// - the row is found again by its primary key: tables without one keep whole values (bound by
//   max_allowed_packet, as every value was before);
// - the INSERT holds the real first piece, not an empty placeholder, so that a unique index on a prefix
//   of the column never sees two rows collide on a placeholder;
// - ON UPDATE CURRENT_TIMESTAMP columns are set to themselves in each UPDATE, which keeps their value;
// - a CHECK constraint (MariaDB's JSON columns have one) would refuse the partial value: MariaDB's
//   check_constraint_checks goes off before the first such row of a table that has one (CHECKS_OFF) and
//   back on after its pieces. MySQL has no such switch, so dumps of MySQL keep whole values (the caller
//   decides);
// - triggers are written after the table's data and FOREIGN_KEY_CHECKS=0 keeps cascades off, so the
//   UPDATEs fire nothing; system-versioned tables keep whole values (each UPDATE would add history), and
//   so do non-transactional ones (MyISAM, Aria: outside the snapshot, a value could change between two
//   pieces).
// Text is cut by characters (SUBSTRING counts characters in text columns), so that no piece ends inside a
// multi-byte character, which the server would refuse.
import type { SqlSink } from '../engine.js';
import type { MysqlConnection } from './connect.js';
import { escapeLineBreaks, formatLargeValue, literalExpression, literalKind, quoteIdentifier, quoteString, rawExpression, type ColumnInfo } from './values.js';

/**
 * The string types whose values CONCAT can build up piece by piece. Not CHAR and BINARY: they pad a first
 * piece (CHAR drops its trailing spaces when read back, BINARY fills it up with zero bytes), so appending
 * to it would not give the value back; they are short enough to be written whole anyway.
 */
const PIECEWISE_TYPES = new Set(['varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);

export const CHECKS_OFF = Buffer.from('/*M!100201 SET @LIFEBOAT_OLD_CHECKS=@@CHECK_CONSTRAINT_CHECKS, CHECK_CONSTRAINT_CHECKS=0 */;\n');
export const CHECKS_ON = Buffer.from('/*M!100201 SET CHECK_CONSTRAINT_CHECKS=@LIFEBOAT_OLD_CHECKS */;\n');

/** A column whose long values are written in pieces; `units` (characters, bytes for binary) per piece. */
export interface PieceColumn {
  column: ColumnInfo;
  units: number;
}

/** A value still to be appended after the table's INSERTs. */
export interface PendingValue {
  /** The row's primary key as a SQL condition. */
  where: string;
  piece: PieceColumn;
}

export function canWriteInPieces(column: ColumnInfo): boolean {
  return PIECEWISE_TYPES.has(column.dataType);
}

/** How many units of the column's value fit a literal of `literalBytes` bytes, whatever its content. */
export function unitsFitting(column: ColumnInfo, literalBytes: number): number {
  // Hex doubles bytes. Quoted text (UTF-8) takes at most 4 bytes a character: only one-byte characters
  // are ever escaped (to 2 bytes). Hexed text (other character sets) is up to 4 bytes a character, doubled.
  const kind = literalKind(column);
  const perUnit = kind === 'binary' ? 2 : kind === 'text' ? 4 : 8;
  return Math.max(1, Math.floor((literalBytes - 48) / perUnit));
}

function lengthFunction(column: ColumnInfo): string {
  return literalKind(column) === 'binary' ? 'LENGTH' : 'CHAR_LENGTH';
}

/**
 * A SELECT expression that is NULL for rows none of whose piece columns is longer than its first piece,
 * and otherwise one '1'/'0' per piece column (longer or not) followed by the row's primary key condition.
 * LENGTH (bytes, O(1)) is tested first: a value of at most n bytes has at most n characters.
 */
export function pendingExpression(pieces: PieceColumn[], key: ColumnInfo[]): string {
  const longer = pieces.map(({ column, units }) => {
    const c = quoteIdentifier(column.name);
    return `(LENGTH(${c})>${units} AND ${lengthFunction(column)}(${c})>${units})`;
  });
  const where = key.map((k, i) => `${quoteString(`${i > 0 ? ' AND ' : ''}${quoteIdentifier(k.name)}=`)},${literalExpression(k)}`).join(',');
  return `IF(${longer.join(' OR ')},CAST(CONCAT(${longer.map((l) => `IF(${l},'1','0')`).join(',')},${where}) AS BINARY),NULL)`;
}

/** The values a row's pendingExpression result says are still to be appended. */
export function pendingValues(marks: Buffer, pieces: PieceColumn[]): PendingValue[] {
  // The key's literals are the server's, as a row's are: line breaks escaped the same way.
  const where = escapeLineBreaks(marks.subarray(pieces.length)).toString('utf8');
  return pieces.filter((_, i) => marks[i] === 0x31).map((piece) => ({ where, piece }));
}

export interface PieceContext {
  conn: MysqlConnection;
  sink: SqlSink;
  maxAllowedPacket: number;
  /** Bytes one UPDATE may take. */
  statementLimit: number;
  signal?: AbortSignal;
}

/** Writes the UPDATEs that append the rest of every pending value of the table. */
export async function writeRemainingPieces(ctx: PieceContext, table: string, columns: ColumnInfo[], pending: PendingValue[]): Promise<void> {
  if (pending.length === 0) return;
  const t = quoteIdentifier(table);
  const keepTimes = columns
    .filter((c) => c.autoUpdated && !c.generated)
    .map((c) => `,${quoteIdentifier(c.name)}=${quoteIdentifier(c.name)}`)
    .join('');
  for (const { where, piece } of pending) {
    const c = quoteIdentifier(piece.column.name);
    const [total] = await firstRow(ctx.conn, `SELECT ${lengthFunction(piece.column)}(${c}) FROM ${t} WHERE ${where}`, table);
    const head = Buffer.from(`UPDATE ${t} SET ${c}=CONCAT(${c},`);
    const tail = Buffer.from(`)${keepTimes} WHERE ${where};\n`);
    const units = unitsFitting(piece.column, ctx.statementLimit - head.length - tail.length);
    for (let from = piece.units + 1; from <= Number(total); from += units) {
      ctx.signal?.throwIfAborted();
      const [raw] = await firstRow(ctx.conn, `SELECT ${rawExpression(piece.column, `SUBSTRING(${c},${from},${units})`)} FROM ${t} WHERE ${where}`, table);
      if (!Buffer.isBuffer(raw)) throw new Error(`internal error dumping ${table}: a piece of ${piece.column.name} came back as ${typeof raw}`);
      await ctx.sink.write(head);
      await ctx.sink.write(formatLargeValue(piece.column, raw, ctx.maxAllowedPacket));
      await ctx.sink.write(tail);
    }
  }
}

async function firstRow(conn: MysqlConnection, sql: string, table: string): Promise<unknown[]> {
  const [rows] = await conn.query({ sql, rowsAsArray: true });
  const row = (rows as unknown[][])[0];
  // The same snapshot that gave the row: it cannot have gone.
  if (!row) throw new Error(`internal error dumping ${table}: a row with a long value was not found again by its primary key`);
  return row;
}
