// Connections for restores, which must send a dump's bytes to the server exactly as read.
//
// mysql2's `query()` takes SQL only as a JS string and encodes it with the charset negotiated at the
// handshake (a Buffer is not accepted: it would be read as an options object). So these connections
// handshake as latin1, which mysql2 encodes with Node's 'latin1' encoding: one byte per code point
// 0-255, the identity on bytes. A statement Buffer decoded with `toString('latin1')` therefore reaches
// the server byte for byte, raw binary string literals included. Right after connecting we
// `SET NAMES utf8mb4` so the *server* reads those bytes as the dump's text (the dump's own `SET NAMES`
// then takes over). mysql2 keeps encoding as latin1 only because session-state tracking of system
// variables is switched off for the session (see openRawSession).
// Text we build ourselves (identifiers, definitions read back from the server) is UTF-8 encoded first
// (`wire()`), for the same reason. Never pass values through mysql2's placeholders here: they would be
// encoded as latin1 characters, not UTF-8.
import { Readable } from 'node:stream';
import mysql from 'mysql2/promise';
import { connectionOptions } from './connect.js';
import type { MysqlTarget } from '../target.js';

export type RawConnection = mysql.Connection;

export interface RawSessionOptions {
  /** Default schema of the session (none when omitted). */
  database?: string;
}

/** A byte-transparent session (see the comment at the top). */
export async function openRawSession(target: MysqlTarget, options: RawSessionOptions = {}): Promise<RawConnection> {
  const connection = await mysql.createConnection({
    ...connectionOptions(target, options.database, 'latin1_swedish_ci'),
    // No placeholders are ever used here: skip mysql2's scan of every (multi-MiB) statement for `?`.
    queryFormat: (sql: string) => sql,
  });
  try {
    // mysql2 follows the server's session-state reports of character_set_client and would switch its own
    // encoding to UTF-8 on `SET NAMES utf8mb4` (its resultset_header.js): switch those reports off first.
    await connection.query("SET SESSION session_track_system_variables = ''");
    await connection.query("SET NAMES utf8mb4, time_zone = '+00:00'");
    if (target.unlogged) await keepOutOfBinaryLog(connection);
  } catch (error) {
    await connection.end().catch(() => undefined);
    throw error;
  }
  return connection;
}

/**
 * Keeps the session's writes out of the binary log when the user may (MariaDB: SUPER or BINLOG ADMIN;
 * MySQL 8: SYSTEM_VARIABLES_ADMIN or SESSION_VARIABLES_ADMIN); without that privilege (1227) they are
 * logged as any other. Every session of one user gets the same answer, so a scratch schema's CREATE, load
 * and DROP are either all logged or none.
 */
async function keepOutOfBinaryLog(connection: RawConnection): Promise<void> {
  try {
    await connection.query('SET SESSION sql_log_bin = 0');
  } catch (error) {
    if ((error as { errno?: number }).errno !== 1227) throw error;
  }
}

/** JS text -> the string that makes mysql2 put its UTF-8 bytes on the wire (session is latin1 to mysql2). */
export function wire(sql: string): string {
  return Buffer.from(sql, 'utf8').toString('latin1');
}

/** Bytes -> the string that makes mysql2 put exactly these bytes on the wire. */
export function wireBytes(sql: Buffer): string {
  return sql.toString('latin1');
}

/** A SQL string literal for text (use inside `wire()`d SQL). */
export { quoteString } from './values.js';

export interface ServerError {
  message: string;
  code?: string;
  errno?: number;
}

export function asServerError(error: unknown): ServerError {
  if (error && typeof error === 'object') {
    const e = error as { message?: unknown; code?: unknown; errno?: unknown; sqlMessage?: unknown };
    return {
      message: String(e.sqlMessage ?? e.message ?? error),
      code: typeof e.code === 'string' ? e.code : undefined,
      errno: typeof e.errno === 'number' ? e.errno : undefined,
    };
  }
  return { message: String(error) };
}

/** Runs SQL text (UTF-8) on a raw session; returns the rows of a SELECT/SHOW. */
export async function run(conn: RawConnection, sql: string): Promise<Record<string, unknown>[]> {
  const [rows] = await conn.query(wire(sql));
  return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
}

/** Runs SQL text and returns affected rows (0 for statements that return rows). */
export async function exec(conn: RawConnection, sql: string): Promise<number> {
  const [result] = await conn.query(wire(sql));
  return Array.isArray(result) ? 0 : Number((result as { affectedRows?: number }).affectedRows ?? 0);
}

/** What a statement did: the rows it affected, and how many warnings the server raised meanwhile. */
export interface Outcome {
  affected: number;
  warnings: number;
}

function outcomeOf(result: unknown): Outcome {
  if (Array.isArray(result)) return { affected: 0, warnings: 0 };
  const header = result as { affectedRows?: number; warningStatus?: number };
  return { affected: Number(header.affectedRows ?? 0), warnings: Number(header.warningStatus ?? 0) };
}

/** Runs a statement given as bytes. */
export async function execBytes(conn: RawConnection, sql: Buffer): Promise<Outcome> {
  const [result] = await conn.query(wireBytes(sql));
  return outcomeOf(result);
}

/** Piece size of LOAD DATA rows on the wire (each is one protocol packet, which must stay under 16 MiB). */
const LOAD_PIECE = 1 << 20;

/** Runs `LOAD DATA LOCAL INFILE ...` (UTF-8 SQL) with `rows` as the file's bytes. */
export async function loadRows(conn: RawConnection, sql: string, rows: Buffer): Promise<Outcome> {
  const pieces = function* () {
    for (let at = 0; at < rows.length; at += LOAD_PIECE) yield rows.subarray(at, at + LOAD_PIECE);
  };
  const [result] = await conn.query({ sql: wire(sql), infileStreamFactory: () => Readable.from(pieces()) });
  return outcomeOf(result);
}

/** A column of a SHOW/SELECT row as text (mysql2 may return Buffers for binary-collated columns). */
export function text(row: Record<string, unknown>, column: string): string {
  const v = row[column];
  if (v === null || v === undefined) return '';
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}
