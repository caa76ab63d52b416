// The token-level reading behind dump-screen.ts: walks the tokens of one statement, body included
// (restore-tokens.ts skips strings and comments, so what they hold is never taken for a name or a
// keyword), and finds the first thing that reaches outside the shop's database or the server's files:
// a statement that acts on the server (GRANT, SET GLOBAL, KILL, INSTALL SONAME, PREPARE, ...), a file
// read or written by the server (INTO OUTFILE, LOAD_FILE, LOAD DATA), a storage engine or table option
// that reaches elsewhere (ENGINE=CONNECT, DATA DIRECTORY), or a name qualified by another schema.
//
// Telling `schema.table` from `table.column`: a dotted name `a.b` is taken for a column of table (or
// alias) `a`, which is always in the statement's own schema, except where its position says it names an
// object, whose first part is then a schema:
// - right after a word that introduces tables or other objects (FROM, JOIN, UPDATE, INSERT [INTO],
//   TABLE, VIEW, TRIGGER, PROCEDURE, FUNCTION, EVENT, SEQUENCE, REFERENCES, CALL, TO, RENAME, LIKE in
//   CREATE TABLE, ON after INDEX name), after a comma of such a list (FROM a, b) and at the opening
//   parenthesis of one (FROM (a JOIN b));
// - right before "(" (a call of another schema's function or procedure: `other.f(...)`);
// - inside NEXTVAL(), LASTVAL(), SETVAL() and after NEXT/PREVIOUS VALUE FOR (sequences).
// A name of three parts or more (`db.t.c`) always starts with its schema. Names after DATABASE / SCHEMA
// are schemas. The shop's own schema may be named, and information_schema (it can only be read, and
// shows what the statement's user may see).
// Limits: a two-part name in any other position is taken for a column. In MariaDB's Oracle mode,
// `package.routine(...)` looks like another schema's routine and is refused. A call of a function that
// a server administrator installed from a library (a UDF) looks like any function call: only the
// well-known sys_exec family is recognised by its name.
import { Tokens, type Token, type TokenOptions } from './restore-tokens.js';
import { preview, quoteId } from './restore-parse.js';

/** What a statement does beyond the shop's database, as the refusal says it: `writes a file on the database server (INTO OUTFILE)`. */
export type OutsideReach = string;

export interface ScanContext {
  /** The shop's schema: the only one, with information_schema, a name may be qualified with. */
  shop: string;
  /** Where the statement's head names its objects with a qualifier the restore removes (see dump-screen.ts). */
  removedQualifiers: ReadonlySet<number>;
  /** Sequences whose `nextval(db.seq)` loses its qualifier on the way (a CREATE TABLE's defaults, swap-defaults.ts). */
  ownSequences: ReadonlySet<string>;
  /** Where the name of the table a CREATE TABLE creates ends (for its LIKE). */
  createdNameEnd?: number;
  /** Names after DATABASE / SCHEMA are checked (not in the ALTER DATABASE head the restore rewrites). */
  checkDatabaseNames: boolean;
}

const ACCOUNTS = 'changes accounts or privileges';
const SETTINGS = 'changes a server-wide setting';
const ADMINISTERS = 'administers the database server';
const LIBRARY = 'loads a library into the database server';
const WRITES_SERVER_FILE = 'writes a file on the database server';
const READS_SERVER_FILE = 'reads a file on the database server';
const READS_LOCAL_FILE = 'reads a file of the machine that restores it';
const UNCHECKABLE = 'runs SQL from a string, which cannot be checked';
const REPLAYS_EVENTS = 'replays binary-log events, which cannot be checked';
const REMOTE = 'connects to another server';
const PROGRAM = 'runs a program on the database server';
const FOLDER = "puts its files outside the server's data folder";

