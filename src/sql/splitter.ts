// Streaming SQL statement splitter. Works on bytes and never decodes them: dumps may hold raw binary
// inside string literals (mysqldump without --hex-blob), and every byte must reach the server as read.
//
// What it understands:
// - quotes '...', "...", `...` (and [...] identifiers in SQLite) with doubled-quote escapes; backslash
//   escapes inside '...' and "..." in the mysql dialect only;
// - comments: `-- ` (mysql: `--` followed by a blank or control byte; sqlite: any `--`), `#` (mysql), /* */;
// - mysql conditional comments /*!NNNNN ... */ and /*M!NNNNN ... */: they are code (the server executes
//   them), so they start a statement and the delimiter is not looked for inside them;
// - MariaDB's sandbox line /*M!999999\- enable the sandbox mode */: skipped like a comment;
// - the mysql client's `DELIMITER xx` command (mysql dialect, case-insensitive, at the start of a line
//   and of a statement): any delimiter (`;;`, `$$`, `//`, ...), matched case-insensitively;
// - sqlite `CREATE [TEMP] TRIGGER ... BEGIN ... END;`: the `;` inside the body (and CASE ... END) do not
//   end the statement.
// Leading whitespace and comments are not part of a statement, empty and comment-only statements are
// dropped. Memory: the current statement is buffered whole; comments and whitespace between statements
// are discarded as they are scanned.
//
// A statement that the input ends without a delimiter is still returned, with `delimiter: ''`, so that
// the caller can decide (the mysql client executes it; a truncated dump may end that way).

export interface SqlStatement {
  /** The statement's bytes, without leading comments/blanks, trailing blanks and the delimiter. */
  text: Buffer;
  /** Byte offset of the statement's first byte in the input. */
  offset: number;
  /** The delimiter that ended it (';', ';;', '$$', ...), or '' when the input ended first. */
  delimiter: string;
}

export type SqlDialect = 'mysql' | 'sqlite';

