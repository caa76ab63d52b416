// Lifeboat's own state: job history and settings (schedule, retention, notifications), in an SQLite
// file in LIFEBOAT_HOME. WAL mode lets the CLI, the scheduler and the web server share it.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ProcessIdentity } from '../core/process-identity.js';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface JobProgress {
  phase: string;
  table?: string;
  bytes: number;
  rows: number;
  files?: number;
  totalBytes?: number;
  /** Bytes per second over the current phase. */
  rate?: number;
  /** Seconds left, when the total is known. */
  eta?: number;
}

export interface JobRecord {
  id: string;
  kind: 'backup' | 'rollback';
  /** Backup type, e.g. db or snapshot. */
  type: string;
  description: string;
  /** What started it: cli, schedule, guard, api. */
  trigger: string;
  state: JobState;
  progress?: JobProgress;
  log: string[];
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  error?: string;
  /** The backup the job made or restored. */
  backupId?: string;
  file?: string;
  process?: ProcessIdentity;
}

interface JobRow {
  id: string;
  kind: string;
  type: string;
  description: string;
  trigger: string;
  state: string;
  progress: string | null;
  log: string;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  error: string | null;
  backup_id: string | null;
  file: string | null;
  process: string | null;
}

const MIGRATIONS = [
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
];

const MAX_LOG_LINES = 500;

/** Opens (creating and migrating as needed) the state database in `home`; accounts.ts shares it. */
export function openStateDatabase(home: string): Database.Database {
  mkdirSync(home, { recursive: true });
  const db = new Database(path.join(home, 'lifeboat.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 10000');
  db.pragma('foreign_keys = ON');
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return db;
}

function toRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    kind: row.kind as JobRecord['kind'],
    type: row.type,
    description: row.description,
    trigger: row.trigger,
    state: row.state as JobState,
    ...(row.progress ? { progress: JSON.parse(row.progress) as JobProgress } : {}),
    log: JSON.parse(row.log) as string[],
    createdAt: row.created_at,
    ...(row.started_at ? { startedAt: row.started_at } : {}),
    ...(row.ended_at ? { endedAt: row.ended_at } : {}),
    ...(row.error ? { error: row.error } : {}),
    ...(row.backup_id ? { backupId: row.backup_id } : {}),
    ...(row.file ? { file: row.file } : {}),
    ...(row.process ? { process: JSON.parse(row.process) as ProcessIdentity } : {}),
  };
}

export class StateStore {
  private constructor(private readonly db: Database.Database) {}

  static open(home: string): StateStore {
    return new StateStore(openStateDatabase(home));
  }

  /** Opens the store for one synchronous use and closes it again. */
  static with<T>(home: string, use: (store: StateStore) => T): T {
    const store = StateStore.open(home);
    try {
      return use(store);
    } finally {
      store.close();
    }
  }

  close(): void {
    this.db.close();
  }

  createJob(job: Pick<JobRecord, 'id' | 'kind' | 'type' | 'description' | 'trigger' | 'state' | 'file' | 'process'>): void {
    this.db
      .prepare('INSERT INTO job (id, kind, type, description, trigger, state, created_at, file, process) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(
        job.id,
        job.kind,
        job.type,
        job.description,
        job.trigger,
        job.state,
        new Date().toISOString(),
        job.file ?? null,
        job.process ? JSON.stringify(job.process) : null,
      );
  }

  markRunning(id: string): void {
    this.db.prepare("UPDATE job SET state = 'running', started_at = ? WHERE id = ?").run(new Date().toISOString(), id);
  }

  updateProgress(id: string, progress: JobProgress): void {
    this.db.prepare('UPDATE job SET progress = ? WHERE id = ?').run(JSON.stringify(progress), id);
  }

  appendLog(id: string, line: string): void {
    const stamped = `${new Date().toISOString()} ${line}`;
    this.db.transaction(() => {
      const row = this.db.prepare('SELECT log FROM job WHERE id = ?').get(id) as { log: string } | undefined;
      if (!row) return;
      const log = [...(JSON.parse(row.log) as string[]), stamped].slice(-MAX_LOG_LINES);
      this.db.prepare('UPDATE job SET log = ? WHERE id = ?').run(JSON.stringify(log), id);
    })();
  }

  finishJob(id: string, state: Exclude<JobState, 'queued' | 'running'>, details: { error?: string; backupId?: string; file?: string } = {}): void {
    this.db
      .prepare('UPDATE job SET state = ?, ended_at = ?, error = ?, backup_id = COALESCE(?, backup_id), file = COALESCE(?, file) WHERE id = ?')
      .run(state, new Date().toISOString(), details.error ?? null, details.backupId ?? null, details.file ?? null, id);
  }

  getJob(id: string): JobRecord | undefined {
    const row = this.db.prepare('SELECT * FROM job WHERE id = ?').get(id) as JobRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  /** Newest first. */
  listJobs(limit = 50): JobRecord[] {
    return (this.db.prepare('SELECT * FROM job ORDER BY created_at DESC, rowid DESC LIMIT ?').all(limit) as JobRow[]).map(toRecord);
  }

  /** Jobs still marked running or queued (to find ones whose process died). */
  unfinishedJobs(): JobRecord[] {
    return (this.db.prepare("SELECT * FROM job WHERE state IN ('queued', 'running')").all() as JobRow[]).map(toRecord);
  }

  /** Per backup type: the last successful backup job and the number of failed ones (for /metrics). */
  backupStats(): { type: string; lastSuccess?: JobRecord; failures: number }[] {
    const rows = this.db
      .prepare(
        `SELECT type, SUM(state = 'failed') AS failures,
           (SELECT id FROM job AS j WHERE j.kind = 'backup' AND j.type = job.type AND j.state = 'succeeded' ORDER BY ended_at DESC LIMIT 1) AS last_id
         FROM job WHERE kind = 'backup' GROUP BY type ORDER BY type`,
      )
      .all() as { type: string; failures: number; last_id: string | null }[];
    return rows.map((row) => {
      const last = row.last_id ? this.getJob(row.last_id) : undefined;
      return { type: row.type, failures: Number(row.failures), ...(last ? { lastSuccess: last } : {}) };
    });
  }

  getSetting<T>(key: string): T | undefined {
    const row = this.db.prepare('SELECT value FROM setting WHERE key = ?').get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  setSetting(key: string, value: unknown): void {
    this.db.prepare('INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
  }

  isOccurrenceClaimed(occurrence: string): boolean {
    return this.db.prepare('SELECT 1 FROM schedule_run WHERE occurrence = ?').get(occurrence) !== undefined;
  }

  /** Claims a scheduled occurrence; false when it was claimed before (so cron never runs it twice). */
  claimOccurrence(occurrence: string, jobId: string): boolean {
    const result = this.db
      .prepare('INSERT OR IGNORE INTO schedule_run (occurrence, job_id, claimed_at) VALUES (?, ?, ?)')
      .run(occurrence, jobId, new Date().toISOString());
    return result.changes === 1;
  }
}
