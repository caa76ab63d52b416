// Running a backup or rollback as a job: one at a time per shop (a lock that survives crashes), an
// optional maintenance window that always restores the state from before, progress and a log kept in
// Lifeboat's state, and a clean stop on Ctrl-C or `lifeboat cancel`.
import { randomBytes } from 'node:crypto';
import { StateStore, type JobProgress, type JobRecord } from '../../state/state.js';
import type { MysqlTarget } from '../../engines/target.js';
import type { Progress, ProgressListener } from '../../engines/engine.js';
import { OperationError } from '../../shared/errors.js';
import { acquireJobLock, type JobLock } from './lock.js';
import type { JobLockTaker } from './lock-db.js';
import { JobLog } from './log.js';
import { withLogFields } from '../../shared/log.js';
import { clearStaleFlagsOnAll, enterMaintenanceOnAll } from '../maintenance/roots.js';
import { currentProcess, isDead } from '../../shared/process-identity.js';
import { StateWrites } from './writes.js';
import { watchCancelRequests } from './cancel-watch.js';

export interface JobContext {
  jobId: string;
  signal: AbortSignal;
  onProgress: ProgressListener;
  log(line: string): void;
}

export interface JobSpec<T> {
  home: string;
  /** Lifeboat's state in MySQL/MariaDB (LIFEBOAT_STATE_URL); default: the SQLite file in `home`. */
  stateTarget?: MysqlTarget;
  root: string;
  /** Every shop root that gets the maintenance flag (several app servers); default: just `root`. */
  maintenanceRoots?: string[];
  /** How to take the job lock (a database lock for several servers); default: the lock file in `home`. */
  lockTaker?: JobLockTaker;
  kind: JobRecord['kind'];
  type: string;
  /** The backup's name, as its archive has it (what the page and `lifeboat jobs` call the job by); '' for none. */
  name?: string;
  /** e.g. "backup db" or "rollback 1764000000_db.sql.gz" */
  description: string;
  /** What started it: cli, schedule, guard, api. */
  trigger: string;
  maintenance?: boolean;
  /** Wait (as a queued job) while another job holds the lock, instead of refusing: for the scheduler. */
  waitForLock?: boolean;
  /** The archive the job reads or writes, recorded at its start (prune never removes it meanwhile). */
  file?: string;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Lines the user should see (stale lock or flag cleared, maintenance kept on). */
  onNotice?: (line: string) => void;
  /** Told the job's id once it holds the lock and is recorded as running (the web API answers with it). */
  onStart?: (jobId: string) => void;
  work: (context: JobContext) => Promise<T>;
  /** What to record about the result (the backup made or restored); `bytes`, the archive's size, is only logged. */
  summarize?: (result: T) => { backupId?: string; file?: string; bytes?: number };
  /** Told how the job ended (for notifications); its failures are reported as notices, never thrown. */
  onDone?: (outcome: JobOutcome<T>) => Promise<void>;
  /**
   * Settles what dead jobs left (an interrupted rollback, partial files) once the lock is held and before
   * the work: a job never starts on a half-rolled-back shop. Returns lines to show; a throw fails the job.
   * Without it (a job that only reads), neither this nor the clearing of dead jobs' maintenance flags runs.
   */
  recover?: () => Promise<string[]>;
}

export interface JobOutcome<T> {
  jobId: string;
  state: 'succeeded' | 'failed' | 'cancelled';
  result?: T;
  error?: string;
  startedAt: string;
  finishedAt: string;
}

const PROGRESS_WRITE_INTERVAL_MS = 1000;

export function newJobId(): string {
  return `j${randomBytes(4).toString('hex')}`;
}

/**
 * Marks jobs whose process is gone as failed; returns a line for each. Only jobs of this host are
 * judged: with a state shared by several servers, a pid says nothing about another machine.
 */
export async function reapDeadJobs(store: StateStore): Promise<string[]> {
  const lines: string[] = [];
  for (const job of await store.unfinishedJobs(currentProcess().host)) {
    if (job.process && isDead(job.process)) {
      await store.finishJob(job.id, 'failed', { error: `the process running it (pid ${job.process.pid}) is gone` });
      lines.push(`job ${job.id} (${job.description}) was left running by a process that is gone; marked failed`);
    }
  }
  return lines;
}

