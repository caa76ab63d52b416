// The tokenizer behind restore-parse.ts: reads the first tokens of a MySQL statement from its bytes
// (blanks, comments and conditional-comment markers skipped) and the name and DEFINER forms that
// statement heads contain.
import type { Definer, ObjectRef } from './restore-parse.js';

export interface Token {
  /** `number`: a word of digits (123, 1e5, 0x1F), only told apart from words under TokenOptions.skipLiterals. */
  type: 'word' | 'ident' | 'string' | 'punct' | 'number';
  /** Upper-cased for words, unquoted for identifiers and strings, the character for punctuation. */
  value: string;
  /** Original spelling of a word. */
  raw?: string;
  /**
   * A "double-quoted" token read as an identifier, as under sql_mode ANSI_QUOTES (doubled quotes undone,
   * backslashes kept). Where a statement head has a name, such a token can only be one.
   */
  ansiIdentifier?: string;
  start: number;
  end: number;
}

function isWordByte(b: number): boolean {
  return (
    (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || b === 0x5f || b === 0x24 || b >= 0x80
  );
}

export interface TokenOptions {
  /**
   * Where a backslash escapes the next byte: in '...' and "..." (the server's default), in '...' only
   * (sql_mode ANSI_QUOTES, where "..." is a name) or nowhere (sql_mode NO_BACKSLASH_ESCAPES).
   */
  escapes?: 'quotes' | 'single' | 'none';
  /**
   * Leave '...' strings without a value ('') and give numbers their own type: a scan for names and
   * keywords need not decode every literal of an INSERT.
   */
  skipLiterals?: boolean;
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

/** Whether buf[start, end) is a number (digits, 1e5, 0x1F, 0b101) rather than a name that starts with a digit. */
function isNumber(buf: Buffer, start: number, end: number): boolean {
  if (!isDigit(buf[start])) return false;
  let p = start;
  while (p < end && isDigit(buf[p])) p++;
  if (p === end) return true;
  const text = buf.toString('latin1', start, end);
  return /^(?:\d+e\d*|0x[0-9a-f]+|0b[01]+)$/i.test(text);
}

/** A lazy tokenizer over a statement's bytes that skips blanks, comments and conditional-comment markers. */
export class Tokens {
  private pos = 0;
  private inConditional = false;
  private peeked: Token | null = null;

  constructor(
    private readonly buf: Buffer,
    private readonly options: TokenOptions = {},
  ) {}

  peek(): Token | null {
    if (this.peeked === null) this.peeked = this.read();
    return this.peeked;
  }

  next(): Token | null {
    const t = this.peek();
    this.peeked = null;
    return t;
  }

  /** Consumes the next token when it is the given word (or one of them). */
  accept(...words: string[]): Token | null {
    const t = this.peek();
    if (t && t.type === 'word' && words.includes(t.value)) return this.next();
    return null;
  }

  acceptPunct(ch: string): boolean {
    const t = this.peek();
    if (t && t.type === 'punct' && t.value === ch) {
      this.next();
      return true;
    }
    return false;
  }

  private read(): Token | null {
    const buf = this.buf;
    let p = this.pos;
    for (;;) {
      while (p < buf.length && (buf[p] === 0x20 || (buf[p] >= 0x09 && buf[p] <= 0x0d))) p++;
      if (p >= buf.length) {
        this.pos = p;
        return null;
      }
      const b = buf[p];
      if (b === 0x2f && buf[p + 1] === 0x2a) {
        // /*! or /*M! : skip the marker and its version digits; other comments entirely.
        if (buf[p + 2] === 0x21 || ((buf[p + 2] === 0x4d || buf[p + 2] === 0x6d) && buf[p + 3] === 0x21)) {
          p += buf[p + 2] === 0x21 ? 3 : 4;
          while (p < buf.length && buf[p] >= 0x30 && buf[p] <= 0x39) p++;
          this.inConditional = true;
          continue;
        }
        const end = buf.indexOf('*/', p + 2, 'latin1');
        p = end < 0 ? buf.length : end + 2;
        continue;
      }
      if (b === 0x2a && buf[p + 1] === 0x2f && this.inConditional) {
        this.inConditional = false;
        p += 2;
        continue;
      }
      if (b === 0x23 || (b === 0x2d && buf[p + 1] === 0x2d && (p + 2 >= buf.length || buf[p + 2] <= 0x20))) {
        const nl = buf.indexOf(0x0a, p);
        p = nl < 0 ? buf.length : nl + 1;
        continue;
      }
      break;
    }
    const start = p;
    const b = buf[p];
    let token: Token;
    if (b === 0x60 || b === 0x27 || b === 0x22) {
      token = this.readQuoted(p);
    } else if (isWordByte(b)) {
      let q = p + 1;
      while (q < buf.length && isWordByte(buf[q])) q++;
      if (this.options.skipLiterals && isNumber(buf, p, q)) token = { type: 'number', value: '', start, end: q };
      else {
        const raw = buf.toString('utf8', p, q);
        token = { type: 'word', value: raw.toUpperCase(), raw, start, end: q };
      }
    } else {
      token = { type: 'punct', value: String.fromCharCode(b), start, end: p + 1 };
    }
    this.pos = token.end;
    return token;
  }

  /** `ident`, 'string' or "string" from `start` (doubled quotes; backslash escapes as TokenOptions.escapes says). */
  private readQuoted(start: number): Token {
    const buf = this.buf;
    const quote = buf[start];
    const escapes = this.options.escapes ?? 'quotes';
    const escaping = quote === 0x27 ? escapes !== 'none' : quote === 0x22 && escapes === 'quotes';
    const parts: Buffer[] = [];
    let q = start + 1;
    let from = q;
    while (q < buf.length) {
      if (buf[q] === 0x5c && escaping) {
        q += 2;
        continue;
      }
      if (buf[q] === quote) {
        if (buf[q + 1] === quote) {
          parts.push(buf.subarray(from, q + 1));
          q += 2;
          from = q;
          continue;
        }
        break;
      }
      q++;
    }
    const end = Math.min(q + 1, buf.length);
    if (quote === 0x27 && this.options.skipLiterals) return { type: 'string', value: '', start, end };
    parts.push(buf.subarray(from, Math.min(q, buf.length)));
    const quoted = Buffer.concat(parts).toString('utf8');
    if (quote === 0x60) return { type: 'ident', value: quoted, start, end };
    const value = escaping ? quoted.replace(/\\(.)/g, '$1') : quoted;
    return { type: 'string', value, start, end, ...(quote === 0x22 ? { ansiIdentifier: quoted } : {}) };
  }
}

function rawWord(t: Token): string {
  return t.raw ?? t.value;
}

/** An identifier token's name (unquoted identifiers keep their spelling; "name" is one under ANSI_QUOTES). */
function identName(t: Token | null): string | null {
  if (!t) return null;
  if (t.type === 'ident') return t.value;
  if (t.type === 'word') return rawWord(t);
  return t.ansiIdentifier ?? null;
}

/** Reads `name` or `schema.name` (the server allows blanks around the dot, and keeps them in SHOW CREATE TRIGGER). */
export function readName(tokens: Tokens): ObjectRef | null {
  const first = tokens.peek();
  const a = identName(first);
  if (a === null || !first) return null;
  tokens.next();
  const dot = tokens.peek();
  if (dot && dot.type === 'punct' && dot.value === '.') {
    tokens.next();
    const second = tokens.next();
    const b = identName(second);
    if (b === null || !second) return { name: a, range: [first.start, first.end] };
    return { schema: a, name: b, qualifier: [first.start, second.start], range: [first.start, second.end] };
  }
  return { name: a, range: [first.start, first.end] };
}

/** Reads a comma-separated list of names, each possibly followed by other words (aliases, lock types). */
export function readNameList(tokens: Tokens, skipAfterName: boolean): ObjectRef[] {
  const out: ObjectRef[] = [];
  for (;;) {
    const ref = readName(tokens);
    if (!ref) break;
    out.push(ref);
    if (skipAfterName) {
      for (let t = tokens.peek(); t && !(t.type === 'punct' && t.value === ','); t = tokens.peek()) tokens.next();
    }
    if (!tokens.acceptPunct(',')) break;
  }
  return out;
}

export function readUser(tokens: Tokens): { user: string; host?: string; end: number; currentUser: boolean } | null {
  const t = tokens.next();
  if (!t) return null;
  if (t.type === 'word' && t.value === 'CURRENT_USER') {
    let end = t.end;
    const open = tokens.peek();
    if (open && open.type === 'punct' && open.value === '(') {
      tokens.next();
      const close = tokens.next();
      end = close ? close.end : end;
    }
    return { user: '', end, currentUser: true };
  }
  const user = t.type === 'word' ? rawWord(t) : t.value;
  const at = tokens.peek();
  if (at && at.type === 'punct' && at.value === '@' && at.start === t.end) {
    tokens.next();
    const h = tokens.next();
    if (!h) return { user, end: at.end, currentUser: false };
    return { user, host: h.type === 'word' ? rawWord(h) : h.value, end: h.end, currentUser: false };
  }
  return { user, end: t.end, currentUser: false };
}

/**
 * Skips the clauses that may sit between CREATE/ALTER and the object keyword (OR REPLACE, ALGORITHM,
 * DEFINER, SQL SECURITY, TEMPORARY, AGGREGATE, ...) and returns the definer when there is one.
 */
export function readCreatePrefix(tokens: Tokens): Definer | undefined {
  let definer: Definer | undefined;
  for (;;) {
    const t = tokens.peek();
    if (!t || t.type !== 'word') return definer;
    if (t.value === 'OR') {
      tokens.next();
      tokens.accept('REPLACE');
    } else if (t.value === 'ALGORITHM') {
      tokens.next();
      tokens.acceptPunct('=');
      tokens.next();
    } else if (t.value === 'DEFINER') {
      tokens.next();
      tokens.acceptPunct('=');
      const user = readUser(tokens);
      if (user) definer = { range: [t.start, user.end], user: user.user, host: user.host, currentUser: user.currentUser };
    } else if (t.value === 'SQL') {
      tokens.next();
      tokens.accept('SECURITY');
      tokens.next();
    } else if (['TEMPORARY', 'AGGREGATE', 'ONLINE', 'OFFLINE', 'IGNORE', 'UNIQUE', 'FULLTEXT', 'SPATIAL'].includes(t.value)) {
      tokens.next();
    } else {
      return definer;
    }
  }
}

/** Skips IF [NOT] EXISTS; true when it was there. */
export function skipIfExists(tokens: Tokens): boolean {
  const t = tokens.peek();
  if (t && t.type === 'word' && t.value === 'IF') {
    tokens.next();
    tokens.accept('NOT');
    tokens.accept('EXISTS');
    return true;
  }
  return false;
}