/** Words after which a name is a table (or a list of them, continued after commas). */
const TABLE_LIST_WORDS = new Set(['FROM', 'JOIN', 'STRAIGHT_JOIN', 'TABLE', 'TABLES', 'USING', 'VIEW']);
/** Words after which a name is one object. */
const OBJECT_WORDS = new Set(['REFERENCES', 'CALL', 'TO', 'RENAME', 'HANDLER', 'TRIGGER', 'PROCEDURE', 'FUNCTION', 'EVENT', 'SEQUENCE', 'TRUNCATE']);
/** Words that may stand between such a word and its name. */
const KEEP_WORDS = new Set(['IF', 'NOT', 'EXISTS', 'IGNORE', 'LOW_PRIORITY', 'HIGH_PRIORITY', 'DELAYED', 'QUICK', 'TEMPORARY', 'ONLY', 'LATERAL']);
/** Words that end a list of tables. */
const CLAUSE_WORDS = new Set(['WHERE', 'SET', 'GROUP', 'HAVING', 'ORDER', 'LIMIT', 'WINDOW', 'SELECT', 'VALUES', 'VALUE', 'EXCEPT', 'INTERSECT', 'RETURNING', 'LOCK', 'DO', 'BEGIN', 'LOOP', 'REPEAT', 'RETURN', 'DECLARE']);
/** Words after which a body's next statement starts. */
const STATEMENT_OPENERS = new Set(['BEGIN', 'THEN', 'ELSE', 'DO', 'LOOP', 'REPEAT']);
/** Words a statement that assigns columns starts with: its SET is not the SET statement. */
const ASSIGNING_WORDS = new Set(['UPDATE', 'INSERT', 'REPLACE', 'ALTER', 'LOAD']);
const INSERT_WORDS = new Set(['INSERT', 'REPLACE', 'IGNORE', 'DELAYED', 'LOW_PRIORITY', 'HIGH_PRIORITY']);
/** Before UPDATE or DELETE: a trigger's event or a foreign key's action, not a statement. */
const NOT_A_STATEMENT_BEFORE = new Set(['ON', 'BEFORE', 'AFTER', 'FOR']);
const SEQUENCE_FUNCTIONS = new Set(['NEXTVAL', 'LASTVAL', 'SETVAL']);
const SCOPES = new Set(['GLOBAL', 'PERSIST', 'PERSIST_ONLY']);
/** Options of ALTER DATABASE where a name could stand. */
const DATABASE_OPTIONS = new Set(['CHARACTER', 'CHARSET', 'DEFAULT', 'COLLATE', 'COMMENT', 'UPGRADE', 'READ']);
const FLUSH_TARGETS = new Set([
  'LOCAL', 'NO_WRITE_TO_BINLOG', 'TABLE', 'TABLES', 'PRIVILEGES', 'LOGS', 'BINARY', 'ENGINE', 'ERROR', 'GENERAL', 'RELAY', 'SLOW', 'HOSTS',
  'STATUS', 'USER_RESOURCES', 'DES_KEY_FILE', 'QUERY', 'CLIENT_STATISTICS', 'INDEX_STATISTICS', 'TABLE_STATISTICS', 'USER_STATISTICS',
  'USER_VARIABLES', 'SSL', 'OPTIMIZER_COSTS', 'CHANGED_PAGE_BITMAPS', 'THREAD_STATISTICS',
]);
const PROGRAM_FUNCTIONS = new Set(['SYS_EXEC', 'SYS_EVAL', 'SYS_BINEVAL']);
const REMOTE_ENGINES = new Set(['CONNECT', 'FEDERATED', 'FEDERATEDX', 'SPIDER']);

/** The name a token spells, when it can be one: a word, a `quoted` name, or a "quoted" one under ANSI_QUOTES. */
function nameOf(t: Token): string {
  if (t.type === 'ident') return t.value;
  if (t.type === 'string') return t.ansiIdentifier ?? t.value;
  return t.raw ?? t.value;
}

function canBePart(t: Token | undefined): boolean {
  return t !== undefined && (t.type === 'word' || t.type === 'ident' || t.type === 'number' || (t.type === 'string' && t.ansiIdentifier !== undefined));
}

/** The first thing the statement `text` does beyond the shop's database, read with the given escapes. */
export function scanForReach(text: Buffer, context: ScanContext, escapes: TokenOptions['escapes']): OutsideReach | undefined {
  return new ReachScan(text, context, escapes).run();
}

class ReachScan {
  private readonly tokens: Tokens;
  private readonly ahead: Token[] = [];
  /** The last tokens taken, newest last. */
  private readonly history: Token[] = [];
  private depth = 0;
  /** Per parenthesis depth: a list of tables is open there, so a comma starts another table. */
  private readonly lists: boolean[] = [false];
  /** What a name in the next position would be. */
  private expect: 'table' | 'sequence' | 'schema' | undefined;
  private statementStart = true;
  private statementVerb: string | undefined;
  /** The current statement assigns columns (UPDATE ... SET, INSERT ... SET, ALTER ... SET DEFAULT). */
  private assigning = false;
  private inSetStatement = false;

