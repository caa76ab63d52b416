// The Backups view's "Recent jobs": the last jobs that ended, whoever started them (this page, the
// command line, the schedule), with their outcome, when, how long and why a job failed. A finished
// job's row leaves the grid; here it stays, as `lifeboat jobs` keeps it.
import { api, el } from './api.js';
import { humanMessage } from './errors.js';
import { humanDuration, outcomeBadge } from './job-row.js';
import { jobTitle, shortTime } from './labels.js';

const SHOWN = 6;
const TRIGGERS = { api: 'from this page', cli: 'from the command line', schedule: 'by the schedule', guard: 'by lifeboat guard', demo: 'by lifeboat demo' };
/** Who started a job of an earlier version, which kept nobody (the API's `user=-`). */
export const NO_USER = '-';

/** An ended or running job as an item of a list: outcome, what, when, how long, how and by whom, why it failed; `more` goes below. */
export function jobItem(job, more = null) {
  const seconds = (Date.parse(job.endedAt) - Date.parse(job.startedAt ?? job.createdAt)) / 1000;
  const took = Number.isNaN(seconds) || !job.endedAt ? '' : ` · took ${seconds < 1 ? 'under 1 s' : humanDuration(seconds)}`;
  return el('li', { class: `recent-job ${job.state}` },
    outcomeBadge(job) ?? el('span', { class: 'badge' }, job.state === 'queued' ? 'Queued' : 'Running'),
    el('div', {},
      el('strong', {}, jobTitle(job)),
      el('div', { class: 'muted small' }, el('time', { datetime: job.endedAt ?? job.createdAt }, shortTime(job.endedAt ?? job.createdAt)), `${took} · ${TRIGGERS[job.trigger] ?? job.trigger} · user ${job.user ?? NO_USER}`),
      job.error ? el('div', { class: job.state === 'failed' ? 'job-error' : 'muted small' }, humanMessage(job.error)) : null,
      more,
    ),
  );
}

export function createRecentJobs({ list, empty }) {
  async function load() {
    const { jobs } = await api('GET', 'api/jobs');
    const ended = jobs.filter((job) => job.state !== 'running' && job.state !== 'queued').slice(0, SHOWN);
    list.replaceChildren(...ended.map((job) => jobItem(job)));
    empty.hidden = ended.length > 0;
  }
  return { load };
}
