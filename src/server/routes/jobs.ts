// /api/jobs: recent jobs, one job, and a live progress stream (server-sent events, read from the
// state store twice a second until the job ends).
import type { FastifyInstance } from 'fastify';
import { StateStore, type JobRecord } from '../../catalog/state.js';
import { HttpError } from '../auth.js';
import type { ServerContext } from '../context.js';

const POLL_MS = 500;

function withStore<T>(home: string, use: (store: StateStore) => T): T {
  const store = StateStore.open(home);
  try {
    return use(store);
  } finally {
    store.close();
  }
}

/** The job without its process identity (pid and host stay on the server). */
function jobJson(job: JobRecord): Omit<JobRecord, 'process'> {
  const { process: _process, ...rest } = job;
  return rest;
}

export function registerJobRoutes(app: FastifyInstance, context: ServerContext): void {
  const home = context.settings.home;
  const find = (id: string): JobRecord => {
    const job = withStore(home, (store) => store.getJob(id));
    if (!job) throw new HttpError(404, `no job "${id}"`);
    return job;
  };

  app.get('/api/jobs', async (request) => {
    context.auth(request, 'backup');
    return { jobs: withStore(home, (store) => store.listJobs(20)).map(jobJson) };
  });

  app.get('/api/jobs/:id', async (request) => {
    context.auth(request, 'backup');
    return { job: jobJson(find((request.params as { id: string }).id)) };
  });

  app.get('/api/jobs/:id/events', async (request, reply) => {
    context.auth(request, 'backup');
    const id = (request.params as { id: string }).id;
    find(id);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    let last = '';
    let closed = false;
    raw.on('close', () => (closed = true)); // the client went away (or the stream ended)
    while (!closed) {
      const job = withStore(home, (store) => store.getJob(id));
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
