// Reads the head of one MySQL statement (bytes, never decoded as a whole) to tell what it does and to
// which objects, and rewrites the few parts a restore must change: schema qualifiers that point at the
// dumped database, DEFINER clauses, and `SET NAMES utf8` (widened to utf8mb4).
//
// Conditional comments (/*!40101 ... */, /*M!100100 ... */) are read as code: their markers are skipped.
import { readCreatePrefix, readName, readNameList, skipIfExists, Tokens } from './restore-tokens.js';

export type StatementKind =
  | 'create-table'
  | 'drop-table'
  | 'alter-table'
  | 'create-index'
  | 'insert'
  | 'lock'
  | 'unlock'
  | 'truncate'
  | 'update'
  | 'rename'
  | 'create-view'
  | 'drop-view'
  | 'alter-view'
  | 'create-trigger'
  | 'drop-trigger'
  | 'create-routine'
  | 'drop-routine'
  | 'alter-routine'
  | 'create-event'
  | 'drop-event'
  | 'alter-event'
  | 'create-sequence'
  | 'drop-sequence'
  | 'alter-sequence'
  | 'setval'
  | 'create-database'
  | 'drop-database'
  | 'alter-database'
  | 'use'
  | 'set'
  | 'set-global'
  | 'admin'
  | 'load'
  | 'transaction'
  | 'other';

export interface ObjectRef {
  schema?: string;
  name: string;
  /** Byte range of `schema.` (qualifier and dot), to delete when redirecting to the default schema. */
  qualifier?: [number, number];
  /** Byte range of the whole (possibly qualified) name. */
  range: [number, number];
}

export interface Definer {
  /** Byte range of `DEFINER = user@host`. */
  range: [number, number];
  user: string;
  host?: string;
  currentUser: boolean;
}

export interface StatementInfo {
  kind: StatementKind;
  /** The objects the statement names (tables of DROP/LOCK lists, the created object, ...). */
  objects: ObjectRef[];
  /** The table of a trigger (CREATE TRIGGER ... ON table) or of an index. */
  table?: ObjectRef;
  definer?: Definer;
  /** PROCEDURE or FUNCTION for routine statements. */
  routineType?: 'PROCEDURE' | 'FUNCTION';
  /** A DROP ... IF EXISTS: naming nothing that exists is not an error. */
  ifExists?: boolean;
}

const ADMIN_WORDS = new Set(['GRANT', 'REVOKE', 'FLUSH', 'CHANGE', 'PURGE', 'RESET', 'INSTALL', 'UNINSTALL', 'SHUTDOWN', 'KILL']);

/** Reads the rest of a statement's head after its first word, into `info`. */
type HeadReader = (tokens: Tokens, info: StatementInfo, text: Buffer) => void;

/** A statement whose first word tells all. */
const kindOnly =
  (kind: StatementKind): HeadReader =>
  (_tokens, info) => {
    info.kind = kind;
  };

/** By the statement's first word; any other is 'other' ('admin' for ADMIN_WORDS). */
const HEADS = new Map<string, HeadReader>([
  ['CREATE', readCreate],
  ['DROP', readDrop],
  ['ALTER', readAlter],
  ['INSERT', readInsert],
  ['REPLACE', readInsert],
  ['LOCK', readLock],
  ['UNLOCK', kindOnly('unlock')],
  ['TRUNCATE', readTruncate],
  ['UPDATE', readUpdate],
  ['DELETE', readDelete],
  ['RENAME', readRename],
  ['USE', readUse],
  ['SET', readSet],
  ['SELECT', readSetval],
  ['DO', readSetval],
  ['LOAD', kindOnly('load')],
  ['START', readTransaction],
  ['BEGIN', readTransaction],
  ['COMMIT', readTransaction],
  ['ROLLBACK', readTransaction],
]);

/** Tells what a statement does, from its first tokens. */
export function classifyStatement(text: Buffer): StatementInfo {
  const tokens = new Tokens(text);
  const first = tokens.next();
  const info: StatementInfo = { kind: 'other', objects: [] };
  if (!first || first.type !== 'word') return info;
  const read = HEADS.get(first.value);
  if (read) read(tokens, info, text);
  else if (ADMIN_WORDS.has(first.value)) info.kind = 'admin';
  return info;
}

