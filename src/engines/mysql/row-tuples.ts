// A table's rows formatted as SQL tuples in JavaScript, straight from the bytes of the text protocol's row
// packets. The server only selects the columns (a plain SELECT, as mysqldump's), which costs it about 60%
// of the CPU that building each row as one literal with QUOTE and CONCAT does (measured on the bench's
// shop at scale 0.15: 1.3 s against 2.2 s of server time), and no driver object is made per row or field.
// Types whose literal needs the server (hex for bytes, DOUBLE for FLOAT, bits) still get their
// expression from values.ts, as one more field copied as it comes.
import { literalExpression, literalKind, selectedValue, writeQuoted, type ColumnInfo } from './values.js';

/** How a field's bytes become its literal. */
export const COPY = 0;
export const QUOTE = 1;

export interface TupleFields {
  /** The SELECT list: one expression per column. */
  expressions: string[];
  /** Per field: COPY (digits, or a literal the server made) or QUOTE (quoted and escaped here). */
  forms: Uint8Array;
}

/** The select list of a table whose every column has a bounded literal (no value formatted in pieces). */
export function tupleFields(columns: ColumnInfo[]): TupleFields {
  const forms = new Uint8Array(columns.length);
  const expressions = columns.map((column, i) => {
    const c = selectedValue(column);
    switch (literalKind(column)) {
      case 'integer':
        return c; // integers and DECIMAL are sent as their exact digits
      case 'text':
      case 'temporal':
        // The connection's character_set_results (utf8mb4) converts text as CONVERT(... USING utf8mb4)
        // would; dates and times come in the session's time zone (+00:00), with their fractions.
        forms[i] = QUOTE;
        return c;
      case 'other':
        forms[i] = QUOTE;
        return `CAST(${c} AS CHAR CHARACTER SET utf8mb4)`;
      default:
        return literalExpression(column); // never NULL: the word NULL instead
    }
  });
  return { expressions, forms };
}

/** A length-encoded NULL in a text-protocol row. */
const NULL_FIELD = 0xfb;
/** Short fields are copied byte by byte: cheaper than a native copy call. */
const SHORT_FIELD = 32;

/**
 * Room a tuple may need for a row packet of `payloadBytes` with `fields` fields: quoting at most doubles a
 * value and adds 2 bytes, NULL (1 byte) becomes 4, plus the separators and parentheses.
 */
export function tupleRoom(payloadBytes: number, fields: number): number {
  return 2 * payloadBytes + 4 * fields + 8;
}

/**
 * Writes the row in `src[pos, end)` (a text-protocol row: one length-encoded string or NULL per field) as
 * `(v1,v2,...)` into `out` from `at`, which must have tupleRoom() bytes free. Returns the end offset.
 */
export function writeTuple(src: Buffer, pos: number, forms: Uint8Array, out: Buffer, at: number): number {
  let o = at;
  out[o++] = 0x28;
  for (let i = 0; i < forms.length; i++) {
    if (i > 0) out[o++] = 0x2c;
    let length = src[pos++];
    if (length === NULL_FIELD) {
      out[o++] = 0x4e; // NULL
      out[o++] = 0x55;
      out[o++] = 0x4c;
      out[o++] = 0x4c;
      continue;
    }
    if (length > NULL_FIELD) {
      // 0xfc: 2 bytes, 0xfd: 3 bytes, 0xfe: 8 bytes (a row is far below 2^48 bytes: 6 are read).
      const size = length === 0xfc ? 2 : length === 0xfd ? 3 : 6;
      length = 0;
      for (let b = 0; b < size; b++) length += src[pos + b] * 2 ** (8 * b);
      pos += size === 6 ? 8 : size;
    }
    const stop = pos + length;
    if (forms[i] === QUOTE) {
      o = writeQuoted(src, pos, stop, out, o);
      pos = stop;
    } else if (length < SHORT_FIELD) {
      for (; pos < stop; pos++) out[o++] = src[pos];
    } else {
      o += src.copy(out, o, pos, stop);
      pos = stop;
    }
  }
  out[o++] = 0x29;
  return o;
}
