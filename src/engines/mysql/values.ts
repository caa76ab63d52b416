// How each column's values become SQL literals in a dump. Numbers, text and times are selected as they
// are and quoted in JavaScript (row-tuples.ts); where a literal needs the server (hex for bytes, DOUBLE
// for FLOAT, bits) an expression here yields it ready. A table whose rows cannot be bounded has the
// server build whole tuples from these expressions (dump-table.ts); only values too large for the server
// to format within max_allowed_packet are then formatted here (formatLargeValue).

/** What the dump needs to know about one column (from information_schema.COLUMNS). */
export interface ColumnInfo {
  name: string;
  /** Lower-case DATA_TYPE, e.g. 'varchar', 'bigint', 'point', 'uuid'. */
  dataType: string;
  /** COLUMN_TYPE, e.g. 'bigint(20) unsigned'. */
  columnType: string;
  /** CHARACTER_SET_NAME, null for non-text columns. */
  charset: string | null;
  /** CHARACTER_MAXIMUM_LENGTH (characters for text, bytes for binary), null when not applicable. */
  maxLength: number | null;
  /** Generated (VIRTUAL / STORED / PERSISTENT, or a system-versioning row start/end): never inserted. */
  generated: boolean;
  /** IS_NULLABLE. NOT NULL columns skip the NULL handling (about 12% less server work on a typical table). */
  nullable: boolean;
  /** Part of the primary key (COLUMN_KEY PRI: also a NOT NULL unique key standing in for a missing one). */
  primaryKey?: boolean;
  /** ON UPDATE CURRENT_TIMESTAMP: an UPDATE must set it to itself to keep its value. */
  autoUpdated?: boolean;
  /** An expression selected instead of the column (a fake value, fake-values.ts): utf8mb4 text, NULL where the column is. */
  value?: string;
}

/** What the dump selects for a column: the column, or the expression that stands in for it. */
export function selectedValue(column: ColumnInfo): string {
  return column.value ?? quoteIdentifier(column.name);
}

/** How a column's literal is produced, which also decides how an oversized value is formatted in JS. */
export type LiteralKind = 'integer' | 'float' | 'bit' | 'temporal' | 'text' | 'hextext' | 'binary' | 'other';

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'decimal', 'numeric', 'dec', 'fixed']);
const FLOAT_TYPES = new Set(['float', 'double', 'real', 'double precision']);
const TEMPORAL_TYPES = new Set(['date', 'datetime', 'timestamp', 'time', 'year']);
const TEXT_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set', 'json']);
const BINARY_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);
const GEOMETRY_TYPES = new Set([
  'geometry',
  'point',
  'linestring',
  'polygon',
  'multipoint',
  'multilinestring',
  'multipolygon',
  'geometrycollection',
  'geomcollection',
]);
/** Charsets whose every value converts to utf8mb4 and back without loss (MariaDB's latin1 is cp1252 with
 * the five undefined bytes mapped to C1 controls, so all 256 bytes survive). Other charsets are dumped as
 * hex with an introducer, which is lossless for any content. */
const UTF8_SAFE_CHARSETS = new Set(['utf8mb4', 'utf8mb3', 'utf8', 'ascii', 'latin1']);

export function quoteIdentifier(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}

