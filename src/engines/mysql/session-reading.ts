// How the server will read a dump's next statement, as the dump's SET statements leave the session:
// - where a backslash escapes, by the sql_mode (NO_BACKSLASH_ESCAPES: nowhere; ANSI_QUOTES: not in "...",
//   which is then a name);
// - the client character set: in big5, cp932, gbk, sjis and gb18030 a character's second byte may be a
//   backslash or a backquote, so the bytes no longer tell where a string or a name ends.
// A value is known when it is written out (a string, a word, DEFAULT for sql_mode), is the current one
// (@@sql_mode) or sits in a user variable that saved a known one: mysqldump's `SET @OLD_SQL_MODE=@@SQL_MODE,
// ...` and `SET sql_mode = @saved_sql_mode`. Anything else (a value the server computes) is not known.
import { Tokens, type Token, type TokenOptions } from './restore-tokens.js';

export type Escapes = NonNullable<TokenOptions['escapes']>;

/** sql_mode flags under which "..." is a name, read without backslash escapes. */
const ANSI_QUOTES_MODES = ['ANSI_QUOTES', 'ANSI', 'DB2', 'MAXDB', 'MSSQL', 'ORACLE', 'POSTGRESQL'];

/** Client character sets whose characters may end in a byte that reads as \ or ` on its own. */
const AMBIGUOUS_CHARSETS = new Set(['big5', 'cp932', 'gbk', 'sjis', 'gb18030']);

function escapesOf(sqlMode: string): Escapes {
  const flags = new Set(sqlMode.toUpperCase().split(',').map((flag) => flag.trim()));
  if (flags.has('NO_BACKSLASH_ESCAPES')) return 'none';
  return ANSI_QUOTES_MODES.some((flag) => flags.has(flag)) ? 'single' : 'quotes';
}

export class SessionReading {
  private sqlMode: string | undefined;
  /** The restore's sessions start with SET NAMES utf8mb4 (restore-session.ts). */
  private charset: string | undefined = 'utf8mb4';
  private readonly saved = new Map<string, string | undefined>();

  /** `sqlMode`: the sessions' sql_mode before the dump's first statement. */
  constructor(private readonly initialSqlMode: string) {
    this.sqlMode = initialSqlMode;
  }

  /** How a statement may be read: one way where the sql_mode is known, every way the server could where not. */
  readings(): Escapes[] {
    return this.sqlMode === undefined ? ['quotes', 'single', 'none'] : [escapesOf(this.sqlMode)];
  }

  /** The client character set, when its bytes cannot be read as the server reads them (`undefined`: they can). */
  unreadableCharset(): string | undefined {
    if (this.charset === undefined) return 'one the server computes';
    return AMBIGUOUS_CHARSETS.has(this.charset) ? this.charset : undefined;
  }

  /** Follows the assignments of one SET statement. */
  follow(text: Buffer): void {
    const tokens = new Tokens(text, { escapes: this.readings()[0] });
    if (!tokens.accept('SET')) return;
    if (tokens.accept('NAMES') || tokens.accept('CHARSET') || (tokens.accept('CHARACTER') && tokens.accept('SET'))) {
      this.charset = this.charsetOf(readValue(tokens).slice(0, 1));
      return;
    }
    do {
      const target = readTarget(tokens);
      if (!target || !(tokens.acceptPunct('=') || (tokens.acceptPunct(':') && tokens.acceptPunct('=')))) return;
      const value = readValue(tokens);
      if (target.variable !== undefined) this.saved.set(target.variable, this.valueOf(value));
      else if (target.system === 'SQL_MODE') this.sqlMode = this.valueOf(value, this.initialSqlMode);
      else if (target.system === 'CHARACTER_SET_CLIENT') this.charset = this.charsetOf(value);
    } while (tokens.acceptPunct(','));
  }

  private charsetOf(value: Token[]): string | undefined {
    return this.valueOf(value)?.toLowerCase();
  }

  /** An assigned value, when it is known before it runs; `byDefault`: what DEFAULT stands for. */
  private valueOf(value: Token[], byDefault?: string): string | undefined {
    const [first, second] = value;
    if (value.length === 1 && first.type === 'string') return first.value;
    if (value.length === 1 && first.type === 'word') return first.value === 'DEFAULT' ? byDefault : first.value;
    const spelled = value.map((t) => t.value.toUpperCase()).join('');
    const system = /^@@(?:SESSION\.|LOCAL\.)?(SQL_MODE|CHARACTER_SET_CLIENT)$/.exec(spelled)?.[1];
    if (system === 'SQL_MODE') return this.sqlMode;
    if (system === 'CHARACTER_SET_CLIENT') return this.charset;
    if (value.length === 2 && first.value === '@' && second.type !== 'punct') return this.saved.get(second.value.toUpperCase());
    return undefined;
  }
}

/** The variable a SET assigns: a user variable (`@a`) or a session's system variable (`sql_mode`, `@@session.sql_mode`). */
function readTarget(tokens: Tokens): { variable?: string; system?: string } | undefined {
  if (tokens.acceptPunct('@')) {
    const system = tokens.acceptPunct('@');
    const first = tokens.next();
    if (!first || first.type === 'punct') return undefined;
    if (!system) return { variable: first.value.toUpperCase() };
    if (!tokens.acceptPunct('.')) return { system: first.value.toUpperCase() };
    const name = tokens.next();
    return name && ['SESSION', 'LOCAL'].includes(first.value.toUpperCase()) ? { system: name.value.toUpperCase() } : undefined;
  }
  tokens.accept('SESSION', 'LOCAL');
  const name = tokens.next();
  return name && name.type !== 'punct' ? { system: name.value.toUpperCase() } : undefined;
}

/** The tokens of one assigned value, up to the next comma outside parentheses. */
function readValue(tokens: Tokens): Token[] {
  const value: Token[] = [];
  let depth = 0;
  for (let t = tokens.peek(); t && !(depth === 0 && t.type === 'punct' && t.value === ','); t = tokens.peek()) {
    tokens.next();
    if (t.type === 'punct' && t.value === '(') depth++;
    if (t.type === 'punct' && t.value === ')') depth--;
    value.push(t);
  }
  return value;
}