function push(info: StatementInfo, ref: ObjectRef | null): void {
  if (ref) info.objects.push(ref);
}

// Accounts and servers: creating, changing or dropping them acts beyond the database.
const ACCOUNT_OBJECTS = new Set(['USER', 'ROLE', 'SERVER']);

/**
 * After CREATE or ALTER: the clauses before the object's keyword (a DEFINER among them: readCreatePrefix),
 * then that keyword; undefined when there is none or it names an account ('admin': nothing more to read).
 */
function readObjectWord(tokens: Tokens, info: StatementInfo): string | undefined {
  info.definer = readCreatePrefix(tokens);
  const what = tokens.next();
  if (!what || what.type !== 'word') return undefined;
  if (ACCOUNT_OBJECTS.has(what.value)) {
    info.kind = 'admin';
    return undefined;
  }
  return what.value;
}

/** CREATE's objects other than accounts: each is named after an optional IF NOT EXISTS. */
const CREATE_KINDS = new Map<string, StatementKind>([
  ['TABLE', 'create-table'],
  ['VIEW', 'create-view'],
  ['SEQUENCE', 'create-sequence'],
  ['EVENT', 'create-event'],
  ['PROCEDURE', 'create-routine'],
  ['FUNCTION', 'create-routine'],
  ['TRIGGER', 'create-trigger'],
  ['INDEX', 'create-index'],
  ['DATABASE', 'create-database'],
  ['SCHEMA', 'create-database'],
]);

/** CREATE [OR REPLACE] [DEFINER = ...] <what> [IF NOT EXISTS] name, and the table of a trigger or an index. */
function readCreate(tokens: Tokens, info: StatementInfo): void {
  const what = readObjectWord(tokens, info);
  const kind = what === undefined ? undefined : CREATE_KINDS.get(what);
  if (!kind) return;
  info.kind = kind;
  if (what === 'PROCEDURE' || what === 'FUNCTION') info.routineType = what;
  skipIfExists(tokens);
  push(info, readName(tokens));
  if (kind === 'create-trigger') readTriggerTable(tokens, info);
  else if (kind === 'create-index' && tokens.accept('ON')) info.table = readName(tokens) ?? undefined;
}

/** CREATE TRIGGER name BEFORE|AFTER event ON table: the table, after the words between. */
function readTriggerTable(tokens: Tokens, info: StatementInfo): void {
  tokens.accept('BEFORE', 'AFTER');
  for (let t = tokens.peek(); t && !(t.type === 'word' && t.value === 'ON'); t = tokens.peek()) tokens.next();
  if (tokens.accept('ON')) info.table = readName(tokens) ?? undefined;
}

const DROP_KINDS: Record<string, StatementKind> = {
  TABLE: 'drop-table',
  TABLES: 'drop-table',
  VIEW: 'drop-view',
  TRIGGER: 'drop-trigger',
  PROCEDURE: 'drop-routine',
  FUNCTION: 'drop-routine',
  EVENT: 'drop-event',
  SEQUENCE: 'drop-sequence',
  DATABASE: 'drop-database',
  SCHEMA: 'drop-database',
  INDEX: 'alter-table',
  USER: 'admin',
  ROLE: 'admin',
  SERVER: 'admin',
};

/** DROP [TEMPORARY] <what> [IF EXISTS] names; DROP INDEX changes the table it names after ON. */
function readDrop(tokens: Tokens, info: StatementInfo): void {
  tokens.accept('TEMPORARY');
  const what = tokens.next();
  if (!what || what.type !== 'word') return;
  const kind = DROP_KINDS[what.value];
  if (!kind) return;
  info.kind = kind;
  if (what.value === 'PROCEDURE' || what.value === 'FUNCTION') info.routineType = what.value;
  if (skipIfExists(tokens)) info.ifExists = true;
  if (what.value === 'INDEX') {
    readName(tokens);
    if (tokens.accept('ON')) push(info, readName(tokens));
    return;
  }
  info.objects = readNameList(tokens, false);
}

