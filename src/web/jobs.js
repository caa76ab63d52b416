// Live jobs for the Backups grid: each queued or running job is followed over its server-sent event
// stream and shown as a grid row. A finished job's row gives way to its backup's row; a failed or
// cancelled one stays a moment with its outcome. Cancel asks the server to stop the job.
import { api, ApiError } from './api.js';
import { jobTitle } from './labels.js';

/** How long an ended job's row stays with its outcome; a finished backup's gives way to its backup's row at once. */
const SHOW_ENDED_MS = 15000;
const showEndedMs = (job) => (job.kind === 'backup' && job.state === 'succeeded' ? 0 : SHOW_ENDED_MS);

export function createJobWatcher({ grid, announce, showError, onEnded }) {
  const jobs = new Map();

  function publish() {
    grid.setJobs([...jobs.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0)));
  }

  function put(job) {
    const before = jobs.get(job.id);
    const running = job.state === 'running' || job.state === 'queued';
    jobs.set(job.id, { ...job, cancelling: Boolean(before?.cancelling && running) });
    publish();
  }

  async function ended(id, state) {
    const job = { ...jobs.get(id), state, cancelling: false };
    jobs.set(id, job);
    publish();
    announce(`${jobTitle(job)}: ${state}`);
    await onEnded(job);
    setTimeout(() => {
      jobs.delete(id);
      publish();
    }, showEndedMs(job));
  }

  function watch(job) {
    if (jobs.has(job.id)) return;
    put(job);
    announce(`${jobTitle(job)}: ${job.state}`);
    const events = new EventSource(`api/jobs/${encodeURIComponent(job.id)}/events`);
    events.addEventListener('job', (event) => put(JSON.parse(event.data)));
    events.addEventListener('end', (event) => {
      events.close();
      ended(job.id, JSON.parse(event.data).state);
    });
    // The stream broke (server restart, network): ask once more for the job's state a little later.
    events.onerror = () => {
      events.close();
      setTimeout(async () => {
        const fresh = await api('GET', `api/jobs/${encodeURIComponent(job.id)}`).then((r) => r.job, () => undefined);
        jobs.delete(job.id);
        if (fresh && (fresh.state === 'running' || fresh.state === 'queued')) watch(fresh);
        else publish();
      }, 2000);
    };
  }

  async function cancel(job) {
    if (!jobs.has(job.id)) return;
    jobs.set(job.id, { ...jobs.get(job.id), cancelling: true });
    publish();
    announce(`Cancelling ${jobTitle(job)}…`);
    try {
      await api('POST', `api/jobs/${encodeURIComponent(job.id)}/cancel`);
      showError('');
    } catch (error) {
      if (jobs.has(job.id)) jobs.set(job.id, { ...jobs.get(job.id), cancelling: false });
      publish();
      showError(`Could not cancel ${jobTitle(job)}: ${error instanceof ApiError ? error.message : String(error)}`);
    }
  }

  return { watch, cancel };
}
