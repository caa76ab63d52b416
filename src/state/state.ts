// Lifeboat's own state: job history and settings (schedule, retention, notifications), and the record
// of which scheduled occurrences were claimed. In SQLite (LIFEBOAT_HOME) or MySQL/MariaDB
// (LIFEBOAT_STATE_URL): see state-db.ts. With a shared state every server sees every job; each job says
// which host runs it, and only that host judges whether its process is still alive. Texts that may
// come from elsewhere (a description quoting a name, an error a server wrote) are cut to STORED_LIMITS.
import type { ProcessIdentity } from '../shared/process-identity.js';
import { clipStored, STORED_LIMITS } from '../shared/text-limits.js';
import { redact } from '../shared/redact.js';
import { usingStore, type StateDb, type StateLocation } from './state-db.js';
import { openStateDb } from './state-open.js';
import { NO_USER, type JobKind, type JobState } from './job-words.js';

export type { StateLocation } from './state-db.js';

export { JOB_KINDS, JOB_STATES, JOB_TRIGGERS, NO_USER, type JobKind, type JobState } from './job-words.js';

/** What the job history can be narrowed to (every field optional), and which page of it. */
export interface JobQuery {
  kind?: string;
  state?: string;
  trigger?: string;
  /** Who started the job, as `JobRecord.user` has it. */
  user?: string;
  offset?: number;
  limit?: number;
  /** With each job's log (`lifeboat jobs --json`); the API's pages leave them out. */
  withLog?: boolean;
}

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
  kind: JobKind;
  /** Backup type, e.g. db or system (src/shared/types.ts). */
  type: string;
  /** The name of the backup the job makes (as the archive gets it: `before_upgrade`) or reads; '' for none. */
  name?: string;
  description: string;
  /** What started it: cli, schedule, guard, api. */
  trigger: string;
  /** Who started it: the page's signed-in user, `schedule`, or `cli:<OS user>`; none for jobs of earlier versions. */
  user?: string;
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
  /** The host whose process runs the job (with a shared state, one of several servers). */
  host?: string;
  process?: ProcessIdentity;
}

interface JobRow {
  id: string;
  kind: string;
  type: string;
  name: string | null;
  description: string;
  trigger: string;
  started_by: string | null;
  state: string;
  progress: string | null;
  log: string;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  error: string | null;
  backup_id: string | null;
  file: string | null;
  host: string | null;
  process: string | null;
}

const MAX_LOG_LINES = 500;

const JOB_COLUMNS = 'id, kind, type, name, description, `trigger`, started_by, state, progress, log, created_at, started_at, ended_at, error, backup_id, file, host, process';

/**
 * The texts of a job (description, log lines, error) are masked when written and again when read: the
 * page, the API and `lifeboat jobs` show them, and rows written by an older version may hold a password.
 */
function toRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    kind: row.kind as JobRecord['kind'],
    type: row.type,
    ...(row.name ? { name: row.name } : {}),
    description: redact(row.description),
    trigger: row.trigger,
    ...(row.started_by ? { user: row.started_by } : {}),
    state: row.state as JobState,
    ...(row.progress ? { progress: JSON.parse(row.progress) as JobProgress } : {}),
    log: (JSON.parse(row.log) as string[]).map(redact),
    createdAt: row.created_at,
    ...(row.started_at ? { startedAt: row.started_at } : {}),
    ...(row.ended_at ? { endedAt: row.ended_at } : {}),
    ...(row.error ? { error: redact(row.error) } : {}),
    ...(row.backup_id ? { backupId: row.backup_id } : {}),
    ...(row.file ? { file: row.file } : {}),
    ...(row.host ? { host: row.host } : {}),
    ...(row.process ? { process: JSON.parse(row.process) as ProcessIdentity } : {}),
  };
}

export class StateStore {
  private constructor(private readonly db: StateDb) {}

  /** Opens the state where `location` says (connecting lazily: errors show at the first call). */
  static open(location: StateLocation): StateStore {
    return new StateStore(openStateDb(location));
  }

