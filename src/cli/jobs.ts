import type { Command } from 'commander';
import type { JobRecord } from '../state/state.js';
import { OperationError, UsageError } from '../shared/errors.js';
import { humanBytes, humanDuration, localTime, renderTable } from './format.js';
import { noStateHere, openExistingState, settings, stdio } from './context.js';

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
    .option('--limit <n>', 'how many jobs', '20')
    .option('--json', 'print JSON')
    .action(async (id: string | undefined, flags: { limit: string; json?: boolean }) => {
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
          else {
            const where = shared && job.host ? ` on ${job.host}` : '';
            stdio.out(`job ${job.id}: ${job.description} (${job.trigger}${where}) ${job.state.toUpperCase()}${job.error ? `: ${job.error}` : ''}`);
            if (job.name) stdio.out(`  backup name: ${job.name}`);
            for (const line of job.log) stdio.out(`  ${line}`);
          }
          return;
        }
        const jobs = await store.listJobs(Number(flags.limit) || 20);
        if (flags.json) {
          stdio.out(JSON.stringify(jobs, null, 2));
          return;
        }
        if (jobs.length === 0) {
          stdio.out('no jobs yet');
          return;
        }
        // Local time, as `list` shows a backup's (the --json form keeps the ISO UTC times).
        // NAME: the backup's name (the one made, or the one rolled back to or verified), from the job's own field.
        const rows = jobs.map((j) => [j.id, localTime(Date.parse(j.startedAt ?? j.createdAt) / 1000), j.state, j.description, j.name ?? '', j.trigger, progressText(j) || j.error || j.file || '']);
        if (!shared) stdio.out(renderTable(['JOB', 'STARTED', 'STATE', 'WHAT', 'NAME', 'BY', 'PROGRESS / RESULT'], rows));
        else stdio.out(renderTable(['JOB', 'HOST', 'STARTED', 'STATE', 'WHAT', 'NAME', 'BY', 'PROGRESS / RESULT'], rows.map((row, i) => [row[0], jobs[i].host ?? '', ...row.slice(1)])));
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
