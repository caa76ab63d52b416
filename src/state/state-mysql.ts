// Lifeboat's state in a MySQL/MariaDB schema of its own (LIFEBOAT_STATE_URL), shared by several
// servers. One connection pool per process and schema, shared by every store opened on it (the web
// server opens stores per request) and ended when the last one closes. Tables are made on first use and
// migrated under a named lock, counted in `lifeboat_schema` as user_version counts them for SQLite.
// Times are ISO 8601 strings as on the SQLite side; utf8mb4_bin compares names byte for byte, as SQLite does.
import mysql from 'mysql2/promise';
import { OperationError } from '../shared/errors.js';
import { connectionOptions } from '../engines/mysql/connect.js';
import type { MysqlTarget } from '../engines/target.js';
import { insertSql, upsertSql, type Row, type StateDb } from './state-db.js';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';
const TIME = 'VARCHAR(32)';

/** Each migration is a list of statements (DDL is not transactional in MySQL: the named lock keeps servers apart). */
export const MIGRATIONS: string[][] = [
  [
    `CREATE TABLE job (
       id VARCHAR(64) NOT NULL PRIMARY KEY, seq BIGINT NOT NULL AUTO_INCREMENT UNIQUE, kind VARCHAR(16) NOT NULL,
       type VARCHAR(32) NOT NULL, description TEXT NOT NULL, \`trigger\` VARCHAR(32) NOT NULL, state VARCHAR(16) NOT NULL,
       progress TEXT, log MEDIUMTEXT NOT NULL, created_at ${TIME} NOT NULL, started_at ${TIME}, ended_at ${TIME},
       error TEXT, backup_id VARCHAR(255), file VARCHAR(1024), process TEXT, host VARCHAR(255),
       KEY job_created (created_at), KEY job_unfinished (state, host)) ${TABLE}`,
    `CREATE TABLE setting (\`key\` VARCHAR(191) NOT NULL PRIMARY KEY, value MEDIUMTEXT NOT NULL) ${TABLE}`,
    `CREATE TABLE schedule_run (occurrence VARCHAR(191) NOT NULL PRIMARY KEY, job_id VARCHAR(64), claimed_at ${TIME} NOT NULL) ${TABLE}`,
    `CREATE TABLE role (name VARCHAR(64) NOT NULL PRIMARY KEY, resources TEXT NOT NULL, created_at ${TIME} NOT NULL) ${TABLE}`,
    `INSERT INTO role (name, resources, created_at) VALUES ('admin', '["backup","rollback","admin"]', '${new Date(0).toISOString()}')`,
    `CREATE TABLE user (username VARCHAR(64) NOT NULL PRIMARY KEY, password_hash VARCHAR(255) NOT NULL, role VARCHAR(64) NOT NULL,
       created_at ${TIME} NOT NULL, FOREIGN KEY (role) REFERENCES role (name)) ${TABLE}`,
    `CREATE TABLE session (token_hash CHAR(64) NOT NULL PRIMARY KEY, username VARCHAR(64) NOT NULL, csrf_token VARCHAR(64) NOT NULL,
       created_at ${TIME} NOT NULL, expires_at ${TIME} NOT NULL, KEY session_expires (expires_at),
       FOREIGN KEY (username) REFERENCES user (username) ON DELETE CASCADE) ${TABLE}`,
    `CREATE TABLE audit (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, at ${TIME} NOT NULL, username VARCHAR(64), action VARCHAR(64) NOT NULL,
       backup VARCHAR(255), address VARCHAR(64), success TINYINT NOT NULL, detail TEXT, KEY audit_at (at)) ${TABLE}`,
  ],
  // Failed password checks, counted by the sign-in limits (see signin-failures.ts).
  [
    `CREATE TABLE signin_failure (id CHAR(22) NOT NULL PRIMARY KEY, address VARCHAR(64) NOT NULL, username VARCHAR(64) NOT NULL,
       at ${TIME} NOT NULL, KEY signin_failure_address (address, at), KEY signin_failure_at (at)) ${TABLE}`,
  ],
  // The job history in the one spelling of the backup types (earlier versions wrote Magento's file words).
  [`UPDATE job SET type = 'system' WHERE type = 'snapshot'`, `UPDATE job SET type = 'code' WHERE type = 'filesystem_code'`],
  // Who asked a job of `lifeboat serve` to stop (see state-sqlite.ts).
  ['ALTER TABLE job ADD COLUMN cancel_requested TEXT'],
  // The shipped roles besides admin (see state-sqlite.ts); a role of the same name made earlier is kept.
  [
    `INSERT IGNORE INTO role (name, resources, created_at) VALUES ('operator', '["backup"]', '${new Date(0).toISOString()}')`,
    `INSERT IGNORE INTO role (name, resources, created_at) VALUES ('restorer', '["backup","rollback"]', '${new Date(0).toISOString()}')`,
  ],
  // The name of the backup a job makes or reads (see state-sqlite.ts), and the history's filters.
  ['ALTER TABLE job ADD COLUMN name VARCHAR(255)', 'CREATE INDEX job_kind ON job (kind, state, `trigger`)'],
  // Who started a job (see state-sqlite.ts).
  ['ALTER TABLE job ADD COLUMN started_by VARCHAR(255)', 'CREATE INDEX job_started_by ON job (started_by)'],
];

type Queryable = mysql.Pool | mysql.PoolConnection;

interface SharedPool {
  pool: mysql.Pool;
  users: number;
  /** Resolves once the tables are there (made or migrated by this process or another server); tried again after a failure. */
  ready?: Promise<void>;
}

