// The literal values of PHP that shops' configuration files are made of: arrays (`[...]` and
// `array(...)`, keys or not, nested, trailing commas), strings, numbers, booleans and null. Anything
// else (a call such as getenv(), a constant, a variable, a concatenation) is not evaluated: it is kept
// as a NotLiteral saying what it is and on which line, and becomes an error only if Lifeboat needs
// that value. Its text is never repeated (it may hold a password), only its kind and the names in it.
import { PhpSyntaxError, tokenize, type Token } from './php-lexer.js';

export type PhpValue = string | number | boolean | null | PhpArray | NotLiteral;

export interface PhpArray {
  kind: 'array';
  /** By PHP's key: "5" and 5 are the same key, kept as "5". Later duplicates win, as in PHP. */
  entries: Map<string, PhpValue>;
  /** Entries whose key cannot be known without running PHP (`...$x`, a constant as the key). */
  unknownKeys: NotLiteral[];
}

export interface NotLiteral {
  kind: 'not-literal';
  line: number;
  /** What it is, e.g. "a call to getenv()", "the constant DB_PASSWORD", "a concatenation (.)". */
  what: string;
}

/** A value Lifeboat needs is not a plain value. */
export class NotLiteralError extends Error {
  constructor(
    readonly notLiteral: NotLiteral,
    /** The path looked up, e.g. "db/connection/default/host". */
    readonly path: string,
  ) {
    super(`${path} is ${notLiteral.what}`);
  }
}

export { PhpSyntaxError } from './php-lexer.js';

/** The value of a file that is `<?php return VALUE;` (Magento's env.php, Symfony's .env.local.php). */
export function parseReturnFile(text: string): PhpValue {
  const tokens = tokenize(text);
  let i = 0;
  // `declare(strict_types=1);` may come first.
  if (isName(tokens[i], 'declare') && tokens[i + 1]?.value === '(') {
    while (i < tokens.length && tokens[i].value !== ';') i++;
    i++;
  }
  const first = tokens[i];
  if (!isName(first, 'return')) {
    throw new PhpSyntaxError(first ? `does more than return an array: it starts with ${describeStart(tokens, i)}` : 'holds no code', first?.line ?? 1);
  }
  const { value, end } = parseValueAt(tokens, i + 1);
  const after = tokens[end];
  if (after !== undefined && after.value !== ';') throw new PhpSyntaxError(`has "${after.value}" where ";" should end the return`, after.line);
  return value;
}

/** The value that starts at `tokens[start]`, and the index of the token after it (a `,`, `)`, `;` ...). */
export function parseValueAt(tokens: Token[], start: number): { value: PhpValue; end: number } {
  const parser = new Parser(tokens, start);
  const value = parser.value();
  return { value, end: parser.index };
}

/**
 * The value at `path` (keys of nested arrays), undefined when absent; a NotLiteralError when it, or an
 * array on the way that might hold it, is not a plain value.
 */
export function lookup(root: PhpValue, path: string[]): PhpValue | undefined {
  let current: PhpValue = root;
  for (let depth = 0; depth <= path.length; depth++) {
    const here = path.slice(0, depth).join('/') || 'the returned value';
    if (isNotLiteral(current)) throw new NotLiteralError(current, here);
    if (depth === path.length) return current;
    if (!isArray(current)) return undefined;
    const next = current.entries.get(path[depth]);
    if (next === undefined) {
      if (current.unknownKeys.length > 0) throw new NotLiteralError(current.unknownKeys[0], `${here} (which may hold ${path[depth]})`);
      return undefined;
    }
    current = next;
  }
  return current;
}

export function isArray(value: PhpValue | undefined): value is PhpArray {
  return typeof value === 'object' && value !== null && value.kind === 'array';
}

export function isNotLiteral(value: PhpValue | undefined): value is NotLiteral {
  return typeof value === 'object' && value !== null && value.kind === 'not-literal';
}

/** A scalar as PHP turns it into a string (true is "1", false and null are ""); undefined for arrays. */
export function phpString(value: PhpValue | undefined): string | undefined {
  if (value === undefined || value === null || value === false) return value === undefined ? undefined : '';
  if (value === true) return '1';
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  return undefined;
}

function isName(token: Token | undefined, name: string): boolean {
  return token?.kind === 'name' && token.value.toLowerCase() === name;
}

const CLOSERS = new Set([')', ']', '}']);
const OPENERS = new Set(['(', '[', '{']);
/** What may follow a complete value in the places values stand in. */
const TERMINATORS = new Set([',', ')', ']', ';', '=>']);

