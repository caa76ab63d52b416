// Rows sent as LOAD DATA instead of INSERT: the server loads tab-separated rows about twice as fast as it
// parses INSERT ... VALUES (measured on MariaDB 10.11: 417 MB of order items, 26 s as INSERTs, 12 s as
// LOAD DATA), and parsing SQL is most of a restore's work. So a dumped INSERT whose values are all plain
// literals is rewritten, byte for byte, into the same rows in LOAD DATA's text format and sent with
// LOAD DATA LOCAL INFILE (the "file" is the rewritten statement, streamed over the connection).
//
// Exactness: every value reaches the server in the same text it had in the INSERT, converted by the same
// field code (Field::store of the column, from the session's character set), so the rows are the same.
// Only what maps one to one is rewritten; anything else keeps its INSERT:
// - tables: generated columns, BIT, spatial and other non-text types, or a definition we cannot read;
// - statements: INSERT IGNORE / REPLACE / ON DUPLICATE KEY, a column list naming unknown columns;
// - values: NULL, numbers, '...' strings with the escapes both formats share, 0x... hex for binary
//   columns (loaded through UNHEX, as the server reads a 0x literal) and '' for them; not introducers
//   (_binary '...', _latin1 X'...'), b'...', functions, DEFAULT, or a string with \% \_ or another escape
//   LOAD DATA reads differently;
// - sessions whose client character set is not UTF-8 (utf8mb4/utf8mb3), as far as the dump's SET
//   statements tell; the rows are then declared utf8mb4, as the INSERT was read.
// LOAD DATA LOCAL turns duplicate keys and bad values into warnings: the row count the server reports must
// equal the rows sent, or the restore fails (see staging-replay.ts).
import { columnOf, createLayout, isGenerated, unquote } from './create-layout.js';

/** How one table's rows can be loaded (from its CREATE TABLE as the server prints it). */
export interface LoadPlan {
  columns: string[];
  /** Columns whose values arrive as hex (binary types). */
  binary: Set<string>;
}

const TEXT_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set', 'json']);
const NUMBER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'decimal', 'numeric', 'float', 'double', 'real']);
const TEMPORAL_TYPES = new Set(['date', 'datetime', 'timestamp', 'time', 'year']);
const BINARY_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);

export function loadPlan(create: Buffer): LoadPlan | null {
  const layout = createLayout(create);
  if (!layout || /WITH SYSTEM VERSIONING/i.test(layout.tail)) return null;
  const columns: string[] = [];
  const binary = new Set<string>();
  for (const line of layout.body) {
    const quoted = columnOf(line);
    if (quoted === undefined) continue; // keys and constraints
    const type = /^[a-z]+/.exec(line.slice(2 + quoted.length + 1))?.[0] ?? '';
    if (isGenerated(line) || / INVISIBLE\b/i.test(line)) return null;
    const name = unquote(quoted);
    if (BINARY_TYPES.has(type)) binary.add(name);
    else if (!TEXT_TYPES.has(type) && !NUMBER_TYPES.has(type) && !TEMPORAL_TYPES.has(type)) return null;
    // A text column of the binary character set holds bytes, dumped as hex: load it as bytes.
    if (TEXT_TYPES.has(type) && / CHARACTER SET binary\b/i.test(line)) binary.add(name);
    columns.push(name);
  }
  return columns.length > 0 ? { columns, binary } : null;
}

/** The client character set the dump's SET statements leave, as far as they tell (undefined: unknown). */
export class SessionCharset {
  private current: string | undefined = 'utf8mb4'; // restore sessions start with SET NAMES utf8mb4
  private saved: string | undefined;

