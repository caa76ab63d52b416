// The unit of work of a dump: one table's rows as multi-row INSERT statements. Rows are formatted as SQL
// tuples in JavaScript from the protocol's bytes (row-tuples.ts); a table with columns too large to bound
// a row has the server format each row as one tuple instead, with the long values fetched raw. Rows
// stream in with backpressure and statements are flushed before they reach the statement limit, so
// memory stays flat whatever the size of the table.
import type { Connection as CoreConnection } from 'mysql2';
import type { SqlSink } from '../engine.js';
import type { MysqlConnection } from './connect.js';
import {
  escapeLineBreaks,
  formatLargeValue,
  literalExpansion,
  literalExpression,
  maxLiteralBytes,
  quoteIdentifier,
  rawExpression,
  type ColumnInfo,
} from './values.js';
import { onRawRows } from './raw-rows.js';
import { tupleFields, tupleRoom } from './row-tuples.js';
import { formatRow, STATEMENT_END, StatementBuilder } from './statement-builder.js';
import { CHECKS_OFF, CHECKS_ON, canWriteInPieces, pendingExpression, pendingValues, unitsFitting, writeRemainingPieces, type PendingValue, type PieceColumn } from './value-pieces.js';

export interface TableDataContext {
  conn: MysqlConnection;
  sink: SqlSink;
  /** The server's max_allowed_packet: no row may be formatted beyond it. */
  maxAllowedPacket: number;
  /** Statements are flushed before they exceed this many bytes (a row larger than it gets its own). */
  statementLimit: number;
  signal?: AbortSignal;
  /** Called after every piece of statements is written, with the rows it completed. */
  onRows: (rows: number) => void;
  /** Values longer than a statement may be appended in pieces (see value-pieces.ts for when not). */
  valuePieces?: boolean;
  /** The table has CHECK constraints, which a partial value could fail. */
  constraintChecks?: boolean;
}

export interface TableDataResult {
  rows: number;
  dataOffset: number;
  dataLength: number;
  /** Known once the frames before the table's are compressed (SqlSink.cut). */
  frameOffset: Promise<number>;
}

/** A dumped table; its frame offset may still be on its way (TableDataResult.frameOffset). */
export interface DumpedTable extends TableDataResult {
  name: string;
  /** Dumped without its rows (DumpOptions.withoutRows). */
  stripped?: true;
  /** Columns dumped with fake values (DumpOptions.fakeValues). */
  anonymized?: string[];
}

/** A column formatted in JavaScript when its value is longer than `threshold` bytes. */
interface LargeColumn {
  column: ColumnInfo;
  threshold: number;
}

export interface SelectPlan {
  sql: string;
  /** Set when the SELECT yields one field per column, formatted here (row-tuples.ts); else one tuple per row. */
  forms?: Uint8Array;
  /** Columns fetched raw (in result positions 1..n) when too large for the server to format. */
  large: LargeColumn[];
  /** Columns of `large` whose raw value is only a first piece (value-pieces.ts), in result position n+1. */
  pieces: PieceColumn[];
  insertPrefix: Buffer;
}

export interface SelectOptions {
  /** Bytes of SQL one row may take (the server's packet permitting); longer values are cut in pieces. */
  rowBudget?: number;
  /** Long values may be appended in pieces (the table has a primary key, see value-pieces.ts). */
  pieces?: boolean;
}

/** Room kept free in a packet for the statement's own text and the protocol. */
const PACKET_MARGIN = 16 * 1024;

/**
 * Builds the table's SELECT. When every column's literal is bounded so that a row surely fits half the
 * budget, it selects the columns (formatted by row-tuples.ts). Otherwise it produces each row as
 * `(v1,v2,...)` on the server, whose formatted length must stay within max_allowed_packet or the server
 * returns NULL (CONCAT's limit): columns that can hold large values get a length threshold; longer values
 * are replaced in the row by a NUL marker (a raw NUL never occurs in the server's literals: QUOTE escapes
 * it) and fetched raw in extra result columns.
 */