class Parser {
  constructor(
    private readonly tokens: Token[],
    public index: number,
  ) {}

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.index + offset];
  }

  private atTerminator(): boolean {
    const token = this.peek();
    return token === undefined || (token.kind === 'punct' && TERMINATORS.has(token.value));
  }

  value(): PhpValue {
    const start = this.index;
    const literal = this.literal();
    if (literal !== undefined && this.atTerminator()) return literal;
    const following = literal !== undefined ? this.peek() : undefined;
    if (following && (following.kind === 'string' || following.kind === 'number' || following.kind === 'template')) {
      throw new PhpSyntaxError(`has a ${following.kind === 'number' ? 'number' : 'string'} right after another value (a missing ","?)`, following.line);
    }
    this.index = start;
    return this.skipExpression(following);
  }

  /** A literal value starting here (the index moves past it), or undefined (the index may have moved). */
  private literal(): PhpValue | undefined {
    const token = this.peek();
    if (!token) return undefined;
    if (token.kind === 'string') {
      this.index++;
      return token.value;
    }
    if (token.kind === 'number') {
      this.index++;
      return Number(token.value);
    }
    if (token.kind === 'punct' && (token.value === '-' || token.value === '+') && this.peek(1)?.kind === 'number') {
      this.index += 2;
      return (token.value === '-' ? -1 : 1) * Number(this.peek(-1)!.value);
    }
    if (token.kind === 'punct' && token.value === '[') return this.array(']');
    if (isName(token, 'array') && this.peek(1)?.value === '(') {
      this.index++;
      return this.array(')');
    }
    const named = token.kind === 'punct' && token.value === '\\' ? this.peek(1) : token; // \true, \null
    if (named?.kind === 'name' && ['true', 'false', 'null'].includes(named.value.toLowerCase())) {
      this.index += named === token ? 1 : 2;
      const word = named.value.toLowerCase();
      return word === 'null' ? null : word === 'true';
    }
    return undefined;
  }

  private array(closer: string): PhpArray {
    const open = this.peek()!;
    this.index++; // the opener
    const result: PhpArray = { kind: 'array', entries: new Map(), unknownKeys: [] };
    let nextIndex = 0;
    for (;;) {
      const token = this.peek();
      if (!token) throw new PhpSyntaxError(`has an array (line ${open.line}) that is never closed`, open.line);
      if (token.value === closer) {
        this.index++;
        return result;
      }
      if (token.value === '...') {
        this.index++;
        this.value();
        result.unknownKeys.push({ kind: 'not-literal', line: token.line, what: 'an unpacked array (...)' });
      } else {
        const first = this.value();
        let key: PhpValue = nextIndex;
        let item = first;
        if (this.peek()?.value === '=>') {
          this.index++;
          key = first;
          item = this.value();
        }
        const normalised = arrayKey(key);
        if (normalised === undefined) {
          result.unknownKeys.push(isNotLiteral(key) ? key : { kind: 'not-literal', line: token.line, what: 'an array used as a key' });
        } else {
          result.entries.set(normalised, item);
          if (/^(0|-?[1-9]\d*)$/.test(normalised)) nextIndex = Math.max(nextIndex, Number(normalised) + 1);
        }
      }
      const after = this.peek();
      if (after?.value === ',') this.index++;
      else if (after?.value !== closer) {
        throw new PhpSyntaxError(after ? `has "${after.value}" where "," or "${closer}" should follow an array item` : `has an array (line ${open.line}) that is never closed`, after?.line ?? open.line);
      }
    }
  }

  /** Passes over an expression that is not a literal, up to what ends it, and says what it is. */
  private skipExpression(following: Token | undefined): NotLiteral {
    const start = this.index;
    const line = this.peek()?.line ?? this.tokens.at(-1)?.line ?? 1;
    let depth = 0;
    while (this.index < this.tokens.length) {
      const token = this.tokens[this.index];
      if (token.kind === 'punct') {
        if (depth === 0 && (TERMINATORS.has(token.value) || CLOSERS.has(token.value))) break;
        if (OPENERS.has(token.value)) depth++;
        else if (CLOSERS.has(token.value)) depth--;
      }
      this.index++;
    }
    if (this.index === start) {
      const token = this.peek();
      throw new PhpSyntaxError(token ? `has "${token.value}" where a value should be` : 'ends where a value should be', line);
    }
    return { kind: 'not-literal', line, what: following ? operatorDescription(following.value) : describeStart(this.tokens, start) };
  }
}

function operatorDescription(operator: string): string {
  return operator === '.' ? 'a concatenation (.)' : `an expression (${operator})`;
}

/** What the code starting at `tokens[i]` is, by its first tokens and names only (never a string's text). */
function describeStart(tokens: Token[], i: number): string {
  const token = tokens[i];
  if (token.kind === 'variable') return `the variable ${token.value}`;
  if (token.kind === 'template') return 'a string with variables in it, or a heredoc';
  if (token.kind === 'string' || token.kind === 'number') return 'an expression';
  const keyword = token.kind === 'name' ? token.value.toLowerCase() : '';
  if (keyword === 'new') return 'an object (new ...)';
  if (keyword === 'function' || keyword === 'fn') return 'a function';
  if (['require', 'include', 'require_once', 'include_once'].includes(keyword)) return `another file (${keyword})`;
  // A name, qualified or not: Name, \Name\Space, Class::CONSTANT.
  let j = i;
  let name = '';
  for (; tokens[j]; j++) {
    const separator = tokens[j].value === '\\' || tokens[j].value === '::';
    if (!separator && !(tokens[j].kind === 'name' && (name === '' || /(\\|::)$/.test(name)))) break;
    name += tokens[j].value;
  }
  if (name === '') return `an expression (${token.value})`;
  if (tokens[j]?.value === '(') return `a call to ${name}()`;
  return `the constant ${name}`;
}

/** PHP's array key for a literal: integers and decimal-integer strings are the same key. */
function arrayKey(key: PhpValue): string | undefined {
  if (typeof key === 'string') return key;
  if (typeof key === 'number') return String(Math.trunc(key));
  if (typeof key === 'boolean') return key ? '1' : '0';
  if (key === null) return '';
  return undefined;
}