/** ALTER's objects other than accounts and databases, and whether IF EXISTS may stand before the name. */
const ALTER_KINDS = new Map<string, { kind: StatementKind; ifExists: boolean }>([
  ['TABLE', { kind: 'alter-table', ifExists: true }],
  ['VIEW', { kind: 'alter-view', ifExists: false }],
  ['EVENT', { kind: 'alter-event', ifExists: false }],
  ['SEQUENCE', { kind: 'alter-sequence', ifExists: true }],
  ['PROCEDURE', { kind: 'alter-routine', ifExists: false }],
  ['FUNCTION', { kind: 'alter-routine', ifExists: false }],
]);

/** ALTER [DEFINER = ...] <what> [IF EXISTS] name. */
function readAlter(tokens: Tokens, info: StatementInfo): void {
  const what = readObjectWord(tokens, info);
  if (what === 'DATABASE' || what === 'SCHEMA') {
    readAlterDatabase(tokens, info);
    return;
  }
  const altered = what === undefined ? undefined : ALTER_KINDS.get(what);
  if (!altered) return;
  info.kind = altered.kind;
  if (what === 'PROCEDURE' || what === 'FUNCTION') info.routineType = what;
  if (altered.ifExists) skipIfExists(tokens);
  push(info, readName(tokens));
}

const ALTER_DATABASE_OPTIONS = ['CHARACTER', 'CHARSET', 'DEFAULT', 'COLLATE', 'COMMENT', 'UPGRADE'];

/** ALTER DATABASE [name] options: without a name it alters the default schema. */
function readAlterDatabase(tokens: Tokens, info: StatementInfo): void {
  info.kind = 'alter-database';
  const t = tokens.peek();
  const named = t && (t.type === 'ident' || t.ansiIdentifier !== undefined || (t.type === 'word' && !ALTER_DATABASE_OPTIONS.includes(t.value)));
  if (named) push(info, readName(tokens));
}

/** INSERT|REPLACE [modifiers] [INTO] table */
function readInsert(tokens: Tokens, info: StatementInfo): void {
  info.kind = 'insert';
  while (tokens.accept('LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY', 'IGNORE')) {
    // modifiers
  }
  tokens.accept('INTO');
  push(info, readName(tokens));
}

/** LOCK TABLES t1 READ, t2 WRITE ... */
function readLock(tokens: Tokens, info: StatementInfo): void {
  if (!tokens.accept('TABLES', 'TABLE')) return;
  info.kind = 'lock';
  info.objects = readNameList(tokens, true);
}

function readTruncate(tokens: Tokens, info: StatementInfo): void {
  info.kind = 'truncate';
  tokens.accept('TABLE');
  push(info, readName(tokens));
}

function readUpdate(tokens: Tokens, info: StatementInfo): void {
  info.kind = 'update';
  while (tokens.accept('LOW_PRIORITY', 'IGNORE')) {
    // modifiers
  }
  push(info, readName(tokens));
}

/** DELETE writes rows as UPDATE does: the same kind. */
function readDelete(tokens: Tokens, info: StatementInfo): void {
  info.kind = 'update';
  while (tokens.accept('LOW_PRIORITY', 'QUICK', 'IGNORE')) {
    // modifiers
  }
  if (tokens.accept('FROM')) push(info, readName(tokens));
}

/** RENAME TABLE a TO b, c TO d ...: every name, old and new. */
function readRename(tokens: Tokens, info: StatementInfo): void {
  if (!tokens.accept('TABLE', 'TABLES')) return;
  info.kind = 'rename';
  for (;;) {
    push(info, readName(tokens));
    if (!tokens.accept('TO')) break;
    push(info, readName(tokens));
    if (!tokens.acceptPunct(',')) break;
  }
}

function readUse(tokens: Tokens, info: StatementInfo): void {
  info.kind = 'use';
  push(info, readName(tokens));
}