  constructor(
    private readonly text: Buffer,
    private readonly context: ScanContext,
    escapes: TokenOptions['escapes'],
  ) {
    this.tokens = new Tokens(text, { escapes, skipLiterals: true });
  }

  run(): OutsideReach | undefined {
    for (let t = this.take(); t; t = this.take()) {
      const found = this.step(t);
      if (found) return found;
    }
    return undefined;
  }

  private peek(i = 0): Token | undefined {
    while (this.ahead.length <= i) {
      const t = this.tokens.next();
      if (!t) return undefined;
      this.ahead.push(t);
    }
    return this.ahead[i];
  }

  private take(): Token | undefined {
    const t = this.peek();
    if (!t) return undefined;
    this.ahead.shift();
    this.history.push(t);
    if (this.history.length > 3) this.history.shift();
    return t;
  }

  /** The token `n` places before the one just taken. */
  private back(n: number): Token | undefined {
    return this.history[this.history.length - 1 - n];
  }

  private punctAt(i: number, value: string): boolean {
    const t = this.peek(i);
    return t !== undefined && t.type === 'punct' && t.value === value;
  }

  private wordAt(i: number): string | undefined {
    const t = this.peek(i);
    return t && t.type === 'word' ? t.value : undefined;
  }

  private backWord(n: number): string | undefined {
    const t = this.back(n);
    return t && t.type === 'word' ? t.value : undefined;
  }

  private step(t: Token): OutsideReach | undefined {
    if (t.type === 'punct') return this.punct(t);
    if (canBePart(t) && t.type !== 'number' && this.punctAt(0, '.')) return this.name(this.chain(t));
    if (t.type === 'word') return this.word(t);
    if (t.type === 'ident') return this.call(t) ?? this.name([t]);
    if (t.type === 'string' && t.ansiIdentifier !== undefined && this.expect === 'schema') return this.name([t]);
    this.expect = undefined; // a literal
    return undefined;
  }

  /** `first` and the parts after its dots (`*` included). */
  private chain(first: Token): Token[] {
    const parts = [first];
    while (this.punctAt(0, '.')) {
      const next = this.peek(1);
      if (!canBePart(next) && !(next?.type === 'punct' && next.value === '*')) break;
      this.take();
      parts.push(this.take() as Token);
    }
    return parts;
  }

  private punct(t: Token): OutsideReach | undefined {
    switch (t.value) {
      case '(': {
        // A parenthesis where a table stands opens a list of tables (or a subquery); any other one does not.
        const list = this.expect === 'table';
        this.lists[++this.depth] = list;
        if (!list) this.expect = undefined;
        return undefined;
      }
      case ')':
        if (this.depth > 0) this.depth--;
        this.expect = undefined;
        return undefined;
      case ',':
        this.expect = this.lists[this.depth] ? 'table' : undefined;
        return undefined;
      case ';':
        this.lists[this.depth] = false;
        this.expect = undefined;
        this.statementStart = true;
        return undefined;
      case ':':
        this.expect = undefined;
        if (!this.punctAt(0, '=')) this.statementStart = true; // a label
        return undefined;
      case '@':
        return this.variable();
      default:
        this.expect = undefined;
        return undefined;
    }
  }

  /** A user variable (`@a`, `@a.b`) or a system one (`@@x`, `@@global.x`): never a schema's name. */
  private variable(): OutsideReach | undefined {
    const before = this.back(1);
    const system = this.punctAt(0, '@');
    if (system) this.take();
    const first = this.take();
    if (!first) return undefined;
    const parts = [first];
    while (this.punctAt(0, '.') && canBePart(this.peek(1))) {
      this.take();
      parts.push(this.take() as Token);
    }
    this.expect = undefined;
    const assigned = this.punctAt(0, '=') || this.punctAt(0, ':');
    const listed = before !== undefined && (before.value === ',' || (before.type === 'word' && before.value === 'SET'));
    if (system && parts.length === 2 && SCOPES.has(first.value) && assigned && listed && this.inSetStatement) {
      return this.found(SETTINGS, 'SET GLOBAL');
    }
    return undefined;
  }

