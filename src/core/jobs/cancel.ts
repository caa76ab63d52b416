// Cancelling a queued or running job, for `lifeboat cancel` and the web API alike. A job of this process
// (the web server's own, or the scheduler's inside it) is aborted directly; a job of another `lifeboat
// serve` is asked through the state (see cancel-watch.ts); a job of any other process is sent SIGTERM,
// which that process turns into the same abort. Either way the job stops at its next safe
// point, removes what it half-wrote, restores maintenance mode and records itself as cancelled. With a
// state shared by several servers, a job of another host can only be stopped there (a pid is per machine).
import type { JobRecord, StateStore } from '../../state/state.js';
import { OperationError, UsageError } from '../../shared/errors.js';
import { abortOwnJob, reapDeadJobs } from './jobs.js';
import { currentProcess, isDead } from '../../shared/process-identity.js';

export type CancelRequest =
  /** The job was asked to stop; wait for it with waitForJobEnd. */
  | { status: 'requested'; how: 'aborted' | 'signalled' | 'asked' }
  /** Its process was gone: the job is now marked failed. */
  | { status: 'reaped' };

/** Asks the job to stop. Throws a UsageError for an unknown or finished job, an OperationError when it cannot be signalled. */
export async function requestCancel(store: StateStore, id: string, by: string): Promise<CancelRequest> {
  const job = await store.getJob(id);
  if (!job) throw new UsageError(`no job "${id}"; run "lifeboat jobs" to see the ids`);
  if (job.state !== 'running' && job.state !== 'queued') throw new UsageError(`job ${id} is not running (it ${job.state})`);
  if (abortOwnJob(id, new Error(`cancelled by ${by}`))) return { status: 'requested', how: 'aborted' };
  if (!job.process) throw new OperationError(`job ${id} has no process recorded; it cannot be signalled`);
  if (job.process.host !== currentProcess().host) {
    throw new OperationError(`job ${id} runs on host "${job.process.host}"; cancel it there (lifeboat cancel ${id} on that host, or its admin page)`);
  }
  if (isDead(job.process)) {
    await reapDeadJobs(store);
    return { status: 'reaped' };
  }
  // A job of `lifeboat serve` (started from its page, API or scheduler): a signal would stop the whole
  // server, so the request goes through the state, which the server watches for its jobs.
  if (job.process.server) {
    await store.requestCancel(id, by);
    return { status: 'requested', how: 'asked' };
  }
  try {
    process.kill(job.process.pid, 'SIGTERM');
  } catch (error) {
    throw new OperationError(`cannot signal pid ${job.process.pid} of job ${id}: ${(error as Error).message}`);
  }
  return { status: 'requested', how: 'signalled' };
}

/** Polls the job until it has ended; undefined when it is still going after `timeoutMs`. */
export async function waitForJobEnd(store: StateStore, id: string, timeoutMs: number): Promise<JobRecord | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await store.getJob(id);
    if (job && job.state !== 'running' && job.state !== 'queued') return job;
    if (Date.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
