// The tokens of a PHP file, as far as Lifeboat reads PHP: enough to find the literal values a shop's
// configuration file holds (app/etc/env.php, wp-config.php) without running PHP. Strings are decoded
// (both quote styles with their escapes); everything else (names, variables, operators) is kept as
// written, so that what is not a plain value can be recognised and refused.

export type TokenKind =
  /** A string literal without variables in it; `value` is its decoded text. */
  | 'string'
  /** A double-quoted string or heredoc with variables in it ("$x", "{$x}"), or a heredoc/nowdoc. */
  | 'template'
  | 'number'
  /** A name: keyword, function, constant or class (`return`, `array`, `getenv`, `PHP_EOL`, `true`). */
  | 'name'
  | 'variable'
  /** Operators and punctuation; `=>`, `::`, `...`, `??` are one token, anything else one character. */
  | 'punct';

export interface Token {
  kind: TokenKind;
  /** Decoded for strings; the number's value for numbers; as written for the rest. */
  value: string;
  /** 1-based line where the token starts. */
  line: number;
}

export class PhpSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const NAME_START = /[A-Za-z_\x80-\uffff]/;
const NAME_CHAR = /[A-Za-z0-9_\x80-\uffff]/;
const MULTI_PUNCT = ['...', '=>', '::', '??'];

/**
 * The tokens of the PHP code in `text`: from the first `<?php` (anything before it must be blank) to the
 * first `?>` or the end. Whitespace and comments are dropped.
 */
export function tokenize(text: string): Token[] {
  return new Lexer(text).run();
}

class Lexer {
  private pos = 0;
  private line = 1;
  private readonly tokens: Token[] = [];

  constructor(private readonly text: string) {}

  run(): Token[] {
    this.openTag();
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === '\n') {
        this.line++;
        this.pos++;
      } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
        this.pos++;
      } else if (this.startsWith('?>')) {
        break; // the rest of the file is output, not code
      } else if (c === '#' || this.startsWith('//')) {
        this.lineComment();
      } else if (this.startsWith('/*')) {
        this.blockComment();
      } else if (c === "'") {
        const line = this.line;
        this.push('string', this.singleQuoted(), line);
      } else if (c === '"') {
        this.doubleQuoted();
      } else if (this.startsWith('<<<')) {
        this.heredoc();
      } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(this.text[this.pos + 1] ?? ''))) {
        this.number();
      } else if (c === '$' && NAME_START.test(this.text[this.pos + 1] ?? '')) {
        const start = this.pos++;
        while (this.pos < this.text.length && NAME_CHAR.test(this.text[this.pos])) this.pos++;
        this.push('variable', this.text.slice(start, this.pos));
      } else if (NAME_START.test(c)) {
        const start = this.pos;
        while (this.pos < this.text.length && NAME_CHAR.test(this.text[this.pos])) this.pos++;
        this.push('name', this.text.slice(start, this.pos));
      } else {
        const multi = MULTI_PUNCT.find((p) => this.startsWith(p));
        this.push('punct', multi ?? c);
        this.pos += multi?.length ?? 1;
      }
    }
    return this.tokens;
  }

  private openTag(): void {
    const match = /^\uFEFF?\s*<\?php(?=\s)/i.exec(this.text);
    if (!match) {
      const first = /\S/.exec(this.text.replace(/^\uFEFF/, ''));
      throw new PhpSyntaxError('does not start with "<?php"', first ? this.text.slice(0, first.index).split('\n').length : 1);
    }
    this.line += match[0].split('\n').length - 1;
    this.pos = match[0].length;
  }

  private startsWith(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }

  private push(kind: TokenKind, value: string, line = this.line): void {
    this.tokens.push({ kind, value, line });
  }

  private lineComment(): void {
    while (this.pos < this.text.length && this.text[this.pos] !== '\n' && !this.startsWith('?>')) this.pos++;
  }

  private blockComment(): void {
    const end = this.text.indexOf('*/', this.pos + 2);
    if (end < 0) throw new PhpSyntaxError('has a comment "/*" that is never closed', this.line);
    this.countLines(this.pos, end + 2);
    this.pos = end + 2;
  }

  private countLines(from: number, to: number): void {
    for (let i = from; i < to; i++) if (this.text[i] === '\n') this.line++;
  }

  private unclosed(line: number): never {
    throw new PhpSyntaxError('has a string that is never closed', line);
  }

  /** '...': only \' and \\ are escapes. */
  private singleQuoted(): string {
    const line = this.line;
    let out = '';
    let i = this.pos + 1;
    for (;;) {
      const c = this.text[i];
      if (c === undefined) this.unclosed(line);
      if (c === "'") break;
      if (c === '\\' && (this.text[i + 1] === "'" || this.text[i + 1] === '\\')) {
        out += this.text[i + 1];
        i += 2;
        continue;
      }
      if (c === '\n') this.line++;
      out += c;
      i++;
    }
    this.pos = i + 1;
    return out;
  }

  /** "...": escapes decoded to bytes (so "\xC3\xA9" is "é"); "$x" or "{$x}" makes it a template. */
  private doubleQuoted(): void {
    const line = this.line;
    const bytes = new ByteText();
    let template = false;
    let i = this.pos + 1;
    for (;;) {
      const c = this.text[i];
      if (c === undefined) this.unclosed(line);
      if (c === '"') break;
      if (c === '\\') {
        i = decodeEscape(this.text, i, bytes);
        continue;
      }
      if ((c === '$' && NAME_START.test(this.text[i + 1] ?? '')) || (c === '$' && this.text[i + 1] === '{') || (c === '{' && this.text[i + 1] === '$')) template = true;
      if (c === '\n') this.line++;
      const cp = this.text.codePointAt(i)!;
      bytes.text(String.fromCodePoint(cp));
      i += cp > 0xffff ? 2 : 1;
    }
    this.pos = i + 1;
    this.push(template ? 'template' : 'string', template ? '' : bytes.toString(), line);
  }

  /** <<<ID ... ID (heredoc or nowdoc): kept as a template, which no configuration Lifeboat reads needs. */
  private heredoc(): void {
    const line = this.line;
    const head = /^<<<[ \t]*(["']?)([A-Za-z_][A-Za-z0-9_]*)\1\r?\n/.exec(this.text.slice(this.pos));
    if (!head) {
      this.push('punct', '<');
      this.pos++;
      return;
    }
    const close = new RegExp(`\\n[ \\t]*${head[2]}\\b`, 'g');
    close.lastIndex = this.pos + head[0].length - 1;
    const end = close.exec(this.text);
    if (!end) this.unclosed(line);
    const after = end.index + end[0].length;
    this.countLines(this.pos, after);
    this.pos = after;
    this.push('template', '', line);
  }

  private number(): void {
    const rest = this.text.slice(this.pos);
    const match = /^(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:[0-9][0-9_]*)?\.?[0-9][0-9_]*(?:[eE][+-]?[0-9]+)?)/.exec(rest)!;
    this.pos += match[0].length;
    this.push('number', String(phpNumber(match[0].replace(/_/g, ''))));
  }
}

