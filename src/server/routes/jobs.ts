// /api/jobs: the job history (a page of it, narrowed by kind, outcome, what and who started it), one job with its log, a live progress stream (server-sent events, read from the state
// store twice a second until the job ends), and cancelling a queued or running job (as `lifeboat cancel`).
import type { FastifyInstance } from 'fastify';
import { JOB_KINDS, JOB_STATES, JOB_TRIGGERS, StateStore, type JobQuery, type JobRecord } from '../../state/state.js';
import { STORED_LIMITS } from '../../shared/text-limits.js';
import { requestCancel, waitForJobEnd } from '../../core/jobs/cancel.js';
import { HttpError } from '../auth.js';
import type { ServerContext } from '../context.js';

const POLL_MS = 500;
/** How long a cancel request waits for the job to clean up before answering 202 (still stopping). */
const CANCEL_WAIT_MS = 30_000;

/** The job without its process identity (the pid stays on the server; `host` says which server runs it). */
function jobJson(job: JobRecord): Omit<JobRecord, 'process'> {
  const { process: _process, ...rest } = job;
  return rest;
}

const MAX_PAGE_SIZE = 100;

/** A positive whole number from the query string, or a 400 naming the parameter. */
function wholeNumber(name: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new HttpError(400, `${name} must be a whole number from 1 to ${max}, not "${String(value)}"`);
  return n;
}

/** One of `allowed`, or a 400 that lists them. */
function oneOf(name: string, value: unknown, allowed: readonly string[]): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !allowed.includes(value)) throw new HttpError(400, `${name} must be one of ${allowed.join(', ')}, not "${String(value)}"`);
  return value;
}

/** Who started the jobs to show (`-`: jobs of earlier versions, which kept nobody), or a 400. */
function userFilter(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || value.length > STORED_LIMITS.jobUser) throw new HttpError(400, `user must be one name of at most ${STORED_LIMITS.jobUser} characters, as the jobs show it`);
  return value;
}

/** ?kind=&state=&trigger=&user=&page=&limit= as a query of the history (page 1, 20 jobs, by default). */
function historyQuery(query: Record<string, unknown>): JobQuery & { page: number; limit: number } {
  const limit = wholeNumber('limit', query.limit, 20, MAX_PAGE_SIZE);
  const page = wholeNumber('page', query.page, 1, 1_000_000);
  return {
    kind: oneOf('kind', query.kind, JOB_KINDS),
    state: oneOf('state', query.state, JOB_STATES),
    trigger: oneOf('trigger', query.trigger, JOB_TRIGGERS),
    user: userFilter(query.user),
    page,
    limit,
    offset: (page - 1) * limit,
  };
}

export function registerJobRoutes(app: FastifyInstance, context: ServerContext): void {
  const { settings } = context;
  const find = async (id: string): Promise<JobRecord> => {
    const job = await StateStore.with(settings, (store) => store.getJob(id));
    if (!job) throw new HttpError(404, `no job "${id}"`);
    return job;
  };

  app.get('/api/jobs', async (request) => {
    await context.auth(request, 'backup');
    const query = historyQuery(request.query as Record<string, unknown>);
    // Without their logs: a page of 100 jobs of 500 lines each is not sent at every look (GET one job for its log).
    // `users`: everyone who started a kept job, for the page's filter to offer.
    const { jobs, total, users } = await StateStore.with(settings, async (store) => ({ ...(await store.findJobs(query)), users: await store.jobUsers() }));
    return { jobs: jobs.map(jobJson), total, page: query.page, pages: Math.max(1, Math.ceil(total / query.limit)), users };
  });

  app.get('/api/jobs/:id', async (request) => {
    await context.auth(request, 'backup');
    return { job: jobJson(await find((request.params as { id: string }).id)) };
  });

  app.post('/api/jobs/:id/cancel', async (request, reply) => {
    const session = await context.auth(request, 'backup');
    const job = await find((request.params as { id: string }).id);
    // Stopping a rollback half-way is a rollback decision: it needs the rollback resource.
    if (job.kind === 'rollback' && !session.user.resources.includes('rollback')) throw new HttpError(403, `your role "${session.user.role}" lacks the rollback resource`);
    if (job.kind === 'restore' && !session.user.resources.includes('admin')) throw new HttpError(403, `your role "${session.user.role}" lacks the admin resource`);
    if (job.state !== 'running' && job.state !== 'queued') throw new HttpError(409, `job ${job.id} is not running (it ${job.state})`);
    const store = StateStore.open(settings);
    try {
      let outcome;
      try {
        outcome = await requestCancel(store, job.id, `${session.user.username} (web)`);
      } catch (error) {
        await context.audit(request, session, 'cancel', false, job.backupId, `${job.id} ${job.description}: ${(error as Error).message}`);
        throw error;
      }
      const ended = outcome.status === 'reaped' ? await store.getJob(job.id) : await waitForJobEnd(store, job.id, CANCEL_WAIT_MS);
      await context.audit(request, session, 'cancel', true, job.backupId, `${job.id} ${job.description}${ended ? `: ${ended.state}` : ': stopping'}`);
      return reply.code(ended ? 200 : 202).send({ job: jobJson(ended ?? ((await store.getJob(job.id)) as JobRecord)) });
    } finally {
      await store.close();
    }
  });

  app.get('/api/jobs/:id/events', async (request, reply) => {
    await context.auth(request, 'backup');
    const id = (request.params as { id: string }).id;
    await find(id);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    let last = '';
    let closed = false;
    raw.on('close', () => (closed = true)); // the client went away (or the stream ended)
    while (!closed) {
      const job = await StateStore.with(settings, (store) => store.getJob(id));
      if (!job) break;
      const data = JSON.stringify(jobJson(job));
      if (data !== last) {
        raw.write(`event: job\ndata: ${data}\n\n`);
        last = data;
      }
      if (job.state !== 'queued' && job.state !== 'running') {
        raw.write(`event: end\ndata: ${JSON.stringify({ state: job.state })}\n\n`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    raw.end();
  });
}