  private word(t: Token): OutsideReach | undefined {
    if (this.statementStart) {
      this.statementStart = false;
      this.statementVerb = t.value;
      this.assigning = false;
      this.inSetStatement = false;
    }
    return this.danger(t) ?? this.structure(t);
  }

  /** Where a word shapes what the next names are; any other word is a name. */
  private structure(t: Token): OutsideReach | undefined {
    const previous = this.backWord(1);
    if (ASSIGNING_WORDS.has(t.value) && !NOT_A_STATEMENT_BEFORE.has(previous ?? '') && !this.punctAt(0, '(')) this.assigning = true;
    if (this.objectPosition(t.value, previous) || this.clause(t.value, previous)) return undefined;
    return this.name([t]);
  }

  /** Words after which an object's name stands (see the top); false for any other word. */
  private objectPosition(w: string, previous: string | undefined): boolean {
    if (TABLE_LIST_WORDS.has(w)) this.openList();
    else if (OBJECT_WORDS.has(w)) this.expect = 'table';
    else if (KEEP_WORDS.has(w)) return true;
    else if (w === 'UPDATE' || w === 'DELETE') {
      if (previous === 'KEY') this.closeList(); // ON DUPLICATE KEY UPDATE
      else if (NOT_A_STATEMENT_BEFORE.has(previous ?? '')) this.expect = undefined;
      else this.openList();
    } else if (w === 'INSERT' || w === 'REPLACE') {
      // INTO may be left out: INSERT other.t VALUES (...); REPLACE(...) is a function.
      this.expect = this.punctAt(0, '(') ? undefined : 'table';
    } else if (w === 'INTO') {
      if (INSERT_WORDS.has(previous ?? '')) this.expect = 'table';
      else this.closeList(); // SELECT ... INTO variables
    } else if (w === 'ON') {
      // CREATE INDEX i ON t, DROP INDEX i ON t; elsewhere a join's condition follows.
      this.expect = ['INDEX', 'KEY'].includes(this.backWord(2) ?? '') ? 'table' : undefined;
    } else if (w === 'LIKE') {
      const before = this.back(1);
      const createsLike = before !== undefined && ((before.type === 'punct' && before.value === '(') || before.end === this.context.createdNameEnd);
      this.expect = createsLike ? 'table' : undefined;
    } else if (w === 'UNION' && this.punctAt(0, '=')) {
      this.take(); // a MERGE table's UNION=(t1, t2)
      this.expect = 'table';
    } else if (w === 'DATABASE' || w === 'SCHEMA') {
      this.expect = this.context.checkDatabaseNames && !this.punctAt(0, '(') ? 'schema' : undefined;
    } else if (SEQUENCE_FUNCTIONS.has(w) && this.punctAt(0, '(')) {
      this.take();
      this.lists[++this.depth] = false;
      this.expect = 'sequence';
    } else if (w === 'FOR' && previous === 'VALUE') {
      this.expect = 'sequence'; // NEXT VALUE FOR seq
    } else return false;
    return true;
  }

  /** Words that end a list of tables, or after which a statement of a body starts; false for any other word. */
  private clause(w: string, previous: string | undefined): boolean {
    if (w === 'FOR') {
      if (!['SYSTEM_TIME', 'PORTION'].includes(this.wordAt(0) ?? '')) this.closeList();
    } else if (w === 'ROW') {
      this.expect = undefined;
      if (previous === 'EACH') this.statementStart = true; // a trigger's body starts
    } else if (CLAUSE_WORDS.has(w) || w === 'UNION') {
      this.closeList();
      if (STATEMENT_OPENERS.has(w)) this.statementStart = true;
      if (w === 'SET' && this.isSetStatement()) this.inSetStatement = true;
    } else if (STATEMENT_OPENERS.has(w)) {
      // THEN, ELSE: also a CASE expression's, which may stand in a join's condition: the list stays open.
      this.expect = undefined;
      this.statementStart = true;
    } else return false;
    return true;
  }

  private openList(): void {
    this.lists[this.depth] = true;
    this.expect = 'table';
  }

  private closeList(): void {
    this.lists[this.depth] = false;
    this.expect = undefined;
  }

  /** SET as a statement of its own, not the SET of UPDATE, of CHARACTER SET or of ON DELETE SET NULL. */
  private isSetStatement(): boolean {
    return !this.assigning && !['CHARACTER', 'DELETE', 'UPDATE'].includes(this.backWord(1) ?? '');
  }