/** A SQL string literal for text (names, fixed words) in the SQL that dumps and restores build. */
export function quoteString(value: string): string {
  return "'" + value.replace(/\\/g, '\\\\').replace(/'/g, "''").replace(/\0/g, '\\0') + "'";
}

export function literalKind(column: ColumnInfo): LiteralKind {
  const type = column.dataType.toLowerCase();
  if (INTEGER_TYPES.has(type)) return 'integer';
  if (FLOAT_TYPES.has(type)) return 'float';
  if (type === 'bit') return 'bit';
  if (TEMPORAL_TYPES.has(type)) return 'temporal';
  if (BINARY_TYPES.has(type) || GEOMETRY_TYPES.has(type)) return 'binary';
  // MySQL's native JSON has no character set in information_schema and refuses binary input: quote it.
  if (type === 'json') return 'text';
  if (TEXT_TYPES.has(type)) {
    // A text column with the binary charset is stored as bytes: dump it as bytes.
    if (column.charset === null || column.charset === 'binary') return 'binary';
    return UTF8_SAFE_CHARSETS.has(column.charset) ? 'text' : 'hextext';
  }
  return 'other'; // UUID, INET4, INET6 and types we do not know: their text form
}

/**
 * A server-side expression giving the column's value as a SQL literal in utf8mb4 (or ASCII), and the
 * unquoted word NULL for NULL: never NULL itself, so CONCAT over a row cannot collapse.
 */
export function literalExpression(column: ColumnInfo): string {
  const c = selectedValue(column);
  const orNull = (expression: string) => (column.nullable ? `IFNULL(${expression},'NULL')` : expression);
  switch (literalKind(column)) {
    case 'integer':
      return orNull(c); // integers and DECIMAL print exactly
    case 'float':
      // FLOAT printed as FLOAT keeps ~6 digits and does not round-trip (mysqldump's flaw); as DOUBLE it is
      // the exact value of the stored float, which converts back to the same float. DOUBLE prints shortest
      // round-trip digits; the cast also drops a DOUBLE(M,D) display scale.
      return orNull(`CAST(${c} AS DOUBLE)`);
    case 'bit':
      return orNull(`CONCAT('b''',BIN(${c}),'''')`);
    case 'temporal':
      // Prints with the column's full fractional precision; TIMESTAMP in the session's +00:00.
      return `QUOTE(${c})`; // QUOTE(NULL) is the word NULL
    case 'text':
      return column.charset === 'utf8mb4' || column.charset === null ? `QUOTE(${c})` : `QUOTE(CONVERT(${c} USING utf8mb4))`;
    case 'hextext':
      return orNull(`CONCAT('_${column.charset} X''',HEX(${c}),'''')`);
    case 'binary': {
      // Hex keeps every byte safe from the client's line handling; empty stays '' (0x alone is not SQL).
      // Geometry is dumped as its internal bytes (SRID + WKB), which the server accepts back as is.
      const value = `IF(LENGTH(${c})=0,'''''',CONCAT('0x',HEX(${c})))`;
      return column.nullable ? `IF(${c} IS NULL,'NULL',${value})` : value;
    }
    case 'other':
      return `QUOTE(CAST(${c} AS CHAR CHARACTER SET utf8mb4))`;
  }
}

/** Upper bound, in bytes, of the literal of one value of this column (Infinity when unbounded). */
export function maxLiteralBytes(column: ColumnInfo): number {
  const kind = literalKind(column);
  const length = column.maxLength ?? Infinity;
  switch (kind) {
    case 'integer':
      return 70; // DECIMAL(65,30) with sign and point; BIGINT needs 20
    case 'float':
      return 26;
    case 'bit':
      return 67;
    case 'temporal':
      return 30;
    case 'text':
      // characters × 4 bytes (utf8mb4) × 2 (every byte may be escaped) + quotes
      return length * 8 + 2;
    case 'hextext':
      return length * 4 * 2 + 20; // at most 4 bytes per character in any charset, hex doubles
    case 'binary':
      return GEOMETRY_TYPES.has(column.dataType.toLowerCase()) ? Infinity : length * 2 + 2;
    case 'other':
      return 64;
  }
}

/**
 * How much longer a literal can be than the raw value's LENGTH() in bytes, for values the server formats:
 * hex doubles; escaping doubles; latin1 → utf8mb4 can triple a byte.
 */
export function literalExpansion(column: ColumnInfo): number {
  return literalKind(column) === 'text' && column.charset === 'latin1' ? 3 : 2;
}

/**
 * The server-side expression fetching the raw value for JavaScript formatting: bytes, utf8mb4 for text.
 * `c` is the column itself or an expression over it of the same type (a SUBSTRING of it).
 */
export function rawExpression(column: ColumnInfo, c = quoteIdentifier(column.name)): string {
  const kind = literalKind(column);
  if (kind === 'text') return `CAST(CONVERT(${c} USING utf8mb4) AS BINARY)`;
  if (kind === 'other') return `CAST(CAST(${c} AS CHAR CHARACTER SET utf8mb4) AS BINARY)`;
  return `CAST(${c} AS BINARY)`;
}

/**
 * Formats a value that was too large to format on the server (raw bytes from rawExpression). Binary data is
 * written as hex when that fits the server's packet, otherwise as an escaped _binary string (half the size).
 */
export function formatLargeValue(column: ColumnInfo, raw: Buffer, maxAllowedPacket: number): Buffer {
  const kind = literalKind(column);
  if (kind === 'hextext') return hexLiteral(`_${column.charset} X'`, raw, "'", HEX_LOWER);
  if (kind === 'binary') {
    if (raw.length === 0) return Buffer.from("''");
    if (raw.length * 2 + 1024 < maxAllowedPacket) return hexLiteral('0x', raw, '', HEX_UPPER);
    return Buffer.concat([Buffer.from('_binary'), escapeStringLiteral(raw)]);
  }
  if (kind === 'integer' || kind === 'float') return raw; // never large; kept for completeness
  return escapeStringLiteral(raw);
}

const HEX_LOWER = Buffer.from('0123456789abcdef', 'latin1');
const HEX_UPPER = Buffer.from('0123456789ABCDEF', 'latin1');

/**
 * `prefix`, the bytes in hex, `suffix`, written straight into one buffer: a large value (megabytes) then
 * costs one buffer of twice its size, not several hex strings on the JavaScript heap.
 */
function hexLiteral(prefix: string, raw: Buffer, suffix: string, digits: Buffer): Buffer {
  const out = Buffer.allocUnsafe(prefix.length + raw.length * 2 + suffix.length);
  let o = out.write(prefix, 0, 'latin1');
  for (let i = 0; i < raw.length; i++) {
    out[o++] = digits[raw[i] >> 4];
    out[o++] = digits[raw[i] & 15];
  }
  out.write(suffix, o, 'latin1');
  return out;
}

// Bytes escaped inside a quoted literal: NUL, LF, CR, ^Z, quote, backslash. CR and LF are escaped because
// the stock client turns CR LF into LF; ^Z because Windows clients read it as end of file.
/** Per byte: 0 when it stands as it is in a quoted literal, else the letter written after a backslash. */
const ESCAPE_LETTER = new Uint8Array(256);
ESCAPE_LETTER[0x00] = 0x30; // \0
ESCAPE_LETTER[0x0a] = 0x6e; // \n
ESCAPE_LETTER[0x0d] = 0x72; // \r
ESCAPE_LETTER[0x1a] = 0x5a; // \Z
ESCAPE_LETTER[0x27] = 0x27; // \'
ESCAPE_LETTER[0x5c] = 0x5c; // \\

/**
 * Writes `src[from, to)` quoted as a MySQL string literal ('...', escaping like mysql_real_escape_string)
 * into `out` at `at`, which has room for twice the bytes and the quotes. Returns the end offset.
 */
export function writeQuoted(src: Uint8Array, from: number, to: number, out: Uint8Array, at: number): number {
  let o = at;
  out[o++] = 0x27;
  for (let i = from; i < to; i++) {
    const byte = src[i];
    const escaped = ESCAPE_LETTER[byte];
    if (escaped === 0) {
      out[o++] = byte;
    } else {
      out[o++] = 0x5c;
      out[o++] = escaped;
    }
  }
  out[o++] = 0x27;
  return o;
}

/** Quotes bytes as a MySQL string literal ('...'), escaping like mysql_real_escape_string. */
export function escapeStringLiteral(raw: Buffer): Buffer {
  let extra = 0;
  for (let i = 0; i < raw.length; i++) if (ESCAPE_LETTER[raw[i]] !== 0) extra++;
  const out = Buffer.allocUnsafe(raw.length + extra + 2);
  writeQuoted(raw, 0, raw.length, out, 0);
  return out;
}

/**
 * Escapes raw CR and LF in a row the server formatted. They only occur inside quoted strings (QUOTE
 * leaves them as they are), so escaping them row-wide is safe; it is needed because the stock client
 * turns CR LF into LF, and it keeps one row per line. Done here rather than with SQL REPLACE(), which is
 * quadratic in the number of matches (1 s for a 320 KB text with 40k line breaks). Rows without line
 * breaks, nearly all of them, cost two native byte scans.
 */
export function escapeLineBreaks(row: Buffer): Buffer {
  const lf = row.indexOf(0x0a);
  const cr = row.indexOf(0x0d);
  if (lf < 0 && cr < 0) return row;
  const first = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
  let extra = 0;
  for (let i = first; i < row.length; i++) if (row[i] === 0x0a || row[i] === 0x0d) extra++;
  const out = Buffer.allocUnsafe(row.length + extra);
  row.copy(out, 0, 0, first);
  let o = first;
  for (let i = first; i < row.length; i++) {
    const byte = row[i];
    if (byte === 0x0a || byte === 0x0d) {
      out[o++] = 0x5c;
      out[o++] = byte === 0x0a ? 0x6e : 0x72;
    } else {
      out[o++] = byte;
    }
  }
  return out;
}