  /** Follows one SET statement of the dump (the forms mysqldump, mariadb-dump and Lifeboat write). */
  follow(statement: Buffer): void {
    const text = statement.toString('latin1');
    if (/@saved_cs_client\s*=\s*@@character_set_client/i.test(text)) this.saved = this.current;
    const names = /\bSET\s+NAMES\s+'?(\w+)'?/i.exec(text);
    if (names) {
      this.current = names[1].toLowerCase();
      return;
    }
    const assigned = /(?:^|[\s,])(?:@@(?:SESSION\.)?)?character_set_client\s*=\s*(@saved_cs_client\b|'?\w+'?|@\w+)/i.exec(text);
    if (!assigned) return;
    const value = assigned[1].toLowerCase();
    if (value === '@saved_cs_client') this.current = this.saved;
    else if (value.startsWith('@')) this.current = undefined;
    else this.current = value.replace(/'/g, '');
  }

  get utf8(): boolean {
    return this.current === 'utf8mb4' || this.current === 'utf8' || this.current === 'utf8mb3';
  }
}

export interface LoadData {
  /** The LOAD DATA statement (UTF-8 text). */
  sql: string;
  /** The rows, in LOAD DATA's default format (tab-separated, \-escaped, \N for NULL, one per line). */
  rows: Buffer;
  count: number;
  /** Gives the rows' memory back for the next statement's: call once they are sent, and never read them after. */
  release(): void;
}

/** Free buffers kept for converted rows: a statement loading and one or two queued per lane. */
const KEPT_BUFFERS = 4;
/** A buffer larger than this (a foreign dump's huge INSERT; Lifeboat's own need about 4 MiB) is left to the collector. */
const LARGEST_KEPT = 16 << 20;

/**
 * Memory for converted rows, used again once a statement's rows are sent. Each of Lifeboat's INSERTs
 * (4 MiB) needed a fresh buffer: fresh pages, and the collections that external memory brings, cost a
 * cold restore a quarter of its conversion time.
 */
export class RowBuffers {
  private readonly free: Buffer[] = [];

  take(size: number): Buffer {
    const fits = this.free.findIndex((buffer) => buffer.length >= size);
    return fits >= 0 ? this.free.splice(fits, 1)[0] : Buffer.allocUnsafe(size);
  }

  give(buffer: Buffer): void {
    if (this.free.length < KEPT_BUFFERS && buffer.length <= LARGEST_KEPT) this.free.push(buffer);
  }
}

const HEADER = /^INSERT INTO (`(?:[^`]|``)*`) (?:\(([^)]*)\) )?VALUES\s*\(/;

/** The INSERT as LOAD DATA, or null when it must run as it is (see the top); the rows are written into memory from `buffers`. */
export function toLoadData(insert: Buffer, plan: LoadPlan, buffers: RowBuffers = new RowBuffers()): LoadData | null {
  const head = HEADER.exec(insert.subarray(0, 64 * 1024).toString('latin1'));
  if (!head) return null;
  const table = unquote(head[1]);
  let columns = plan.columns;
  if (head[2] !== undefined) {
    const listed = head[2].split(',').map((c) => /^\s*(`(?:[^`]|``)*`)\s*$/.exec(c)?.[1]);
    if (listed.some((c) => c === undefined)) return null;
    columns = listed.map((c) => unquote(c as string));
    if (columns.some((c) => !plan.columns.includes(c))) return null;
  }
  const isBinary = columns.map((c) => plan.binary.has(c));
  const converted = convertRows(insert, head[0].length, isBinary, buffers);
  if (!converted) return null;
  const targets: string[] = [];
  const sets: string[] = [];
  columns.forEach((column, i) => {
    if (isBinary[i]) {
      targets.push(`@b${i}`);
      sets.push(`${quote(column)} = UNHEX(@b${i})`);
    } else targets.push(quote(column));
  });
  const sql =
    `LOAD DATA LOCAL INFILE 'rows' INTO TABLE ${quote(table)} CHARACTER SET utf8mb4 (${targets.join(', ')})` +
    (sets.length ? ` SET ${sets.join(', ')}` : '');
  let memory: Buffer | undefined = converted.memory;
  const release = () => {
    if (memory) buffers.give(memory);
    memory = undefined;
  };
  return { sql, rows: converted.rows, count: converted.count, release };
}

function quote(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}

const enum Byte {
  Tab = 0x09,
  Lf = 0x0a,
  Cr = 0x0d,
  Space = 0x20,
  Quote = 0x27,
  Open = 0x28,
  Close = 0x29,
  Comma = 0x2c,
  Backslash = 0x5c,
}

// SQL escape (the byte after \) -> the byte after \ in LOAD DATA's format; 0: not shared, keep the INSERT.
const ESCAPES = new Uint8Array(256);
for (const c of '0nrtZb"\\') ESCAPES[c.charCodeAt(0)] = c.charCodeAt(0);
ESCAPES[Byte.Quote] = Byte.Quote; // \' -> ' (LOAD DATA drops the backslash of an unknown escape)
// Raw bytes inside a string that LOAD DATA would read as structure: written as escapes.
const RAW_ESCAPES = new Uint8Array(256);
RAW_ESCAPES[Byte.Tab] = 0x74; // t
RAW_ESCAPES[Byte.Lf] = 0x6e; // n
RAW_ESCAPES[Byte.Cr] = 0x72; // r
RAW_ESCAPES[0] = 0x30; // 0
// Bytes inside a string that need more than a copy.
const SPECIAL = RAW_ESCAPES.map((escape, b) => (escape !== 0 || b === Byte.Quote || b === Byte.Backslash ? 1 : 0));
// Bytes of bare literals: numbers, hex digits.
const NUMBER = new Uint8Array(256);
for (const c of '0123456789+-.eE') NUMBER[c.charCodeAt(0)] = 1;
const HEX = new Uint8Array(256);
for (const c of '0123456789ABCDEFabcdef') HEX[c.charCodeAt(0)] = 1;