const enum Mode {
  Code,
  Single,
  Double,
  Backtick,
  Bracket,
  LineComment,
  BlockComment,
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const BACKSLASH = 0x5c;
const SANDBOX = Buffer.from('/*M!999999\\-', 'latin1');
/** Bytes of a quoted string scanned one by one before the rest is searched with indexOf (see scan). */
const INLINE_SCAN = 48;
/** Capacity the statement buffer keeps however short the statements get (see push). */
const KEPT_CAPACITY = 16 << 20;

function isBlank(b: number): boolean {
  return b === SPACE || b === TAB || b === LF || b === 0x0d || b === 0x0b || b === 0x0c;
}

function isWordByte(b: number): boolean {
  return (
    (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || b === 0x5f || b === 0x24 || b >= 0x80
  );
}

function lower(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b + 0x20 : b;
}

/**
 * The bytes scan() passes over in a tight loop inside a mysql statement: all but quotes, comment starts ('#', '-', '/', and '*' that may end a
 * conditional comment) and the delimiter's first byte (either case: delimiters match case-insensitively).
 */
function plainBytes(delimiterFirst: number): Uint8Array {
  const plain = new Uint8Array(256).fill(1);
  for (const b of [0x27, 0x22, 0x60, 0x23, 0x2d, 0x2f, 0x2a, delimiterFirst, delimiterFirst >= 0x61 && delimiterFirst <= 0x7a ? delimiterFirst - 0x20 : delimiterFirst]) plain[b] = 0;
  return plain;
}

/**
 * The push/drain state machine behind splitStatements, usable synchronously:
 * `push(chunk)`, then `drain(false)` for what is complete, and `drain(true)` at the end.
 */
export class SqlSplitter {
  private buf: Buffer = Buffer.alloc(0);
  /** Bytes of buf in use. */
  private len = 0;
  /** buf's bytes in use (a view): indexOf must not search on into the stale bytes after them. */
  private window: Buffer = this.buf;
  /** Absolute input offset of buf[0]. */
  private base = 0;
  private pos = 0;
  private mode: Mode = Mode.Code;
  private escaped = false;
  private inConditional = false;
  /** Index in buf of the current statement's first byte, -1 while only blanks/comments were seen. */
  private stmtStart = -1;
  /** Only blanks since the last newline (for DELIMITER). */
  private lineBlank = true;
  private delimiter = Buffer.from(';');
  private delimiterText = ';';
  private delimiterFirst = 0x3b;
  // sqlite trigger tracking
  private wordIndex = 0;
  private createSeen = false;
  private inTrigger = false;
  /** 1 inside a sqlite trigger body (between its BEGIN and its END), else 0. */
  private depth = 0;
  private caseDepth = 0;
  private bodyStarted = false;
  /** The last token was an END that may close the trigger; anything but the delimiter reopens it. */
  private endPending = false;
  private prevByte = 0;
  /** Bytes that need no look inside a mysql statement outside quotes and comments (plainBytes). */
  private plain = plainBytes(0x3b);
  /** Index in buf of the next backslash at or after the scan position, or `len` when none is left. */
  private nextBackslash = -1;

  constructor(private readonly dialect: SqlDialect) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    // Drop what is consumed: before the statement, or everything scanned when no statement started.
    const keep = this.stmtStart >= 0 ? this.stmtStart : this.pos;
    const remaining = this.len - keep;
    const needed = remaining + chunk.length;
    if (needed > this.buf.length || keep > 0) {
      let target = this.buf;
      // Grown by doubling; shrunk only from far above what is needed, for the next statement of a dump
      // is as long as the last (4 MiB INSERTs): shrinking after each and growing again meant fresh
      // memory, and copies, for every statement (a tenth of a restore's main thread).
      if (needed > this.buf.length || this.buf.length > 4 * Math.max(needed, KEPT_CAPACITY)) {
        target = Buffer.allocUnsafe(Math.max(needed * 2, 64 * 1024));
      }
      this.buf.copy(target, 0, keep, this.len);
      this.buf = target;
      this.base += keep;
      this.pos -= keep;
      if (this.stmtStart >= 0) this.stmtStart -= keep;
      this.len = remaining;
    }
    chunk.copy(this.buf, this.len);
    this.len += chunk.length;
    this.window = this.buf.subarray(0, this.len);
    this.nextBackslash = -1; // the bytes moved, and new ones came
  }

  /** Returns the statements completed so far; with `final`, also the unterminated rest. */
  drain(final: boolean): SqlStatement[] {
    const out: SqlStatement[] = [];
    this.scan(final, out);
    if (final) {
      if (this.stmtStart >= 0) this.emit(this.len, '', out);
      this.pos = this.len;
    }
    return out;
  }

  private emit(end: number, delimiter: string, out: SqlStatement[]): void {
    let stop = end;
    while (stop > this.stmtStart && isBlank(this.buf[stop - 1])) stop--;
    const text = Buffer.allocUnsafe(stop - this.stmtStart);
    this.buf.copy(text, 0, this.stmtStart, stop);
    out.push({ text, offset: this.base + this.stmtStart, delimiter });
    this.stmtStart = -1;
    this.inConditional = false;
    this.wordIndex = 0;
    this.createSeen = false;
    this.inTrigger = false;
    this.depth = 0;
    this.caseDepth = 0;
    this.bodyStarted = false;
    this.endPending = false;
  }

  private markStatement(at: number): void {
    if (this.stmtStart < 0) this.stmtStart = at;
  }

  /** 1: delimiter at p; 0: not; -1: cannot tell yet (input ends inside a possible match). */
  private matchDelimiter(p: number, final: boolean): number {
    const d = this.delimiter;
    for (let i = 0; i < d.length; i++) {
      if (p + i >= this.len) return final ? 0 : -1;
      if (lower(this.buf[p + i]) !== lower(d[i])) return 0;
    }
    return 1;
  }

  /** The first closing quote (or, with `escapes`, backslash) at or after `from`; `len` when there is none. */
  private nextStop(from: number, close: number, escapes: boolean): number {
    const { window, len } = this;
    let q = window.indexOf(close, from);
    if (q < 0) q = len;
    if (escapes) {
      if (this.nextBackslash < from) {
        const found = window.indexOf(BACKSLASH, from);
        this.nextBackslash = found < 0 ? len : found;
      }
      if (this.nextBackslash < q) return this.nextBackslash;
    }
    return q;
  }

  private scan(final: boolean, out: SqlStatement[]): void {
    const buf = this.buf;
    const len = this.len;
    const mysql = this.dialect === 'mysql';
    let p = this.pos;
    while (p < len) {
      switch (this.mode) {
        case Mode.Single:
        case Mode.Double:
        case Mode.Backtick:
        case Mode.Bracket: {
          const close = this.mode === Mode.Single ? 0x27 : this.mode === Mode.Double ? 0x22 : this.mode === Mode.Backtick ? 0x60 : 0x5d;
          const escapes = mysql && (this.mode === Mode.Single || this.mode === Mode.Double);
          if (this.escaped) {
            this.escaped = false;
            p++;
          }
          while (p < len) {
            // The next closing quote or backslash: looked for byte by byte over the first bytes (most
            // of a row's strings are short, and a call of indexOf costs as much as scanning tens of
            // bytes), then at memchr speed (long strings).
            let q = p;
            const inlineEnd = Math.min(len, p + INLINE_SCAN);
            if (escapes) while (q < inlineEnd && buf[q] !== close && buf[q] !== BACKSLASH) q++;
            else while (q < inlineEnd && buf[q] !== close) q++;
            if (q === inlineEnd && q < len) q = this.nextStop(q, close, escapes);
            if (escapes && q < len && buf[q] === BACKSLASH) {
              if (q + 1 >= len) {
                this.escaped = true;
                p = len;
                break;
              }
              p = q + 2;
              continue;
            }
            p = q;
            if (p < len) {
              this.mode = Mode.Code;
              this.prevByte = close;
              p++;
            }
            break;
          }
          continue;
        }
        case Mode.LineComment: {
          const nl = this.window.indexOf(LF, p);
          if (nl < 0) {
            p = len;
            continue;
          }
          p = nl + 1;
          this.mode = Mode.Code;
          this.lineBlank = true;
          this.prevByte = LF;
          continue;
        }
        case Mode.BlockComment: {
          let q = p;
          while (q < len && !(buf[q] === 0x2a && q + 1 < len && buf[q + 1] === 0x2f)) q++;
          if (q >= len) {
            // Keep a trailing '*' for the next chunk, which may start with '/'.
            this.pos = !final && buf[len - 1] === 0x2a ? len - 1 : len;
            return;
          }
          p = q + 2;
          this.mode = Mode.Code;
          this.prevByte = SPACE;
          continue;
        }
        case Mode.Code:
          break;
      }

      // Mode.Code
      if (mysql && this.stmtStart >= 0 && !this.inConditional) {
        // Inside a statement, only quotes, comments and the delimiter matter: skip the rest (a row's
        // numbers, commas, parentheses) in a tight loop. Line starts matter only between statements.
        const plain = this.plain;
        let q = p;
        while (q < len && plain[buf[q]] === 1) q++;
        if (q > p) {
          this.prevByte = buf[q - 1];
          this.lineBlank = false;
          p = q;
          continue;
        }
      }
      const b = buf[p];
      if (isBlank(b)) {
        if (b === LF) this.lineBlank = true;
        this.prevByte = b;
        p++;
        continue;
      }
      const blankLine = this.lineBlank;
      this.lineBlank = false;

      // The delimiter (not inside conditional comments, nor inside a sqlite trigger body).
      if (!this.inConditional && this.depth === 0 && lower(b) === lower(this.delimiter[0])) {
        const m = this.matchDelimiter(p, final);
        if (m < 0) {
          this.lineBlank = blankLine;
          this.pos = p;
          return;
        }
        if (m > 0) {
          if (this.stmtStart >= 0) this.emit(p, this.delimiterText, out);
          p += this.delimiter.length;
          this.prevByte = SPACE;
          continue;
        }
      }

      // `begin` and `end` are valid column names in sqlite: an END closes the trigger only when the
      // delimiter follows it; anything else (a word, a parenthesis) means it was a name after all.
      if (this.endPending && b !== 0x2d && b !== 0x2f) {
        this.endPending = false;
        this.depth = 1;
      }
      if (b === 0x27 || b === 0x22 || b === 0x60 || (b === 0x5b && !mysql)) {
        this.markStatement(p);
        this.mode = b === 0x27 ? Mode.Single : b === 0x22 ? Mode.Double : b === 0x60 ? Mode.Backtick : Mode.Bracket;
        this.prevByte = b;
        p++;
        continue;
      }
      if (b === 0x23 && mysql) {
        this.mode = Mode.LineComment;
        p++;
        continue;
      }
      if (b === 0x2d) {
        // '-'
        if (p + 1 >= len && !final) {
          this.lineBlank = blankLine;
          this.pos = p;
          return;
        }
        if (p + 1 < len && buf[p + 1] === 0x2d) {
          if (!mysql) {
            this.mode = Mode.LineComment;
            p += 2;
            continue;
          }
          if (p + 2 >= len && !final) {
            this.lineBlank = blankLine;
            this.pos = p;
            return;
          }
          if (p + 2 >= len || buf[p + 2] <= SPACE) {
            this.mode = Mode.LineComment;
            p += 2;
            continue;
          }
        }
      } else if (b === 0x2f) {
        // '/': a comment, a conditional comment or the sandbox line; decide only with enough bytes.
        const avail = len - p;
        if (!final && (avail < 4 || (avail < SANDBOX.length && SANDBOX.subarray(0, avail).equals(buf.subarray(p, len))))) {
          this.lineBlank = blankLine;
          this.pos = p;
          return;
        }
        if (avail >= 2 && buf[p + 1] === 0x2a) {
          if (avail >= SANDBOX.length && buf.subarray(p, p + SANDBOX.length).equals(SANDBOX)) {
            this.mode = Mode.BlockComment;
            p += SANDBOX.length;
            continue;
          }
          const c2 = avail > 2 ? buf[p + 2] : -1;
          const c3 = avail > 3 ? buf[p + 3] : -1;
          if (mysql && !this.inConditional && (c2 === 0x21 || ((c2 === 0x4d || c2 === 0x6d) && c3 === 0x21))) {
            this.markStatement(p);
            this.inConditional = true;
            p += c2 === 0x21 ? 3 : 4;
            this.prevByte = SPACE;
            continue;
          }
          this.mode = Mode.BlockComment;
          p += 2;
          continue;
        }
      } else if (b === 0x2a && this.inConditional) {
        if (p + 1 >= len && !final) {
          this.lineBlank = blankLine;
          this.pos = p;
          return;
        }
        if (p + 1 < len && buf[p + 1] === 0x2f) {
          this.inConditional = false;
          p += 2;
          this.prevByte = SPACE;
          continue;
        }
      } else if (isWordByte(b) && !isWordByte(this.prevByte)) {
        // A word: keywords matter for DELIMITER and sqlite triggers, and are at most 9 bytes long.
        // A word stops where the delimiter may start: `END$$` is END, then the delimiter $$.
        const d0 = this.delimiterFirst;
        let q = p + 1;
        const limit = Math.min(len, p + 10);
        while (q < limit && isWordByte(buf[q]) && lower(buf[q]) !== d0) q++;
        if (q === len && q - p < 10 && !final) {
          // The word may go on in the next chunk.
          this.lineBlank = blankLine;
          this.pos = p;
          return;
        }
        if (q - p < 10) {
          const wordLength = q - p;
          if (mysql && this.stmtStart < 0 && blankLine && wordLength === 9 && buf.toString('latin1', p, q).toUpperCase() === 'DELIMITER') {
            const r = this.delimiterCommand(p, q, final);
            if (r < 0) {
              this.lineBlank = blankLine;
              this.pos = p;
              return;
            }
            if (r > 0) {
              p = r;
              this.lineBlank = true;
              this.prevByte = LF;
              continue;
            }
          }
          if (!mysql) {
            if (this.prevByte !== 0x2e) this.sqliteWord(buf.toString('latin1', p, q).toUpperCase());
            else this.wordIndex++;
          }
        } else {
          // A long word (a number, a hex literal...): not a keyword; it may continue in the next chunk.
          while (q < len && isWordByte(buf[q]) && lower(buf[q]) !== d0) q++;
          if (!mysql) this.wordIndex++;
        }
        this.markStatement(p);
        this.prevByte = buf[q - 1];
        p = q;
        continue;
      }
      this.markStatement(p);
      this.prevByte = b;
      p++;
    }
    this.pos = p;
  }

  /**
   * `DELIMITER xx` starting at p (word ends at q). Returns the index after the command's line, 0 when
   * this is not a delimiter command, -1 when the line is not complete yet.
   */
  private delimiterCommand(p: number, q: number, final: boolean): number {
    const buf = this.buf;
    if (q >= this.len) return final ? 0 : -1;
    if (buf[q] !== SPACE && buf[q] !== TAB) return 0;
    let nl = this.window.indexOf(LF, q);
    if (nl < 0) {
      if (!final) return -1;
      nl = this.len;
    }
    let s = q;
    while (s < nl && isBlank(buf[s])) s++;
    let e = s;
    while (e < nl && !isBlank(buf[e])) e++;
    let value = buf.subarray(s, e);
    const first = value[0];
    if (value.length >= 2 && (first === 0x27 || first === 0x22 || first === 0x60) && value[value.length - 1] === first) {
      value = value.subarray(1, value.length - 1);
    }
    if (value.length === 0) {
      throw new Error(`DELIMITER command without a delimiter at byte offset ${this.base + p}`);
    }
    if (value.includes(BACKSLASH)) {
      throw new Error(`DELIMITER cannot contain a backslash (byte offset ${this.base + p})`);
    }
    this.delimiter = Buffer.from(value);
    this.delimiterText = value.toString('latin1');
    this.delimiterFirst = lower(value[0]);
    this.plain = plainBytes(this.delimiterFirst);
    return nl < this.len ? nl + 1 : nl;
  }

  private sqliteWord(word: string): void {
    const index = this.wordIndex++;
    if (index === 0) {
      this.createSeen = word === 'CREATE';
      return;
    }
    if (!this.inTrigger) {
      if (this.createSeen && index <= 2 && word === 'TRIGGER') this.inTrigger = true;
      else if (!(index === 1 && (word === 'TEMP' || word === 'TEMPORARY'))) this.createSeen = false;
      return;
    }
    if (!this.bodyStarted) {
      if (word === 'BEGIN') {
        this.bodyStarted = true;
        this.depth = 1;
      }
      return;
    }
    if (word === 'CASE') this.caseDepth++;
    else if (word === 'END') {
      if (this.caseDepth > 0) this.caseDepth--;
      else if (this.depth === 1) {
        this.depth = 0;
        this.endPending = true;
      }
    }
  }
}

/**
 * Splits a stream of SQL bytes into statements. Chunks may be cut anywhere (inside a multi-byte
 * character, a quote, a comment or a delimiter).
 */
export async function* splitStatements(source: AsyncIterable<Buffer>, dialect: SqlDialect): AsyncGenerator<SqlStatement> {
  const splitter = new SqlSplitter(dialect);
  for await (const chunk of source) {
    splitter.push(chunk);
    for (const statement of splitter.drain(false)) yield statement;
  }
  for (const statement of splitter.drain(true)) yield statement;
}