  /** Opens the store for one use and closes it again. */
  static with<T>(location: StateLocation, use: (store: StateStore) => Promise<T> | T): Promise<T> {
    return usingStore(StateStore.open(location), use);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async createJob(job: Pick<JobRecord, 'id' | 'kind' | 'type' | 'name' | 'description' | 'trigger' | 'user' | 'state' | 'file' | 'process'>): Promise<void> {
    await this.db.run(
      'INSERT INTO job (id, kind, type, name, description, `trigger`, started_by, state, log, created_at, file, host, process) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [
        job.id,
        job.kind,
        job.type,
        clipStored(job.name || null, STORED_LIMITS.jobName),
        clipStored(redact(job.description), STORED_LIMITS.jobDescription),
        job.trigger,
        clipStored(job.user || null, STORED_LIMITS.jobUser),
        job.state,
        '[]',
        new Date().toISOString(),
        clipStored(job.file ?? null, STORED_LIMITS.jobFile),
        job.process?.host ?? null,
        job.process ? JSON.stringify(job.process) : null,
      ],
    );
  }

  async markRunning(id: string): Promise<void> {
    await this.db.run("UPDATE job SET state = 'running', started_at = ? WHERE id = ?", [new Date().toISOString(), id]);
  }

  async updateProgress(id: string, progress: JobProgress): Promise<void> {
    await this.db.run('UPDATE job SET progress = ? WHERE id = ?', [JSON.stringify(progress), id]);
  }

  async appendLog(id: string, line: string): Promise<void> {
    const stamped = `${new Date().toISOString()} ${clipStored(redact(line), STORED_LIMITS.jobLogLine)}`;
    await this.db.transaction(async (tx) => {
      const row = await tx.get<{ log: string }>(`SELECT log FROM job WHERE id = ?${tx.forUpdate}`, [id]);
      if (!row) return;
      const log = [...(JSON.parse(row.log) as string[]), stamped].slice(-MAX_LOG_LINES);
      await tx.run('UPDATE job SET log = ? WHERE id = ?', [JSON.stringify(log), id]);
    });
  }

  async finishJob(id: string, state: Exclude<JobState, 'queued' | 'running'>, details: { error?: string; backupId?: string; file?: string } = {}): Promise<void> {
    await this.db.run('UPDATE job SET state = ?, ended_at = ?, error = ?, backup_id = COALESCE(?, backup_id), file = COALESCE(?, file) WHERE id = ?', [
      state,
      new Date().toISOString(),
      clipStored(details.error === undefined ? null : redact(details.error), STORED_LIMITS.jobError),
      details.backupId ?? null,
      clipStored(details.file ?? null, STORED_LIMITS.jobFile),
      id,
    ]);
  }

  /** Asks a queued or running job to stop, for the process that runs it to see (see cancel-watch.ts). */
  async requestCancel(id: string, by: string): Promise<void> {
    await this.db.run("UPDATE job SET cancel_requested = ? WHERE id = ? AND state IN ('queued', 'running')", [
      clipStored(redact(by), STORED_LIMITS.jobError),
      id,
    ]);
  }

  /** Who asked the job to stop, if anyone did. */
  async cancelRequestOf(id: string): Promise<string | undefined> {
    const row = await this.db.get<{ cancel_requested: string | null }>('SELECT cancel_requested FROM job WHERE id = ?', [id]);
    return row?.cancel_requested ?? undefined;
  }

  async getJob(id: string): Promise<JobRecord | undefined> {
    const row = await this.db.get<JobRow>(`SELECT ${JOB_COLUMNS} FROM job WHERE id = ?`, [id]);
    return row ? toRecord(row) : undefined;
  }

  /** Newest first (jobs made in the same millisecond: the later insert first). */
  async listJobs(limit = 50): Promise<JobRecord[]> {
    const order = this.db.dialect === 'sqlite' ? 'rowid' : 'seq';
    return (await this.db.all<JobRow>(`SELECT ${JOB_COLUMNS} FROM job ORDER BY created_at DESC, ${order} DESC LIMIT ?`, [limit])).map(toRecord);
  }

