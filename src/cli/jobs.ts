import type { Command } from 'commander';
import type { JobRecord } from '../state/state.js';
import { NO_USER } from '../state/job-words.js';
import { OperationError, UsageError } from '../shared/errors.js';
import { humanBytes, humanDuration, localTime, renderTable } from './format.js';
import { noStateHere, openExistingState, settings, stdio } from './context.js';
import { jobQuery, MAX_LISTED_JOBS, type JobFilterFlags } from './job-filters.js';

/** An ISO time of the state in local time, as `list` shows a backup's. */
const localIso = (iso: string) => localTime(Date.parse(iso) / 1000);

/** A log line's ISO stamp (log.ts writes one before each line) in local time. */
const localLogLine = (line: string) => line.replace(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) /, (_stamp, iso: string) => `${localIso(iso)} `);

/** One job with its times and log, the times in local time. */
function printJob(job: JobRecord, shared: boolean): void {
  const where = shared && job.host ? ` on ${job.host}` : '';
  stdio.out(`job ${job.id}: ${job.description} (${job.trigger}, by ${job.user ?? NO_USER}${where}) ${job.state.toUpperCase()}${job.error ? `: ${job.error}` : ''}`);
  if (job.name) stdio.out(`  backup name: ${job.name}`);
  const times = [`created ${localIso(job.createdAt)}`, job.startedAt ? `started ${localIso(job.startedAt)}` : '', job.endedAt ? `ended ${localIso(job.endedAt)}` : ''];
  stdio.out(`  ${times.filter(Boolean).join(', ')}`);
  for (const line of job.log) stdio.out(`  ${localLogLine(line)}`);
}

function progressText(job: JobRecord): string {
  const p = job.progress;
  if (!p || job.state !== 'running') return '';
  const parts = [p.phase, humanBytes(p.bytes)];
  if (p.totalBytes) parts.push(`${Math.round((100 * p.bytes) / p.totalBytes)}%`);
  if (p.rate) parts.push(`${humanBytes(p.rate)}/s`);
  if (p.eta !== undefined) parts.push(`ETA ${humanDuration(p.eta)}`);
  return parts.join(' ');
}

export function registerJobs(program: Command): void {
  program
    .command('jobs')
    .description('list recent backup, rollback and verify jobs, newest first (or one job with its log)')
    .argument('[id]', 'show one job with its log')
    .option('--kind <kind>', 'only jobs of this kind: backup, rollback, verify, drill, restore')
    .option('--state <state>', 'only jobs in this state: queued, running, succeeded, failed, cancelled')
    .option('--trigger <trigger>', 'only jobs started this way: api, cli, schedule, guard, demo')
    .option('--user <user>', 'only jobs started by this user: a username of the web admin, schedule, cli:<OS user>, or - for jobs that kept none')
    .option('--limit <n>', `how many jobs (at most ${MAX_LISTED_JOBS})`, '20')
    .option('--json', 'print JSON')
    .action(async (id: string | undefined, flags: JobFilterFlags & { json?: boolean }) => {
      const query = jobQuery(flags); // a wrong filter is refused before the state is opened
      const config = settings();
      // With a state shared by several servers, say which host runs each job.
      const shared = config.stateTarget !== undefined;
      const store = await openExistingState(config);
      if (!store) {
        if (id) throw new UsageError(`no job "${id}": ${noStateHere(config)}`);
        stdio.out(flags.json ? '[]' : `no jobs: ${noStateHere(config)}`);
        return;
      }
      const { reapDeadJobs } = await import('../core/jobs/jobs.js');
      try {
        await reapDeadJobs(store);
        if (id) {
          const job = await store.getJob(id);
          if (!job) throw new UsageError(`no job "${id}"; run "lifeboat jobs" to see the ids`);
          if (flags.json) stdio.out(JSON.stringify(job, null, 2));
          else printJob(job, shared);
          return;
        }
        const { jobs } = await store.findJobs(query);
        if (flags.json) {
          stdio.out(JSON.stringify(jobs, null, 2));
          return;
        }
        if (jobs.length === 0) {
          const filtered = query.kind || query.state || query.trigger || query.user;
          stdio.out(filtered ? 'no job matches the filter' : 'no jobs yet');
          return;
        }
        // Local time, as `list` shows a backup's (the --json form keeps the ISO UTC times).
        // NAME: the backup's name (the one made, or the one rolled back to or verified), from the job's own field.
        // BY: what started it; USER: who (jobs of earlier versions kept nobody: "-").
        const rows = jobs.map((j) => [j.id, localIso(j.startedAt ?? j.createdAt), j.state, j.description, j.name ?? '', j.trigger, j.user ?? NO_USER, progressText(j) || j.error || j.file || '']);
        if (!shared) stdio.out(renderTable(['JOB', 'STARTED', 'STATE', 'WHAT', 'NAME', 'BY', 'USER', 'PROGRESS / RESULT'], rows));
        else stdio.out(renderTable(['JOB', 'HOST', 'STARTED', 'STATE', 'WHAT', 'NAME', 'BY', 'USER', 'PROGRESS / RESULT'], rows.map((row, i) => [row[0], jobs[i].host ?? '', ...row.slice(1)])));
      } finally {
        await store.close();
      }
    });

  program
    .command('cancel')
    .description('stop a running job cleanly (nothing half-written remains; maintenance mode is restored)')
    .argument('<job>', 'the job id (see "lifeboat jobs")')
    .action(async (id: string) => {
      const config = settings();
      const store = await openExistingState(config);
      if (!store) throw new UsageError(`no job "${id}": ${noStateHere(config)}`);
      const { requestCancel, waitForJobEnd } = await import('../core/jobs/cancel.js');
      try {
        const request = await requestCancel(store, id, 'lifeboat cancel');
        if (request.status === 'reaped') {
          stdio.out(`job ${id}'s process was already gone; marked failed`);
          return;
        }
        // The job stops at its next safe point, cleans up and records its state: wait for that.
        const ended = await waitForJobEnd(store, id, 60_000);
        if (!ended) throw new OperationError(`job ${id} did not stop within 60 s; it was asked to`);
        stdio.out(`job ${id} ${ended.state}`);
      } finally {
        await store.close();
      }
    });
}