function phpNumber(text: string): number {
  if (/^0[xX]/.test(text)) return parseInt(text.slice(2), 16);
  if (/^0[bB]/.test(text)) return parseInt(text.slice(2), 2);
  if (/^0[oO]/.test(text)) return parseInt(text.slice(2), 8);
  if (/^0[0-7]+$/.test(text)) return parseInt(text, 8); // 0755 is octal in PHP
  return Number(text);
}

/** Text built from characters and raw bytes, read as UTF-8 at the end, as PHP's strings are bytes. */
class ByteText {
  private readonly parts: Buffer[] = [];
  text(s: string): void {
    this.parts.push(Buffer.from(s, 'utf8'));
  }
  byte(b: number): void {
    this.parts.push(Buffer.from([b & 0xff]));
  }
  toString(): string {
    return Buffer.concat(this.parts).toString('utf8');
  }
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', v: '\v', e: '\x1b', f: '\f', '\\': '\\', $: '$', '"': '"' };

/** Decodes the escape at `text[i]` (a backslash) of a double-quoted string into `out`; returns the index after it. */
function decodeEscape(text: string, i: number, out: ByteText): number {
  const next = text[i + 1];
  if (next !== undefined && next in SIMPLE_ESCAPES) {
    out.text(SIMPLE_ESCAPES[next]);
    return i + 2;
  }
  const octal = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4));
  if (octal) {
    out.byte(parseInt(octal[0], 8));
    return i + 1 + octal[0].length;
  }
  const hex = /^x([0-9a-fA-F]{1,2})/.exec(text.slice(i + 1, i + 4));
  if (hex) {
    out.byte(parseInt(hex[1], 16));
    return i + 1 + hex[0].length;
  }
  const unicode = /^u\{([0-9a-fA-F]+)\}/.exec(text.slice(i + 1, i + 12));
  if (unicode && parseInt(unicode[1], 16) <= 0x10ffff) {
    out.text(String.fromCodePoint(parseInt(unicode[1], 16)));
    return i + 1 + unicode[0].length;
  }
  out.text('\\'); // any other backslash is kept, as PHP keeps it
  return i + 1;
}