/** Tracks rate and ETA per phase and writes progress to the state at most once a second. */
function progressTracker(writes: StateWrites, jobId: string, jobLog: JobLog, forward?: ProgressListener): ProgressListener {
  let phase = '';
  let phaseStart = Date.now();
  let lastWrite = 0;
  return (p: Progress) => {
    forward?.(p);
    jobLog.progress(p);
    const now = Date.now();
    if (p.phase !== phase) {
      phase = p.phase;
      phaseStart = now;
    }
    if (now - lastWrite < PROGRESS_WRITE_INTERVAL_MS) return;
    lastWrite = now;
    const seconds = (now - phaseStart) / 1000;
    const rate = seconds > 0 ? p.bytes / seconds : undefined;
    const progress: JobProgress = {
      phase: p.phase,
      bytes: p.bytes,
      rows: p.rows,
      ...(p.table ? { table: p.table } : {}),
      ...(p.totalBytes ? { totalBytes: p.totalBytes } : {}),
      ...(rate ? { rate: Math.round(rate) } : {}),
      ...(rate && p.totalBytes ? { eta: Math.max(0, Math.round((p.totalBytes - p.bytes) / rate)) } : {}),
    };
    writes.add((store) => store.updateProgress(jobId, progress));
  };
}

function jobFields<T>(spec: JobSpec<T>, jobId: string) {
  return { id: jobId, kind: spec.kind, type: spec.type, name: spec.name, description: spec.description, trigger: spec.trigger, file: spec.file, process: currentProcess() };
}

const LOCK_POLL_MS = 2000;

/** Jobs of this process, by id: the web server cancels its own jobs by aborting them (a signal would stop it). */
const ownJobs = new Map<string, AbortController>();

/** Aborts a queued or running job of this process; false when this process does not run it. */
export function abortOwnJob(jobId: string, reason: Error): boolean {
  const controller = ownJobs.get(jobId);
  if (!controller) return false;
  controller.abort(reason);
  return true;
}

/** Aborts every job of this process (a server that stops): each settles as a cancelled one does. */
export function abortOwnJobs(reason: Error): void {
  for (const controller of ownJobs.values()) controller.abort(reason);
}

/** Resolves true once this process runs no job, or false after `ms`. */
export async function ownJobsEnded(ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; ownJobs.size > 0; ) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