function tablesReady(shared: SharedPool, target: MysqlTarget): Promise<void> {
  shared.ready ??= migrate(shared.pool, target).catch((error: unknown) => {
    shared.ready = undefined;
    throw error instanceof OperationError ? error : explain(target, error);
  });
  return shared.ready;
}

const pools = new Map<string, SharedPool>();

const where = (target: MysqlTarget) => `${target.user}@${target.socketPath ?? `${target.host}:${target.port}`}/${target.database}`;

/** One line saying what is wrong with the state database and what to do. */
function explain(target: MysqlTarget, error: unknown): Error {
  const { code, message } = error as { code?: string; message?: string };
  const base = `Lifeboat's state database (LIFEBOAT_STATE_URL, ${where(target)})`;
  if (code === 'ER_BAD_DB_ERROR') {
    return new OperationError(`${base} does not exist: create it once, e.g. CREATE DATABASE ${target.database} CHARACTER SET utf8mb4; GRANT ALL ON ${target.database}.* TO '${target.user}'@'%';`);
  }
  if (code === 'ER_DBACCESS_DENIED_ERROR' || code === 'ER_TABLEACCESS_DENIED_ERROR' || code === 'ER_ACCESS_DENIED_ERROR') {
    return new OperationError(`${base}: access denied (${message}); grant the user all privileges on that schema: GRANT ALL ON ${target.database}.* TO '${target.user}'@'%';`);
  }
  // A refused connection to a dual-stack name comes as an AggregateError with an empty message.
  return new OperationError(`${base}: ${message || code || String(error)}; check that the server is reachable and the URL is right`);
}

async function migrate(pool: mysql.Pool, target: MysqlTarget): Promise<void> {
  const connection = await pool.getConnection();
  const lock = `lifeboat-state:${target.database}`.slice(0, 64);
  try {
    await connection.query('SELECT GET_LOCK(?, 60)', [lock]);
    await connection.query(`CREATE TABLE IF NOT EXISTS lifeboat_schema (id TINYINT NOT NULL PRIMARY KEY, version INT NOT NULL) ${TABLE}`);
    await connection.query('INSERT IGNORE INTO lifeboat_schema (id, version) VALUES (1, 0)');
    const [rows] = await connection.query('SELECT version FROM lifeboat_schema WHERE id = 1');
    const version = Number((rows as { version: number }[])[0].version);
    if (version > MIGRATIONS.length) {
      throw new OperationError(`the state schema ${target.database} was made by a newer Lifeboat (schema version ${version}); update this server's Lifeboat too`);
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      for (const statement of MIGRATIONS[v]) await connection.query(statement);
      await connection.query('UPDATE lifeboat_schema SET version = ? WHERE id = 1', [v + 1]);
    }
  } finally {
    await connection.query('DO RELEASE_LOCK(?)', [lock]).catch(() => undefined);
    connection.release();
  }
}

class MysqlStateDb implements StateDb {
  readonly dialect = 'mysql';
  readonly forUpdate = ' FOR UPDATE';
  private closed = false;

  constructor(
    private readonly target: MysqlTarget,
    private readonly shared: SharedPool,
    private readonly on: Queryable,
    private readonly insideTransaction = false,
  ) {}

  private async query(sql: string, params: unknown[]): Promise<unknown> {
    await tablesReady(this.shared, this.target);
    try {
      const [result] = await this.on.query(sql, params);
      return result;
    } catch (error) {
      if ((error as { code?: string }).code === 'ER_DUP_ENTRY') throw error; // insertUnique's answer
      throw explain(this.target, error);
    }
  }

  async all<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.query(sql, params)) as T[];
  }

  async get<T>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  async run(sql: string, params: unknown[] = []): Promise<number> {
    return ((await this.query(sql, params)) as mysql.ResultSetHeader).affectedRows;
  }

  async insertUnique(table: string, row: Row): Promise<boolean> {
    const { sql, params } = insertSql(table, row);
    try {
      await this.run(sql, params);
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === 'ER_DUP_ENTRY') return false;
      throw error;
    }
  }

  async upsert(table: string, row: Row, key: string[], update: string[]): Promise<void> {
    const { sql, params } = upsertSql('mysql', table, row, key, update);
    await this.run(sql, params);
  }

  async transaction<T>(work: (tx: StateDb) => Promise<T>): Promise<T> {
    if (this.insideTransaction) return work(this);
    await tablesReady(this.shared, this.target);
    const connection = await this.shared.pool.getConnection().catch((error: unknown) => Promise.reject(explain(this.target, error)));
    try {
      await connection.beginTransaction();
      try {
        const result = await work(new MysqlStateDb(this.target, this.shared, connection, true));
        await connection.commit();
        return result;
      } catch (error) {
        await connection.rollback().catch(() => undefined);
        throw error;
      }
    } finally {
      connection.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed || this.insideTransaction) return;
    this.closed = true;
    if (--this.shared.users > 0) return;
    for (const [key, entry] of pools) if (entry === this.shared) pools.delete(key);
    await this.shared.pool.end();
  }
}

export function openMysqlStateDb(target: MysqlTarget): StateDb {
  const key = JSON.stringify(target);
  let shared = pools.get(key);
  if (!shared) {
    // Connections idle for a minute are closed: a long-lived server never meets one the MySQL server
    // dropped after its wait_timeout.
    const options = { ...connectionOptions(target, target.database), connectionLimit: 5, maxIdle: 1, idleTimeout: 60_000 };
    shared = { pool: mysql.createPool(options), users: 0 };
    pools.set(key, shared);
  }
  shared.users++;
  return new MysqlStateDb(target, shared, shared.pool);
}
