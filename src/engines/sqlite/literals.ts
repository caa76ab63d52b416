// SQL text for SQLite values and names, written so that any sqlite3 (old shells included) reads back
// exactly the value that was stored.
import { isUtf8 } from 'node:buffer';

/** "name" with embedded double quotes doubled: safe for any table, column or index name. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** 'text' with embedded single quotes doubled. Only for text without NUL/CR/LF (see textLiteral). */
export function quoteString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

const CONTROL_RUNS = /([\0\n\r]+)/;

/**
 * A TEXT literal. NUL cannot appear inside an SQL string (sqlite3_prepare and the shell stop there),
 * and CR/LF inside a literal would make the dump depend on line endings, so those characters are
 * written as char(...) pieces: 'a'||char(0,10)||'b'. Every INSERT thus stays on one line.
 */
export function textLiteral(text: string): string {
  if (!CONTROL_RUNS.test(text)) return quoteString(text);
  const pieces: string[] = [];
  for (const [i, part] of text.split(CONTROL_RUNS).entries()) {
    if (part === '') continue;
    if (i % 2 === 0) pieces.push(quoteString(part));
    else pieces.push(`char(${Array.from(part, (c) => c.charCodeAt(0)).join(',')})`);
  }
  return pieces.join('||');
}

const TWO_POW_62 = '4611686018427387904';
/** Below this, sqlite3 before 3.47 (e.g. the 3.40 shell) may misread even 17 significant digits. */
const TINY = 1e-290;

/**
 * A REAL literal that reads back as exactly the same double, also with the imprecise number parser
 * of older sqlite3 shells (3.40 misreads about 1 in 50,000 shortest representations, e.g. 0.937722;
 * 17 significant digits were exact in millions of trials). Integral values keep a ".0" so that they
 * stay REAL; infinities are written as sqlite does (9.0e+999); tiny and subnormal values, which old
 * parsers get wrong, as an exact division of their integer mantissa by powers of two.
 */
export function realLiteral(value: number): string {
  if (value === Infinity) return '9.0e+999';
  if (value === -Infinity) return '-9.0e+999';
  if (Number.isNaN(value)) return 'NULL'; // SQLite never stores NaN; kept only for completeness
  if (Object.is(value, -0)) return '-0.0';
  const magnitude = Math.abs(value);
  if (Number.isInteger(value) && magnitude < 1e15) return `${value}.0`;
  if (magnitude < TINY) {
    let mantissa = magnitude;
    let exponent = 0;
    while (!Number.isInteger(mantissa)) {
      mantissa *= 2; // exact: only the binary exponent changes
      exponent++;
    }
    let text = `${value < 0 ? '-' : ''}(${mantissa}.0`;
    for (; exponent > 62; exponent -= 62) text += `/${TWO_POW_62}`;
    if (exponent > 0) text += `/${2n ** BigInt(exponent)}`;
    return `${text})`;
  }
  // A short decimal that IS the double (12.5, 0.25: s/10^k with 5^k dividing s) reads back exactly
  // anywhere; any other value gets 17 significant digits (0.1 → 0.10000000000000001).
  const short = String(value);
  const decimal = /^-?(\d+)\.(\d+)$/.exec(short);
  if (decimal) {
    const digits = Number(decimal[1] + decimal[2]);
    const k = decimal[2].length;
    if (Number.isSafeInteger(digits) && k <= 22 && digits % 5 ** k === 0) return short;
  }
  const text = value.toPrecision(17);
  return /[.e]/.test(text) ? text : `${text}.0`; // 17 integral digits: keep it REAL
}

export function blobLiteral(hex: string): string {
  return `X'${hex}'`;
}

export type TextEncoding = 'UTF-8' | 'UTF-16le' | 'UTF-16be';

const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * A TEXT value given as its stored bytes (in the database's encoding). Valid text becomes a literal;
 * UTF-8 bytes that are not valid UTF-8 are kept exactly as CAST(X'...' AS TEXT). Returns undefined
 * for invalid UTF-16, which has no exact representation in a UTF-8 dump (the caller decodes lossily).
 */
export function storedTextLiteral(bytes: Buffer, encoding: TextEncoding): string | undefined {
  if (encoding === 'UTF-8') {
    if (isUtf8(bytes)) return textLiteral(bytes.toString('utf8'));
    return `CAST(X'${bytes.toString('hex').toUpperCase()}' AS TEXT)`;
  }
  const text = decodeUtf16(bytes, encoding);
  return LONE_SURROGATE.test(text) ? undefined : textLiteral(text);
}

export function decodeUtf16(bytes: Buffer, encoding: 'UTF-16le' | 'UTF-16be'): string {
  if (encoding === 'UTF-16le') return bytes.toString('utf16le');
  const swapped = Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 2)));
  return swapped.swap16().toString('utf16le');
}