export function planSelect(table: string, allColumns: ColumnInfo[], maxAllowedPacket: number, options: SelectOptions = {}): SelectPlan | null {
  const columns = allColumns.filter((c) => !c.generated); // the server computes generated columns
  if (columns.length === 0) return null;
  const budget = Math.min(maxAllowedPacket - PACKET_MARGIN, options.rowBudget ?? Infinity);
  const key = options.pieces ? allColumns.filter((c) => c.primaryKey) : [];
  const bounds = columns.map((c) => maxLiteralBytes(c) + 1);
  // Unbounded columns (LONGBLOB, geometry ...) always get a threshold; then the largest bounded ones
  // until the rest is sure to fit in half the budget, leaving the other half to the thresholded ones.
  const large = new Set<number>(columns.map((_, i) => i).filter((i) => !Number.isFinite(bounds[i])));
  let inline = 2 + bounds.reduce((sum, bound, i) => (large.has(i) ? sum : sum + bound), 0);
  const bySize = columns.map((_, i) => i).filter((i) => !large.has(i)).sort((a, b) => bounds[b] - bounds[a]);
  for (const i of bySize) {
    if (inline <= budget / 2) break;
    large.add(i);
    inline -= bounds[i];
  }
  const names = columns.map((c) => quoteIdentifier(c.name)).join(',');
  const insertPrefix = Buffer.from(`INSERT INTO ${quoteIdentifier(table)} (${names}) VALUES `, 'utf8');
  if (large.size === 0) {
    const fields = tupleFields(columns);
    return { sql: `SELECT /*!40001 SQL_NO_CACHE */ ${fields.expressions.join(', ')} FROM ${quoteIdentifier(table)}`, forms: fields.forms, large: [], pieces: [], insertPrefix };
  }
  const share = Math.floor((budget - inline) / large.size);
  const parts: string[] = [];
  const rawParts: string[] = [];
  const largeColumns: LargeColumn[] = [];
  const pieces: PieceColumn[] = [];
  columns.forEach((column, i) => {
    const literal = literalExpression(column);
    if (!large.has(i)) {
      parts.push(literal);
      return;
    }
    const threshold = Math.max(0, Math.floor(share / literalExpansion(column)) - 8);
    const c = quoteIdentifier(column.name);
    parts.push(`IF(LENGTH(${c})>${threshold},'\\0',${literal})`);
    // With a key to find the row again, a long value's first piece only (its share of the row).
    const piece = key.length > 0 && canWriteInPieces(column) ? { column, units: unitsFitting(column, share) } : undefined;
    rawParts.push(`IF(LENGTH(${c})>${threshold},${rawExpression(column, piece ? `LEFT(${c},${piece.units})` : c)},NULL)`);
    largeColumns.push({ column, threshold });
    if (piece) pieces.push(piece);
  });
  if (pieces.length > 0) rawParts.push(pendingExpression(pieces, key));
  // One tuple per row as bytes (no decoding in the driver); CR and LF are escaped in JavaScript.
  const row = `CAST(CONCAT('(',${parts.join(`,',',`)},')') AS BINARY)`;
  const sql = `SELECT /*!40001 SQL_NO_CACHE */ ${[row, ...rawParts].join(', ')} FROM ${quoteIdentifier(table)}`;
  return { sql, large: largeColumns, pieces, insertPrefix };
}

/** mysql2's promise wrapper keeps the callback connection (which can stream) in `.connection`. */
function coreConnection(conn: MysqlConnection): CoreConnection {
  // The typings of mysql2/promise do not declare the property that its implementation always sets.
  return (conn as unknown as { connection: CoreConnection }).connection;
}

/**
 * Writes the table's INSERT statements. Before the first one it cuts the sink (so the table's data starts
 * a fresh compression frame) and records where the data starts; everything written between dataOffset
 * and dataOffset + dataLength is this table's INSERTs and nothing else.
 */
export async function dumpTableData(ctx: TableDataContext, table: string, columns: ColumnInfo[]): Promise<TableDataResult> {
  const { frameOffset } = await ctx.sink.cut();
  const dataOffset = ctx.sink.bytesWritten;
  const plan = planSelect(table, columns, ctx.maxAllowedPacket, { rowBudget: ctx.statementLimit, pieces: ctx.valuePieces === true });
  if (plan === null) return { rows: 0, dataOffset, dataLength: 0, frameOffset };
  const { rows, pending } = await streamStatements(ctx, plan, table);
  await writeRemainingPieces(ctx, table, columns, pending);
  if (pending.length > 0 && ctx.constraintChecks) await ctx.sink.write(CHECKS_ON);
  return { rows, dataOffset, dataLength: ctx.sink.bytesWritten - dataOffset, frameOffset };
}

/**
 * Runs the SELECT and writes the statements. Rows arrive as driver events (a promise per row through an
 * async iterator cost a third of the dump's CPU); while a piece is being written the connection is
 * paused, so a slow sink holds the server back instead of filling memory.
 */