  /**
   * A page of the job history, newest first, narrowed by kind, outcome, what and who started it; with the
   * number of jobs that match, for the pager. Each job comes without its log unless asked (GET one job for that).
   */
  async findJobs(query: JobQuery): Promise<{ jobs: JobRecord[]; total: number }> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const filters = [['kind', query.kind], ['state', query.state], ['`trigger`', query.trigger], ['started_by', query.user]] as const;
    for (const [column, value] of filters) {
      if (!value) continue;
      if (column === 'started_by' && value === NO_USER) {
        where.push('started_by IS NULL');
        continue;
      }
      where.push(`${column} = ?`);
      params.push(value);
    }
    const filter = where.length ? ` WHERE ${where.join(' AND ')}` : '';
    const order = this.db.dialect === 'sqlite' ? 'rowid' : 'seq';
    const counted = await this.db.get<{ total: number | string }>(`SELECT COUNT(*) AS total FROM job${filter}`, params);
    const rows = await this.db.all<JobRow>(
      `SELECT ${query.withLog ? JOB_COLUMNS : JOB_COLUMNS.replace(', log,', ", '[]' AS log,")} FROM job${filter} ORDER BY created_at DESC, ${order} DESC LIMIT ? OFFSET ?`,
      [...params, query.limit ?? 20, query.offset ?? 0],
    );
    return { jobs: rows.map(toRecord), total: Number(counted?.total ?? 0) };
  }

  /** Everyone who started a job kept in the history, sorted; NO_USER first when jobs of earlier versions are kept. */
  async jobUsers(): Promise<string[]> {
    const rows = await this.db.all<{ started_by: string | null }>('SELECT DISTINCT started_by FROM job ORDER BY started_by');
    return rows.map((row) => row.started_by ?? NO_USER).sort((a, b) => (a === NO_USER ? -1 : b === NO_USER ? 1 : a < b ? -1 : a > b ? 1 : 0));
  }

  /** Jobs still marked running or queued: of one host (to find ones whose process died), or of all. */
  async unfinishedJobs(host?: string): Promise<JobRecord[]> {
    const rows = await this.db.all<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM job WHERE state IN ('queued', 'running')${host === undefined ? '' : ' AND host = ?'}`,
      host === undefined ? [] : [host],
    );
    return rows.map(toRecord);
  }

  /** Per backup type: the last successful backup job and the number of failed ones (for /metrics). */
  async backupStats(): Promise<{ type: string; lastSuccess?: JobRecord; failures: number }[]> {
    const rows = await this.db.all<{ type: string; failures: number | string; last_id: string | null }>(
      `SELECT type, SUM(state = 'failed') AS failures,
         (SELECT id FROM job AS j WHERE j.kind = 'backup' AND j.type = job.type AND j.state = 'succeeded' ORDER BY ended_at DESC LIMIT 1) AS last_id
       FROM job WHERE kind = 'backup' GROUP BY type ORDER BY type`,
    );
    const stats = [];
    for (const row of rows) {
      const last = row.last_id ? await this.getJob(row.last_id) : undefined;
      stats.push({ type: row.type, failures: Number(row.failures), ...(last ? { lastSuccess: last } : {}) });
    }
    return stats;
  }

  async getSetting<T>(key: string): Promise<T | undefined> {
    const row = await this.db.get<{ value: string }>('SELECT value FROM setting WHERE `key` = ?', [key]);
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  async setSetting(key: string, value: unknown): Promise<void> {
    await this.db.upsert('setting', { key, value: JSON.stringify(value) }, ['key'], ['value']);
  }

  async isOccurrenceClaimed(occurrence: string): Promise<boolean> {
    return (await this.db.get('SELECT 1 AS claimed FROM schedule_run WHERE occurrence = ?', [occurrence])) !== undefined;
  }

  /**
   * Claims a scheduled occurrence; false when it was claimed before (so cron never runs it twice). The
   * insert against the primary key is the claim: with a shared state, one server of several wins it.
   */
  async claimOccurrence(occurrence: string, jobId: string): Promise<boolean> {
    return this.db.insertUnique('schedule_run', { occurrence, job_id: jobId, claimed_at: new Date().toISOString() });
  }
}
