// Picks the engine for a database target. The engines' dump and restore functions are independent;
// this is the only place that knows them all.
import type { DatabaseEngine } from './engine.js';
import { dumpMysql } from './mysql/dump.js';
import { restoreMysql, type MysqlRestoreState } from './mysql/restore.js';
import { clearMysqlLeftovers, recoverMysql } from './mysql/restore-recover.js';
import { dumpSqlite } from './sqlite/dump.js';
import { clearSqliteLeftovers, recoverSqlite, restoreSqlite, type SqliteRestoreState } from './sqlite/restore.js';
import type { DatabaseTarget } from './target.js';

export function openEngine(target: DatabaseTarget): DatabaseEngine {
  if (target.kind === 'mysql') {
    return {
      kind: 'mysql',
      dump: (sink, options) => dumpMysql(target, sink, options),
      restore: (sql, options) => restoreMysql(target, sql, options),
      recover: (state, journal) => recoverMysql(target, state as MysqlRestoreState, journal),
      clearLeftovers: () => clearMysqlLeftovers(target),
      close: async () => undefined,
    };
  }
  return {
    kind: 'sqlite',
    dump: (sink, options) => dumpSqlite(target, sink, options),
    restore: (sql, options) => restoreSqlite(target, sql, options),
    recover: (state, journal) => recoverSqlite(target, state as SqliteRestoreState, journal),
    clearLeftovers: () => clearSqliteLeftovers(target),
    close: async () => undefined,
  };
}