function streamStatements(ctx: TableDataContext, plan: SelectPlan, table: string): Promise<{ rows: number; pending: PendingValue[] }> {
  const core = coreConnection(ctx.conn);
  const builder = new StatementBuilder(plan.insertPrefix, ctx.statementLimit);
  // Rows whose long values are to be appended once the table's rows are read (the connection is busy
  // streaming until then): a key condition each, one per few MiB of data at most.
  const pending: PendingValue[] = [];
  return new Promise((resolve, reject) => {
    let rows = 0;
    let failed = false;
    let writesPending = 0;
    let written: Promise<void> = Promise.resolve();
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      detach();
      // Rows still coming are read and dropped: a connection left paused would hold the server's
      // thread in its send (a KILL QUERY does not reach a thread blocked writing to its socket).
      if (writesPending > 0) core.resume();
      reject(error);
    };
    // Abort fails the table at once, not at its next row: the connections are being closed, and a
    // closed connection neither delivers rows nor fails a query started on it (mysql2 drops it).
    const onAbort = () => fail(ctx.signal?.reason);
    // A connection closed meanwhile (abort, fatal error) reports a query added to it only as an 'error'
    // event of the connection, emitted from within query().
    const onConnectionError = (error: unknown) => fail(error);
    const detach = () => {
      ctx.signal?.removeEventListener('abort', onAbort);
      core.off('error', onConnectionError);
    };
    if (ctx.signal?.aborted) {
      reject(ctx.signal.reason);
      return;
    }
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    core.on('error', onConnectionError);
    const emit = (piece: Buffer, count: number) => {
      if (writesPending++ === 0) core.pause();
      written = written
        .then(() => ctx.sink.write(piece))
        .then(() => {
          StatementBuilder.recycle(piece);
          ctx.onRows(count);
          if (--writesPending === 0 && !failed) core.resume();
        });
      written.catch(fail);
    };
    // After the row is formatted: partial values noted, the size checked, the tuple added to a statement.
    const take = (tuple: Buffer, marks: Buffer | null) => {
      if (marks) {
        // The first row with a partial value: CHECK constraints go off before its INSERT.
        if (pending.length === 0 && ctx.constraintChecks) {
          builder.flush(emit);
          emit(CHECKS_OFF, 0);
        }
        pending.push(...pendingValues(marks, plan.pieces));
      }
      // A row whose INSERT would not fit the server's packet could never be loaded back: fail the
      // backup now rather than write an archive that cannot be restored.
      const statementBytes = plan.insertPrefix.length + tuple.length + STATEMENT_END.length;
      if (statementBytes >= ctx.maxAllowedPacket) throw rowTooLarge(table, ctx.maxAllowedPacket, statementBytes);
      builder.add(tuple, emit);
      rows++;
    };
    const query = core.query({ sql: plan.sql, rowsAsArray: true });
    const forms = plan.forms;
    if (forms) {
      // A row that surely fits a piece and the server's packet is formatted in place; a longer one is
      // formatted apart and checked against max_allowed_packet.
      const inlineRoom = Math.min(builder.inlineRowRoom, ctx.maxAllowedPacket - plan.insertPrefix.length - STATEMENT_END.length);
      onRawRows(
        query,
        (buffer, start, end) => {
          if (failed) return;
          try {
            if (tupleRoom(end - start, forms.length) < inlineRoom) {
              builder.addRow(buffer, start, end, forms, emit);
              rows++;
            } else {
              take(formatRow(buffer, start, end, forms), null);
            }
          } catch (error) {
            fail(error);
          }
        },
        fail,
        core,
      );
    } else {
      query.on('result', (result) => {
        if (failed) return;
        try {
          // rowsAsArray: one field per selected expression, binary (CAST ... AS BINARY) so Buffer or null.
          const row = result as unknown as (Buffer | null)[];
          if (row[0] === null) throw rowTooLarge(table, ctx.maxAllowedPacket);
          const formatted = escapeLineBreaks(row[0]);
          const tuple = plan.large.length > 0 ? withLargeValues(formatted, row, plan, ctx.maxAllowedPacket, table) : formatted;
          take(tuple, plan.pieces.length > 0 ? row[plan.large.length + 1] : null);
        } catch (error) {
          fail(error);
        }
      });
    }
    query.on('error', fail);
    query.on('end', () => {
      if (failed) return;
      builder.flush(emit);
      builder.release();
      written.then(() => {
        detach();
        resolve({ rows, pending });
      }, fail);
    });
  });
}

/** Splices values fetched raw into the row at their NUL markers. */
function withLargeValues(tuple: Buffer, row: (Buffer | null)[], plan: SelectPlan, maxAllowedPacket: number, table: string): Buffer {
  let spliced: Buffer[] | null = null;
  let from = 0;
  for (let i = 0; i < plan.large.length; i++) {
    const raw = row[i + 1];
    if (raw === null || raw === undefined) continue;
    const at = tuple.indexOf(0, from);
    if (at < 0) throw new Error(`internal error dumping ${table}: no marker for the large value of ${plan.large[i].column.name}`);
    spliced ??= [];
    spliced.push(tuple.subarray(from, at), formatLargeValue(plan.large[i].column, raw, maxAllowedPacket));
    from = at + 1;
  }
  if (spliced === null) return tuple;
  spliced.push(tuple.subarray(from));
  return Buffer.concat(spliced);
}

function rowTooLarge(table: string, maxAllowedPacket: number, statementBytes?: number): Error {
  const size = statementBytes === undefined ? 'is too large to format within' : `needs a ${statementBytes}-byte INSERT, more than`;
  return new Error(
    `a row of table ${table} ${size} max_allowed_packet (${maxAllowedPacket} bytes), so it could not be loaded back; ` +
      'raise max_allowed_packet on the server and try again',
  );
}
