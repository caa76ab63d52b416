// Opens the database of Lifeboat's own state where the settings put it: the MySQL/MariaDB schema of
// LIFEBOAT_STATE_URL when set, else the SQLite file in LIFEBOAT_HOME.
import type { StateDb, StateLocation } from './state-db.js';
import { openMysqlStateDb } from './state-mysql.js';
import { openSqliteStateDb } from './state-sqlite.js';

export function openStateDb(location: StateLocation): StateDb {
  return location.stateTarget ? openMysqlStateDb(location.stateTarget) : openSqliteStateDb(location.home);
}
