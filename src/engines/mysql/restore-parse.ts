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
}

const ADMIN_WORDS = new Set(['GRANT', 'REVOKE', 'FLUSH', 'CHANGE', 'PURGE', 'RESET', 'INSTALL', 'UNINSTALL', 'SHUTDOWN', 'KILL']);

/** Tells what a statement does, from its first tokens. */
export function classifyStatement(text: Buffer): StatementInfo {
  const tokens = new Tokens(text);
  const first = tokens.next();
  const info: StatementInfo = { kind: 'other', objects: [] };
  if (!first || first.type !== 'word') return info;
  const push = (ref: ObjectRef | null) => {
    if (ref) info.objects.push(ref);
  };
  switch (first.value) {
    case 'CREATE': {
      info.definer = readCreatePrefix(tokens);
      const what = tokens.next();
      if (!what || what.type !== 'word') return info;
      switch (what.value) {
        case 'TABLE':
          info.kind = 'create-table';
          skipIfExists(tokens);
          push(readName(tokens));
          return info;
        case 'VIEW':
          info.kind = 'create-view';
          skipIfExists(tokens);
          push(readName(tokens));
          return info;
        case 'SEQUENCE':
          info.kind = 'create-sequence';
          skipIfExists(tokens);
          push(readName(tokens));
          return info;
        case 'EVENT':
          info.kind = 'create-event';
          skipIfExists(tokens);
          push(readName(tokens));
          return info;
        case 'PROCEDURE':
        case 'FUNCTION':
          info.kind = 'create-routine';
          info.routineType = what.value;
          skipIfExists(tokens);
          push(readName(tokens));
          return info;
        case 'TRIGGER': {
          info.kind = 'create-trigger';
          skipIfExists(tokens);
          push(readName(tokens));
          tokens.accept('BEFORE', 'AFTER');
          for (let t = tokens.peek(); t && !(t.type === 'word' && t.value === 'ON'); t = tokens.peek()) tokens.next();
          if (tokens.accept('ON')) info.table = readName(tokens) ?? undefined;
          return info;
        }
        case 'INDEX': {
          info.kind = 'create-index';
          skipIfExists(tokens);
          push(readName(tokens));
          if (tokens.accept('ON')) info.table = readName(tokens) ?? undefined;
          return info;
        }
        case 'DATABASE':
        case 'SCHEMA':
          info.kind = 'create-database';
          skipIfExists(tokens);
          push(readName(tokens));
          return info;
        case 'USER':
        case 'ROLE':
        case 'SERVER':
          info.kind = 'admin';
          return info;
        default:
          return info;
      }
    }
    case 'DROP': {
      tokens.accept('TEMPORARY');
      const what = tokens.next();
      if (!what || what.type !== 'word') return info;
      const kinds: Record<string, StatementKind> = {
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
      const kind = kinds[what.value];
      if (!kind) return info;
      info.kind = kind;
      if (what.value === 'PROCEDURE' || what.value === 'FUNCTION') info.routineType = what.value;
      skipIfExists(tokens);
      if (what.value === 'INDEX') {
        readName(tokens);
        if (tokens.accept('ON')) push(readName(tokens));
        return info;
      }
      info.objects = readNameList(tokens, false);
      return info;
    }
    case 'ALTER': {
      info.definer = readCreatePrefix(tokens);
      const what = tokens.next();
      if (!what || what.type !== 'word') return info;
      switch (what.value) {
        case 'TABLE':
          info.kind = 'alter-table';
          skipIfExists(tokens);
          push(readName(tokens));
          return info;
        case 'VIEW':
          info.kind = 'alter-view';
          push(readName(tokens));
          return info;
        case 'EVENT':
          info.kind = 'alter-event';
          push(readName(tokens));
          return info;
        case 'SEQUENCE':
          info.kind = 'alter-sequence';
          skipIfExists(tokens);
          push(readName(tokens));
          return info;
        case 'PROCEDURE':
        case 'FUNCTION':
          info.kind = 'alter-routine';
          info.routineType = what.value;
          push(readName(tokens));
          return info;
        case 'DATABASE':
        case 'SCHEMA': {
          info.kind = 'alter-database';
          const t = tokens.peek();
          const options = ['CHARACTER', 'CHARSET', 'DEFAULT', 'COLLATE', 'COMMENT', 'UPGRADE'];
          const named = t && (t.type === 'ident' || t.ansiIdentifier !== undefined || (t.type === 'word' && !options.includes(t.value)));
          if (named) push(readName(tokens));
          return info;
        }
        case 'USER':
        case 'ROLE':
        case 'SERVER':
          info.kind = 'admin';
          return info;
        default:
          return info;
      }
    }
    case 'INSERT':
    case 'REPLACE':
      info.kind = 'insert';
      while (tokens.accept('LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY', 'IGNORE')) {
        // modifiers
      }
      tokens.accept('INTO');
      push(readName(tokens));
      return info;
    case 'LOCK':
      if (!tokens.accept('TABLES', 'TABLE')) return info;
      info.kind = 'lock';
      info.objects = readNameList(tokens, true);
      return info;
    case 'UNLOCK':
      info.kind = 'unlock';
      return info;
    case 'TRUNCATE':
      info.kind = 'truncate';
      tokens.accept('TABLE');
      push(readName(tokens));
      return info;
    case 'UPDATE':
      info.kind = 'update';
      while (tokens.accept('LOW_PRIORITY', 'IGNORE')) {
        // modifiers
      }
      push(readName(tokens));
      return info;
    case 'DELETE':
      info.kind = 'update';
      while (tokens.accept('LOW_PRIORITY', 'QUICK', 'IGNORE')) {
        // modifiers
      }
      if (tokens.accept('FROM')) push(readName(tokens));
      return info;
    case 'RENAME': {
      if (!tokens.accept('TABLE', 'TABLES')) return info;
      info.kind = 'rename';
      for (;;) {
        push(readName(tokens));
        if (!tokens.accept('TO')) break;
        push(readName(tokens));
        if (!tokens.acceptPunct(',')) break;
      }
      return info;
    }
    case 'USE':
      info.kind = 'use';
      push(readName(tokens));
      return info;
    case 'SET': {
      const t = tokens.peek();
      if (t && t.type === 'word' && (t.value === 'GLOBAL' || t.value === 'PERSIST' || t.value === 'PASSWORD' || t.value === 'ROLE')) {
        info.kind = t.value === 'GLOBAL' || t.value === 'PERSIST' ? 'set-global' : 'admin';
        return info;
      }
      const at = t && t.type === 'punct' && t.value === '@' ? text.toString('latin1', t.start, Math.min(text.length, t.start + 10)) : '';
      info.kind = /^@@global\./i.test(at) ? 'set-global' : 'set';
      return info;
    }
    case 'SELECT':
    case 'DO': {
      // mariadb-dump writes `DO SETVAL(`seq`, n, 0)`; older versions `SELECT SETVAL(...)`.
      const fn = tokens.next();
      if (fn && fn.type === 'word' && fn.value === 'SETVAL' && tokens.acceptPunct('(')) {
        info.kind = 'setval';
        push(readName(tokens));
      }
      return info;
    }
    case 'LOAD':
      info.kind = 'load';
      return info;
    case 'START':
    case 'BEGIN':
    case 'COMMIT':
    case 'ROLLBACK':
      info.kind = tokens.accept('SLAVE', 'REPLICA', 'ALL') ? 'admin' : 'transaction';
      return info;
    default:
      if (ADMIN_WORDS.has(first.value)) info.kind = 'admin';
      return info;
  }
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
