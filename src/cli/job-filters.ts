// `lifeboat jobs --kind K --state S --trigger T --user U --limit N`: the filters of the web admin's job
// history (GET /api/jobs), checked as the API checks them: a value it does not know is refused in one
// line naming the ones it does.
import { JOB_KINDS, JOB_STATES, JOB_TRIGGERS } from '../state/job-words.js';
import type { JobQuery } from '../state/state.js';
import { STORED_LIMITS } from '../shared/text-limits.js';
import { UsageError } from '../shared/errors.js';

export interface JobFilterFlags {
  kind?: string;
  state?: string;
  trigger?: string;
  user?: string;
  limit: string;
}

/** The most jobs one listing prints. */
export const MAX_LISTED_JOBS = 1000;

function oneOf(flag: string, value: string | undefined, allowed: readonly string[]): string | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, not "${value}"`);
  return value;
}

function listLimit(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_LISTED_JOBS)) throw new UsageError(`--limit must be a whole number from 1 to ${MAX_LISTED_JOBS}, not "${value}"`);
  return n;
}

function userName(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value === '' || value.length > STORED_LIMITS.jobUser) {
    throw new UsageError(`--user must be who started the jobs as "lifeboat jobs" shows it (a username, schedule, cli:www-data, or - for jobs that kept none), of 1 to ${STORED_LIMITS.jobUser} characters`);
  }
  return value;
}

/** The flags as a query of the job history, newest first, with each job's log. */
export function jobQuery(flags: JobFilterFlags): JobQuery {
  return {
    kind: oneOf('kind', flags.kind, JOB_KINDS),
    state: oneOf('state', flags.state, JOB_STATES),
    trigger: oneOf('trigger', flags.trigger, JOB_TRIGGERS),
    user: userName(flags.user),
    limit: listLimit(flags.limit),
    withLog: true,
  };
}
