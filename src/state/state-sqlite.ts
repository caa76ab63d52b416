// Lifeboat's state in an SQLite file in LIFEBOAT_HOME (the default). WAL mode lets the CLI, the
// scheduler and the web server share it; migrations are counted in SQLite's user_version.
import path from 'node:path';
import { createPrivateFile, makePrivateHome } from '../shared/private-home.js';
import { openSqlite, scalar, type Param as SqlParam, type SqliteDb } from '../sql/sqlite.js';
import { insertSql, upsertSql, type Row, type StateDb } from './state-db.js';

export const MIGRATIONS = [
  `CREATE TABLE job (
     id TEXT PRIMARY KEY, kind TEXT NOT NULL, type TEXT NOT NULL, description TEXT NOT NULL, trigger TEXT NOT NULL,
     state TEXT NOT NULL, progress TEXT, log TEXT NOT NULL DEFAULT '[]', created_at TEXT NOT NULL, started_at TEXT,
     ended_at TEXT, error TEXT, backup_id TEXT, file TEXT, process TEXT);
   CREATE INDEX job_created ON job (created_at);
   CREATE TABLE setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE schedule_run (occurrence TEXT PRIMARY KEY, job_id TEXT, claimed_at TEXT NOT NULL);`,
  // Access control of the web admin (see accounts.ts): roles, users, sessions, audit log.
  `CREATE TABLE role (name TEXT PRIMARY KEY, resources TEXT NOT NULL, created_at TEXT NOT NULL);
   INSERT INTO role (name, resources, created_at) VALUES ('admin', '["backup","rollback","admin"]', datetime('now'));
   CREATE TABLE user (username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL REFERENCES role(name),
     created_at TEXT NOT NULL);
   CREATE TABLE session (token_hash TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES user(username) ON DELETE CASCADE,
     csrf_token TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL);
   CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, username TEXT, action TEXT NOT NULL,
     backup TEXT, address TEXT, success INTEGER NOT NULL, detail TEXT);
   CREATE INDEX audit_at ON audit (at);`,
  // The host that runs a job, as a column: a server judges (reaps, signals) only its own host's jobs.
  `ALTER TABLE job ADD COLUMN host TEXT;
   UPDATE job SET host = json_extract(process, '$.host') WHERE process IS NOT NULL;
   CREATE INDEX job_unfinished ON job (state, host);`,
  // Failed password checks, counted by the sign-in limits (see signin-failures.ts).
  `CREATE TABLE signin_failure (id TEXT PRIMARY KEY, address TEXT NOT NULL, username TEXT NOT NULL, at TEXT NOT NULL);
   CREATE INDEX signin_failure_address ON signin_failure (address, at);
   CREATE INDEX signin_failure_at ON signin_failure (at);`,
  // The job history in the one spelling of the backup types (earlier versions wrote Magento's file words).
  `UPDATE job SET type = 'system' WHERE type = 'snapshot';
   UPDATE job SET type = 'code' WHERE type = 'filesystem_code';`,
  // Who asked a job to stop: `lifeboat cancel` of a job that runs inside `lifeboat serve` (which a signal
  // would stop whole) writes it here, and the server, watching its own jobs, aborts the one asked.
  `ALTER TABLE job ADD COLUMN cancel_requested TEXT;`,
  // Magento's two permissions besides admin, as roles a new user can get (operator is the least
  // privilege, the default: see AccountStore.defaultRole); a role of the same name made earlier is kept.
  `INSERT OR IGNORE INTO role (name, resources, created_at) VALUES ('operator', '["backup"]', datetime('now'));
   INSERT OR IGNORE INTO role (name, resources, created_at) VALUES ('restorer', '["backup","rollback"]', datetime('now'));`,
  // The name of the backup a job makes or reads, as a field: the page and `lifeboat jobs` named jobs by
  // reading it out of the description before. Jobs of earlier versions have none.
  `ALTER TABLE job ADD COLUMN name TEXT;
   CREATE INDEX job_kind ON job (kind, state, \`trigger\`);`,
  // Who started a job (the page's signed-in user, \`schedule\`, \`cli:<OS user>\`), for the history to show
  // and be narrowed by. Jobs of earlier versions have none.
  `ALTER TABLE job ADD COLUMN started_by TEXT;
   CREATE INDEX job_started_by ON job (started_by);`,
];

/** Opens (creating and migrating as needed) `<home>/lifeboat.db`. */
function openFile(home: string): SqliteDb {
  makePrivateHome(home);
  const file = path.join(home, 'lifeboat.db');
  // SQLite makes a new file 0644, and its -wal and -shm files with the mode of the database file.
  createPrivateFile(file);
  const db = openSqlite(file, { timeoutMs: 10_000 });
  // synchronous=NORMAL: in WAL mode a commit is not fsynced (the WAL is, at checkpoints). A power cut can
  // lose the last job updates, never corrupt the file; a crashed process loses nothing. Every backup
  // writes a dozen small updates here, and each fsync cost more than the backup of a small table.
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON');
  const version = Number(scalar(db, 'PRAGMA user_version'));
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(MIGRATIONS[v]);
      db.exec(`PRAGMA user_version = ${v + 1}`);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }
  return db;
}

/**
 * node:sqlite is synchronous, one connection per store. A transaction spans awaits, so while one is
 * open every other statement on the connection waits for it (the gate), rather than slip into it.
 */
class SqliteStateDb implements StateDb {
  readonly dialect = 'sqlite';
  readonly forUpdate = '';

  constructor(
    private readonly db: SqliteDb,
    private readonly shared: { gate?: Promise<void> },
    private readonly insideTransaction = false,
  ) {}

  /** Runs `statement` once no other transaction is open; the last look at the gate and the statement are one synchronous step. */
  private async whenOpen<T>(statement: () => T): Promise<T> {
    while (!this.insideTransaction && this.shared.gate) await this.shared.gate;
    return statement();
  }

  all<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.whenOpen(() => this.db.prepare(sql).all(...(params as SqlParam[])) as T[]);
  }

  get<T>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return this.whenOpen(() => this.db.prepare(sql).get(...(params as SqlParam[])) as T | undefined);
  }

  run(sql: string, params: unknown[] = []): Promise<number> {
    return this.whenOpen(() => Number(this.db.prepare(sql).run(...(params as SqlParam[])).changes));
  }

  async insertUnique(table: string, row: Row): Promise<boolean> {
    const { sql, params } = insertSql(table, row, 'INSERT OR IGNORE');
    return (await this.run(sql, params)) === 1;
  }

  async upsert(table: string, row: Row, key: string[], update: string[]): Promise<void> {
    const { sql, params } = upsertSql('sqlite', table, row, key, update);
    await this.run(sql, params);
  }

  async transaction<T>(work: (tx: StateDb) => Promise<T>): Promise<T> {
    if (this.insideTransaction) return work(this);
    // No await between the last look at the gate and closing it: another transaction could slip in.
    while (this.shared.gate) await this.shared.gate;
    let open!: () => void;
    this.shared.gate = new Promise((resolve) => (open = resolve));
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(new SqliteStateDb(this.db, this.shared, true));
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        this.db.exec('ROLLBACK');
        throw error;
      }
    } finally {
      this.shared.gate = undefined;
      open();
    }
  }

  close(): Promise<void> {
    return this.whenOpen(() => void this.db.close());
  }
}

export function openSqliteStateDb(home: string): StateDb {
  return new SqliteStateDb(openFile(home), {});
}
