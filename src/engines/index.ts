// Picks the engine for a database target. The engines' dump and restore functions are independent;
// this is the only place that knows them all. Each engine's code is loaded when first used: a MySQL
// shop never loads the SQLite engine, and the other way round.
import type { DatabaseEngine } from './engine.js';
import type { MysqlRestoreState } from './mysql/restore.js';
import type { SqliteRestoreState } from './sqlite/restore.js';
import type { DatabaseTarget } from './target.js';

export function openEngine(target: DatabaseTarget): DatabaseEngine {
  if (target.kind === 'mysql') {
    return {
      kind: 'mysql',
      openScratch: async (label) => (await import('./mysql/scratch.js')).openMysqlScratch(target, label),
      dump: async (sink, options) => (await import('./mysql/dump.js')).dumpMysql(target, sink, options),
      restore: async (sql, options) => (await import('./mysql/restore.js')).restoreMysql(target, sql, options),
      recover: async (state, journal) => (await import('./mysql/restore-recover.js')).recoverMysql(target, state as MysqlRestoreState, journal),
      clearLeftovers: async (ongoing) => (await import('./mysql/restore-leftovers.js')).clearMysqlLeftovers(target, (ongoing ?? []) as MysqlRestoreState[]),
      dropOldTables: async (state) => (await import('./mysql/restore-leftovers.js')).dropOldTables(target, state as MysqlRestoreState),
      close: async () => undefined,
    };
  }
  return {
    kind: 'sqlite',
    openScratch: async (label) => (await import('./sqlite/scratch.js')).openSqliteScratch(label),
    dump: async (sink, options) => (await import('./sqlite/dump.js')).dumpSqlite(target, sink, options),
    restore: async (sql, options) => (await import('./sqlite/restore.js')).restoreSqlite(target, sql, options),
    recover: async (state, journal) => (await import('./sqlite/restore.js')).recoverSqlite(target, state as SqliteRestoreState, journal),
    clearLeftovers: async () => (await import('./sqlite/restore.js')).clearSqliteLeftovers(target),
    // A SQLite restore leaves nothing behind once committed: its staging file became the database.
    dropOldTables: async () => [],
    close: async () => undefined,
  };
}