  /** A name at the current position: a reach when it names another schema. */
  private name(parts: Token[]): OutsideReach | undefined {
    const position = this.expect;
    this.expect = undefined;
    const first = parts[0];
    if (parts.length === 1) {
      if (position !== 'schema' || (first.type === 'word' && DATABASE_OPTIONS.has(first.value))) return undefined;
      return this.otherSchema(first, parts);
    }
    const star = parts[parts.length - 1].type === 'punct';
    const qualified = parts.length >= 3 || (!star && (position === 'table' || position === 'sequence' || this.punctAt(0, '(')));
    if (!qualified || this.context.removedQualifiers.has(first.start)) return undefined;
    if (position === 'sequence' && parts.length === 2 && this.context.ownSequences.has(nameOf(parts[1]))) return undefined;
    return this.otherSchema(first, parts);
  }

  private otherSchema(schema: Token, parts: Token[]): OutsideReach | undefined {
    const name = nameOf(schema);
    if (name === this.context.shop || name.toLowerCase() === 'information_schema') return undefined;
    const written = preview(this.text.subarray(schema.start, parts[parts.length - 1].end), 60);
    return `reaches schema ${quoteId(name)}, outside the shop's database (${written})`;
  }

  private found(what: string, label: string): OutsideReach {
    return `${what} (${label})`;
  }

  /** A word that starts something beyond the database (see the top). */
  private danger(t: Token): OutsideReach | undefined {
    const w = t.value;
    const next = this.wordAt(0);
    switch (w) {
      case 'GRANT':
      case 'REVOKE':
        return this.found(ACCOUNTS, w);
      case 'CREATE':
      case 'ALTER':
      case 'DROP':
      case 'RENAME':
        return this.accountOrServer(t);
      case 'SET':
        return this.setStatement();
      case 'GLOBAL':
      case 'PERSIST':
      case 'PERSIST_ONLY':
        // SET a = 1, GLOBAL b = 2
        return this.inSetStatement && this.back(1)?.value === ',' ? this.found(SETTINGS, 'SET GLOBAL') : undefined;
      case 'INSTALL':
        return next === 'PLUGIN' || next === 'SONAME' ? this.found(LIBRARY, `INSTALL ${next}`) : undefined;
      case 'UNINSTALL':
        return next === 'PLUGIN' || next === 'SONAME' ? this.found(ADMINISTERS, `UNINSTALL ${next}`) : undefined;
      case 'SONAME':
        return this.found(LIBRARY, 'CREATE FUNCTION ... SONAME');
      case 'SHUTDOWN':
        return !this.peek() || this.punctAt(0, ';') || next === 'WAIT' ? this.found(ADMINISTERS, w) : undefined;
      case 'KILL':
        return this.found(ADMINISTERS, w);
      case 'FLUSH':
        return next !== undefined && FLUSH_TARGETS.has(next) ? this.found(ADMINISTERS, w) : undefined;
      case 'RESET':
        return ['MASTER', 'SLAVE', 'REPLICA', 'QUERY', 'PERSIST', 'BINARY'].includes(next ?? '') ? this.found(ADMINISTERS, `RESET ${next}`) : undefined;
      case 'PURGE':
        return next === 'BINARY' || next === 'MASTER' ? this.found(ADMINISTERS, `PURGE ${next} LOGS`) : undefined;
      case 'CHANGE':
        return next === 'MASTER' || next === 'REPLICATION' ? this.found(ADMINISTERS, `CHANGE ${next}`) : undefined;
      case 'START':
      case 'STOP':
        return ['SLAVE', 'REPLICA', 'ALL'].includes(next ?? '') ? this.found(ADMINISTERS, `${w} ${next}`) : undefined;
      case 'BACKUP':
        return next === 'STAGE' || next === 'LOCK' ? this.found(ADMINISTERS, `BACKUP ${next}`) : undefined;
      case 'LOCK':
        return next === 'INSTANCE' ? this.found(ADMINISTERS, 'LOCK INSTANCE') : undefined;
      case 'BINLOG':
        return this.peek()?.type === 'string' ? this.found(REPLAYS_EVENTS, w) : undefined;
      case 'PREPARE':
        return this.wordAt(1) === 'FROM' ? this.found(UNCHECKABLE, w) : undefined;
      case 'EXECUTE':
        return this.execute();
      case 'LOAD':
        return next === 'DATA' || next === 'XML' ? this.loadFile(next) : undefined;
      case 'INTO':
        return next === 'OUTFILE' || next === 'DUMPFILE' ? this.found(WRITES_SERVER_FILE, `INTO ${next}`) : undefined;
      case 'ENGINE':
        return this.engine();
      case 'DIRECTORY': {
        const where = this.backWord(1);
        return where === 'DATA' || where === 'INDEX' ? this.found(FOLDER, `${where} DIRECTORY`) : undefined;
      }
      case 'CONNECTION': {
        const option = this.punctAt(0, '=') || this.peek()?.type === 'string';
        return option && (this.statementVerb === 'CREATE' || this.statementVerb === 'ALTER') ? this.found(REMOTE, 'CONNECTION=') : undefined;
      }
      default:
        return this.call(t);
    }
  }