/** Takes the job lock; with waitForLock, waits as a queued job until the running one ends. */
async function takeLock<T>(store: StateStore, spec: JobSpec<T>, jobId: string, signal: AbortSignal): Promise<JobLock> {
  for (;;) {
    try {
      return await (spec.lockTaker ? spec.lockTaker(jobId, spec.description) : acquireJobLock(spec.home, jobId, spec.description));
    } catch (error) {
      if (!spec.waitForLock || !(error instanceof OperationError)) throw error;
      if (!(await store.getJob(jobId))) {
        await store.createJob({ ...jobFields(spec, jobId), state: 'queued' });
        await store.appendLog(jobId, `queued: ${error.message}`);
        spec.onNotice?.(`queued behind the running job: ${error.message}`);
      }
      if (signal.aborted) {
        await store.finishJob(jobId, 'cancelled', { error: 'cancelled while queued' });
        throw signal.reason;
      }
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
  }
}

/** Runs the job; every line logged meanwhile, by it or by whoever it calls back, carries its id and type. */
export function runJob<T>(spec: JobSpec<T>): Promise<{ jobId: string; result: T }> {
  const jobId = newJobId();
  return withLogFields({ jobId, kind: spec.kind, type: spec.type }, () => runJobAs(jobId, spec));
}

async function runJobAs<T>(jobId: string, spec: JobSpec<T>): Promise<{ jobId: string; result: T }> {
  const store = StateStore.open({ home: spec.home, stateTarget: spec.stateTarget });
  const notice = (line: string) => spec.onNotice?.(line);
  // Progress and log lines come from synchronous callbacks: written in order, in the background, and
  // waited for before the job's end is recorded.
  const writes = new StateWrites(store, notice);
  try {
    for (const line of await reapDeadJobs(store)) notice(line);
    const controller = new AbortController();
    const abort = () => controller.abort(spec.signal?.reason);
    spec.signal?.addEventListener('abort', abort, { once: true });
    ownJobs.set(jobId, controller);
    // Inside the server, `lifeboat cancel` asks through the state (see cancel-watch.ts).
    const stopWatching = currentProcess().server ? watchCancelRequests(store, jobId, controller) : () => undefined;
    let lock: JobLock;
    try {
      lock = await takeLock(store, spec, jobId, controller.signal);
    } catch (error) {
      stopWatching();
      ownJobs.delete(jobId);
      spec.signal?.removeEventListener('abort', abort);
      throw error;
    }
    lock.lost?.addEventListener('abort', () => controller.abort(lock.lost?.reason), { once: true });
    const roots = spec.maintenanceRoots ?? [spec.root];
    try {
      if (!(await store.getJob(jobId))) await store.createJob({ ...jobFields(spec, jobId), state: 'running' });
      await store.markRunning(jobId);
      const jobLog = new JobLog(jobId, spec.description);
      jobLog.start(spec.trigger);
      spec.onStart?.(jobId);
      const log = (line: string) => writes.add((s) => s.appendLog(jobId, line));
      const finish = async (...args: Parameters<StateStore['finishJob']>) => {
        await writes.settled();
        await store.finishJob(...args);
      };
      if (lock.tookOver) {
        notice(lock.tookOver);
        log(lock.tookOver);
      }
      const startedAt = new Date().toISOString();
      const done = async (outcome: Omit<JobOutcome<T>, 'jobId' | 'startedAt' | 'finishedAt'>) => {
        await spec.onDone?.({ ...outcome, jobId, startedAt, finishedAt: new Date().toISOString() }).catch((error: unknown) => notice(`notification failed: ${String(error)}`));
      };
      const failBeforeWork = async (error: Error) => {
        log(`failed: ${error.message}`);
        await finish(jobId, 'failed', { error: error.message });
        jobLog.end('failed', { error: error.message });
        await done({ state: 'failed', error: error.message });
        throw error;
      };
      // Recovery first: a dead rollback's maintenance flag stays on until the shop is whole again.
      // A job without recovery (one that only reads) leaves the flags too: a dead rollback's flag must stay.
      const recovered = spec.recover ? [...(await spec.recover().catch(failBeforeWork)), ...(await clearStaleFlagsOnAll(roots))] : [];
      for (const line of recovered) {
        notice(line);
        log(line);
      }
      log(`started: ${spec.description}`);
      // With several roots, one may refuse (an unmounted share): the job then fails before any work.
      const lease = spec.maintenance ? await enterMaintenanceOnAll(roots, jobId).catch(failBeforeWork) : undefined;
      if (lease?.wasOn) {
        const line = 'maintenance mode was already on; it stays on after the job';
        notice(line);
        log(line);
      } else if (lease) log('maintenance mode on');
      try {
        controller.signal.throwIfAborted();
        const result = await spec.work({ jobId, signal: controller.signal, onProgress: progressTracker(writes, jobId, jobLog, spec.onProgress), log });
        const { bytes, ...summary } = spec.summarize?.(result) ?? {};
        log(`succeeded${summary.file ? `: ${summary.file}` : ''}`);
        await finish(jobId, 'succeeded', summary);
        jobLog.end('succeeded', { bytes, file: summary.file });
        await done({ state: 'succeeded', result });
        return { jobId, result };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const cancelled = controller.signal.aborted;
        log(cancelled ? `cancelled: ${message}` : `failed: ${message}`);
        await finish(jobId, cancelled ? 'cancelled' : 'failed', { error: message });
        jobLog.end(cancelled ? 'cancelled' : 'failed', { error: message });
        await done({ state: cancelled ? 'cancelled' : 'failed', error: message });
        throw error;
      } finally {
        if (lease && !lease.wasOn) {
          await lease.release();
          log('maintenance mode off');
          await writes.settled();
        }
      }
    } finally {
      stopWatching();
      ownJobs.delete(jobId);
      spec.signal?.removeEventListener('abort', abort);
      await lock.release();
    }
  } finally {
    await writes.settled();
    await store.close();
  }
}
