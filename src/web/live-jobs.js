// Jobs the page did not start itself (a `lifeboat backup` on the console, the schedule at 02:30, another
// admin's page) are found by asking for the recent jobs every few seconds while the page is open: a
// running one becomes a live row (the job watcher follows it), and one that ended since the last look
// refreshes the grid, so its backup shows without a reload. The page alone knew of its own jobs before.
import { api } from './api.js';

const POLL_MS = 3000;
const running = (job) => job.state === 'running' || job.state === 'queued';

export function followOtherJobs({ watch, onEnded, isShown }) {
  let timer = null;
  let lastEnded = null;

  async function look() {
    if (!isShown() || document.hidden) return;
    let jobs;
    try {
      ({ jobs } = await api('GET', 'api/jobs'));
    } catch {
      return; // signed out or the server restarting: the next look tries again
    }
    for (const job of jobs) if (running(job)) watch(job);
    const newest = jobs.map((job) => job.endedAt).filter(Boolean).sort().at(-1) ?? '';
    // The first look only notes where the history stands: the grid was just loaded.
    if (lastEnded !== null && newest > lastEnded) onEnded();
    lastEnded = newest;
  }

  return {
    start() {
      if (timer) return;
      lastEnded = null;
      look();
      timer = window.setInterval(look, POLL_MS);
    },
    stop() {
      window.clearInterval(timer);
      timer = null;
    },
  };
}
