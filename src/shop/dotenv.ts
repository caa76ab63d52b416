// A reader for the .env files of Symfony applications (Shopware 6), reading them as Symfony's Dotenv
// component does: `NAME=value` lines, `export NAME=value`, comments, values in single quotes (as
// written), double quotes (\" \n \r \\ escapes, variables expanded, several lines) or none (variables
// expanded, no spaces), quoted and unquoted parts joined, `$NAME`, `${NAME}`, `${NAME:-default}` and
// `${NAME:=default}`. A command to run (`$(...)`) is refused: Lifeboat runs nothing to read settings.

export class DotenvError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

export interface DotenvValue {
  value: string;
  /** 1-based line of the definition. */
  line: number;
}

export interface DotenvContext {
  /** The process's own variables: they win over every file, in expansions too (as in Symfony). */
  env: Readonly<Record<string, string | undefined>>;
  /** What earlier files defined (for `${NAME}` in a later file). */
  earlier?: ReadonlyMap<string, string>;
}

const NAME = /(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)/y;

/** The variables one file defines, in order; a later definition of a name replaces an earlier one. */
export function parseDotenv(text: string, context: DotenvContext): Map<string, DotenvValue> {
  return new DotenvParser(text.replace(/\r\n?/g, '\n'), context).run();
}

class DotenvParser {
  private pos = 0;
  private line = 1;
  private readonly values = new Map<string, DotenvValue>();

  constructor(
    private readonly text: string,
    private readonly context: DotenvContext,
  ) {}

  run(): Map<string, DotenvValue> {
    for (;;) {
      this.skipBlankAndComments();
      if (this.pos >= this.text.length) return this.values;
      const line = this.line;
      NAME.lastIndex = this.pos;
      const name = NAME.exec(this.text);
      if (!name) throw new DotenvError('has a line that does not start with a variable name (NAME=value)', line);
      this.pos = NAME.lastIndex;
      const next = this.text[this.pos];
      if (next !== '=') {
        // `export NAME` alone exports what is already set: nothing to read.
        if (name[0].startsWith('export') && name[0] !== name[1] && (next === undefined || next === '\n' || next === ' ' || next === '\t')) {
          this.skipToLineEnd();
          continue;
        }
        throw new DotenvError(next === ' ' || next === '\t' ? `has a space after ${name[1]}: write ${name[1]}=value` : `has no "=" after ${name[1]}`, line);
      }
      this.pos++;
      this.values.set(name[1], { value: this.value(), line });
    }
  }

  private skipBlankAndComments(): void {
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === '#') this.skipToLineEnd();
      else if (c === '\n') {
        this.line++;
        this.pos++;
      } else if (c === ' ' || c === '\t') this.pos++;
      else return;
    }
  }

  private skipToLineEnd(): void {
    while (this.pos < this.text.length && this.text[this.pos] !== '\n') this.pos++;
  }

  private value(): string {
    const rest = /[ \t]*(?:#[^\n]*)?(?=\n|$)/y;
    rest.lastIndex = this.pos;
    if (rest.exec(this.text)) {
      this.pos = rest.lastIndex;
      return '';
    }
    if (this.text[this.pos] === ' ' || this.text[this.pos] === '\t') throw new DotenvError('has a space after "=": quote the value if it starts with one', this.line);
    let out = '';
    while (this.pos < this.text.length && this.text[this.pos] !== '\n') {
      const c = this.text[this.pos];
      if (c === "'") out += this.singleQuoted();
      else if (c === '"') out += this.doubleQuoted();
      else {
        const { part, comment } = this.unquoted();
        out += part;
        if (comment) {
          this.skipToLineEnd();
          break;
        }
      }
    }
    return out;
  }

  private closingQuote(quote: string, from: number): number {
    for (let i = from; i < this.text.length; i++) {
      if (this.text[i] === quote) return i;
      if (quote === '"' && this.text[i] === '\\') i++;
    }
    throw new DotenvError(`has a ${quote === "'" ? 'single' : 'double'} quote that is never closed`, this.line);
  }

  private take(end: number): string {
    const raw = this.text.slice(this.pos + 1, end);
    this.line += raw.split('\n').length - 1;
    this.pos = end + 1;
    return raw;
  }

  private singleQuoted(): string {
    return this.take(this.closingQuote("'", this.pos + 1));
  }

  private doubleQuoted(): string {
    const line = this.line;
    const raw = this.take(this.closingQuote('"', this.pos + 1));
    const unescaped = raw.replace(/\\"/g, '"').replace(/\\r/g, '\r').replace(/\\n/g, '\n');
    return this.expand(unescaped, line).replace(/\\\\/g, '\\');
  }

  /** Up to a quote, the line's end, or a comment (a "#" after a space). */
  private unquoted(): { part: string; comment: boolean } {
    const line = this.line;
    let raw = '';
    let previous = this.text[this.pos - 1];
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === '\n' || c === '"' || c === "'") break;
      if (c === '#' && (previous === ' ' || previous === '\t')) break;
      if (c === '\\' && (this.text[this.pos + 1] === '"' || this.text[this.pos + 1] === "'")) this.pos++;
      raw += previous = this.text[this.pos];
      this.pos++;
    }
    const trimmed = raw.replace(/[ \t]+$/, '');
    const part = this.expand(trimmed, line).replace(/\\\\/g, '\\');
    if (part === trimmed && /\s/.test(trimmed)) throw new DotenvError('has a value with spaces that is not in quotes', line);
    return { part, comment: this.text[this.pos] === '#' };
  }

  /** `$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME:=default}` replaced; `\$` kept as a "$". */
  private expand(text: string, line: number): string {
    if (/(?<!\\)(?:\\\\)*\$\(/.test(text)) throw new DotenvError('runs a command ($(...)), which Lifeboat does not do', line);
    const pattern = /(?<!\\)(\\*)\$(?!\()(\{)?([A-Za-z_][A-Za-z0-9_]*)?(:[-=][^}]*)?(\})?/g;
    return text.replace(pattern, (match, slashes: string, open?: string, name?: string, fallback?: string, close?: string) => {
      if (slashes.length % 2 === 1) return match.slice(1); // \$ is a dollar sign
      if (open && !close) throw new DotenvError('has a "${" that is never closed', line);
      if (!name) return match;
      let value = this.resolve(name);
      if (value === '' && fallback) {
        if (/['"{$]/.test(fallback)) throw new DotenvError(`has a default value for ${name} with a quote, "{" or "$" in it, which Symfony does not allow`, line);
        value = fallback.slice(2);
        if (fallback[1] === '=') this.values.set(name, { value, line });
      }
      if (!open && close) value += '}';
      return slashes + value;
    });
  }

  private resolve(name: string): string {
    return this.context.env[name] ?? this.values.get(name)?.value ?? this.context.earlier?.get(name) ?? '';
  }
}