/**
 * The VALUES tuples from `start` (just after the first "(") as LOAD DATA rows, written into memory taken
 * from `buffers`; null if any value is not plain (that memory is then left to the collector: rare, and a
 * closure to give it back would slow the loop).
 */
function convertRows(sql: Buffer, start: number, isBinary: boolean[], buffers: RowBuffers): { rows: Buffer; count: number; memory: Buffer } | null {
  let out: Buffer = buffers.take(sql.length + 65536);
  let o = 0;
  let i = start;
  let count = 0;
  const n = sql.length;
  const width = isBinary.length;
  for (;;) {
    // One tuple: values separated by commas, up to ")".
    for (let field = 0; ; field++) {
      if (field >= width) return null;
      if (out.length - o < n - i + 16) out = grow(out, o, buffers);
      const c = sql[i];
      if (c === Byte.Quote) {
        i++;
        if (isBinary[field]) {
          if (sql[i] !== Byte.Quote || sql[i + 1] === Byte.Quote) return null; // only '' for bytes
          i++;
        } else {
          for (;;) {
            if (i >= n) return null;
            const b = sql[i++];
            if (SPECIAL[b] === 0) out[o++] = b; // the common case, one test
            else if (b === Byte.Quote) {
              if (sql[i] !== Byte.Quote) break;
              out[o++] = Byte.Quote; // '' inside a string
              i++;
            } else if (b === Byte.Backslash) {
              const mapped = ESCAPES[sql[i]];
              if (mapped === 0) return null;
              i++;
              if (mapped === Byte.Quote || mapped === 0x22) out[o++] = mapped;
              else {
                out[o++] = Byte.Backslash;
                out[o++] = mapped;
              }
            } else if (RAW_ESCAPES[b] !== 0) {
              if (out.length - o < n - i + 16) out = grow(out, o, buffers);
              out[o++] = Byte.Backslash;
              out[o++] = RAW_ESCAPES[b];
            }
          }
        }
      } else {
        // A bare literal, copied byte by byte (Buffer.copy costs more than the few bytes it would move).
        const from = i;
        const first = sql[i];
        if (first === 0x4e) {
          if (sql[i + 1] !== 0x55 || sql[i + 2] !== 0x4c || sql[i + 3] !== 0x4c) return null;
          i += 4;
          out[o++] = Byte.Backslash; // NULL
          out[o++] = 0x4e;
        } else if (first === 0x30 && (sql[i + 1] === 0x78 || sql[i + 1] === 0x58)) {
          if (!isBinary[field]) return null;
          i += 2;
          while (i < n && HEX[sql[i]] === 1) out[o++] = sql[i++]; // hex digits, for UNHEX
          if (i - from < 3) return null;
        } else {
          if (isBinary[field]) return null;
          while (i < n && NUMBER[sql[i]] === 1) out[o++] = sql[i++];
          if (i === from) return null;
        }
      }
      const next = sql[i++];
      if (next === Byte.Comma) {
        out[o++] = Byte.Tab;
        continue;
      }
      if (next !== Byte.Close || field !== width - 1) return null;
      out[o++] = Byte.Lf;
      count++;
      break;
    }
    // Between tuples: "," and blanks, then "(" or the end of the statement.
    while (i < n && (sql[i] === Byte.Space || sql[i] === Byte.Lf || sql[i] === Byte.Cr || sql[i] === Byte.Tab)) i++;
    if (i >= n) break;
    if (sql[i] !== Byte.Comma) return null;
    i++;
    while (i < n && (sql[i] === Byte.Space || sql[i] === Byte.Lf || sql[i] === Byte.Cr || sql[i] === Byte.Tab)) i++;
    if (sql[i] !== Byte.Open) return null;
    i++;
  }
  return { rows: out.subarray(0, o), count, memory: out };
}

// Every step but a raw tab/newline/CR/NUL in a string writes no more than it reads, so room for the rest
// of the input (checked at each field and each such byte) is room enough.
function grow(out: Buffer, used: number, buffers: RowBuffers): Buffer {
  const bigger = buffers.take(out.length + (out.length >> 1) + 65536);
  out.copy(bigger, 0, 0, used);
  buffers.give(out);
  return bigger;
}