/** SET of the session, or of the server (GLOBAL, PERSIST, @@global.) or of accounts (PASSWORD, ROLE). */
function readSet(tokens: Tokens, info: StatementInfo, text: Buffer): void {
  const t = tokens.peek();
  if (t && t.type === 'word' && (t.value === 'GLOBAL' || t.value === 'PERSIST' || t.value === 'PASSWORD' || t.value === 'ROLE')) {
    info.kind = t.value === 'GLOBAL' || t.value === 'PERSIST' ? 'set-global' : 'admin';
    return;
  }
  const at = t && t.type === 'punct' && t.value === '@' ? text.toString('latin1', t.start, Math.min(text.length, t.start + 10)) : '';
  info.kind = /^@@global\./i.test(at) ? 'set-global' : 'set';
}

/** mariadb-dump writes `DO SETVAL(`seq`, n, 0)`; older versions `SELECT SETVAL(...)`. Any other is 'other'. */
function readSetval(tokens: Tokens, info: StatementInfo): void {
  const fn = tokens.next();
  if (fn && fn.type === 'word' && fn.value === 'SETVAL' && tokens.acceptPunct('(')) {
    info.kind = 'setval';
    push(info, readName(tokens));
  }
}

/** START TRANSACTION, BEGIN, COMMIT, ROLLBACK; START SLAVE, START REPLICA, START ALL SLAVES act on replication. */
function readTransaction(tokens: Tokens, info: StatementInfo): void {
  info.kind = tokens.accept('SLAVE', 'REPLICA', 'ALL') ? 'admin' : 'transaction';
}

/**
 * The sequences a statement draws on (`nextval(seq)`, `lastval(seq)`, `setval(seq, ...)`, `NEXT VALUE FOR
 * seq`, `PREVIOUS VALUE FOR seq`), as a CREATE TABLE's column defaults name them. Reads the whole
 * statement; string literals and comments are skipped.
 */
export function sequenceReferences(text: Buffer): ObjectRef[] {
  const tokens = new Tokens(text);
  const refs: ObjectRef[] = [];
  for (let t = tokens.next(); t; t = tokens.next()) {
    if (t.type !== 'word') continue;
    const call = (t.value === 'NEXTVAL' || t.value === 'LASTVAL' || t.value === 'SETVAL') && tokens.acceptPunct('(');
    const valueFor = (t.value === 'NEXT' || t.value === 'PREVIOUS') && tokens.accept('VALUE') && tokens.accept('FOR');
    const ref = call || valueFor ? readName(tokens) : null;
    if (ref) refs.push(ref);
  }
  return refs;
}

/** A copy of `text` with the given byte ranges removed (ranges must not overlap). */
export function removeRanges(text: Buffer, ranges: [number, number][]): Buffer {
  if (ranges.length === 0) return text;
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const parts: Buffer[] = [];
  let at = 0;
  for (const [start, end] of sorted) {
    if (start < at) continue;
    parts.push(text.subarray(at, start));
    at = end;
  }
  parts.push(text.subarray(at));
  return Buffer.concat(parts);
}

/** `SET NAMES utf8` / `utf8mb3` (without COLLATE) becomes utf8mb4, a superset that reads the same bytes. */
export function widenSetNames(text: Buffer): Buffer {
  if (text.length > 200) return text;
  const s = text.toString('latin1');
  const m = /^(\s*(?:\/\*!\d*\s*)?SET\s+NAMES\s+['"`]?)(utf8|utf8mb3)(['"`]?\s*(?:\*\/\s*)?)$/i.exec(s);
  if (!m) return text;
  return Buffer.from(m[1] + 'utf8mb4' + m[3], 'latin1');
}

/** The head of a statement for a one-line message: blanks collapsed, control bytes as `?`, cut after `length` bytes. */
export function preview(text: Buffer, length = 160): string {
  const head = text.subarray(0, length).toString('utf8').replace(/\s+/g, ' ');
  // eslint-disable-next-line no-control-regex
  const clean = head.replace(/[\u0000-\u001f\u007f\ufffd]/g, '?');
  return text.length > length ? `${clean}...` : clean;
}

/** Quotes an identifier for MySQL. */
export function quoteId(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}