  /** A call of a function that reads the server's files or runs its programs (the server takes `LOAD_FILE`(...) too). */
  private call(t: Token): OutsideReach | undefined {
    if (!this.punctAt(0, '(')) return undefined;
    const name = nameOf(t).toUpperCase();
    if (name === 'LOAD_FILE') return this.found(READS_SERVER_FILE, 'LOAD_FILE');
    return PROGRAM_FUNCTIONS.has(name) ? this.found(PROGRAM, name.toLowerCase()) : undefined;
  }

  /** CREATE / ALTER / DROP / RENAME of a USER, ROLE or SERVER (not ALTER TABLE ... DROP user, a column). */
  private accountOrServer(t: Token): OutsideReach | undefined {
    const at = this.wordAt(0) === 'OR' && this.wordAt(1) === 'REPLACE' ? 2 : 0;
    const what = this.wordAt(at);
    if (what !== 'USER' && what !== 'ROLE' && what !== 'SERVER') return undefined;
    const after = this.peek(at + 1);
    const names = after !== undefined && after.type !== 'punct' && !(after.type === 'word' && ['SET', 'DROP'].includes(after.value));
    if (t.value !== 'CREATE' && !names) return undefined;
    return what === 'SERVER' ? this.found(REMOTE, `${t.value} SERVER`) : this.found(ACCOUNTS, `${t.value} ${what}`);
  }

  private setStatement(): OutsideReach | undefined {
    if (!this.isSetStatement()) return undefined;
    const next = this.wordAt(0);
    if (next !== undefined && SCOPES.has(next)) return this.found(SETTINGS, `SET ${next}`);
    if (next === 'PASSWORD' || next === 'ROLE') return this.found(ACCOUNTS, `SET ${next}`);
    if (next === 'DEFAULT' && this.wordAt(1) === 'ROLE') return this.found(ACCOUNTS, 'SET DEFAULT ROLE');
    return undefined;
  }

  private execute(): OutsideReach | undefined {
    if (this.wordAt(0) === 'IMMEDIATE') return this.found(UNCHECKABLE, 'EXECUTE IMMEDIATE');
    const statement = this.peek();
    const after = this.peek(1);
    const ends = after === undefined || (after.type === 'punct' && after.value === ';') || this.wordAt(1) === 'USING';
    return statement !== undefined && canBePart(statement) && ends ? this.found(UNCHECKABLE, 'EXECUTE') : undefined;
  }

  private loadFile(what: string): OutsideReach {
    const local = [1, 2, 3].some((i) => this.wordAt(i) === 'LOCAL');
    return local ? this.found(READS_LOCAL_FILE, `LOAD ${what} LOCAL INFILE`) : this.found(READS_SERVER_FILE, `LOAD ${what} INFILE`);
  }

  private engine(): OutsideReach | undefined {
    const named = this.peek(this.punctAt(0, '=') ? 1 : 0);
    // A quoted engine's name is read from its bytes: literals are not decoded here.
    const quoted = named?.type === 'string' && named.ansiIdentifier === undefined;
    const engine = !named ? '' : quoted ? this.text.toString('latin1', named.start + 1, named.end - 1) : canBePart(named) ? nameOf(named) : '';
    return REMOTE_ENGINES.has(engine.toUpperCase()) ? this.found(REMOTE, `ENGINE=${engine.toUpperCase()}`) : undefined;
  }
}
