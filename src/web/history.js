// The Job history view: every job Lifeboat keeps (GET /api/jobs), newest first, 20 to a page, narrowed by
// kind, outcome and what started it; each job opens to its log, the lines the server kept while it ran
// (GET /api/jobs/:id), fetched when opened. A list, not a table: it reads the same on a phone.
import { api, el } from './api.js';
import { humanMessage } from './errors.js';
import { jobTitle } from './labels.js';
import { jobItem } from './recent-jobs.js';

const $ = (id) => document.getElementById(id);

/** The job's log behind a disclosure; its lines are fetched the first time it opens. */
function logDisclosure(job) {
  const lines = el('pre', { class: 'job-log', tabindex: '0', 'aria-label': `Log of ${jobTitle(job)}` }, 'Loading…');
  const details = el('details', { class: 'job-log-box' }, el('summary', {}, 'Log', el('span', { class: 'sr-only' }, ` of ${jobTitle(job)}`)), lines);
  let loaded = false;
  details.addEventListener('toggle', async () => {
    if (!details.open || loaded) return;
    loaded = true;
    try {
      const { job: full } = await api('GET', `api/jobs/${encodeURIComponent(job.id)}`);
      lines.textContent = full.log.length ? full.log.join('\n') : 'This job logged nothing.';
    } catch (error) {
      loaded = false;
      lines.textContent = `Could not load the log: ${humanMessage(error)}`;
    }
  });
  return details;
}

export function createHistoryView() {
  const filters = { kind: $('history-kind'), state: $('history-state'), trigger: $('history-trigger') };
  let page = 1;

  async function load() {
    const query = new URLSearchParams({ page: String(page) });
    for (const [key, select] of Object.entries(filters)) if (select.value) query.set(key, select.value);
    const { jobs, total, pages } = await api('GET', `api/jobs?${query}`);
    if (page > pages) {
      page = pages;
      return load();
    }
    $('history-list').replaceChildren(...jobs.map((job) => jobItem(job, logDisclosure(job))));
    $('history-empty').hidden = jobs.length > 0;
    $('history-info').textContent = `${total} job${total === 1 ? '' : 's'} · page ${page} of ${pages}`;
    $('history-prev').disabled = page <= 1;
    $('history-next').disabled = page >= pages;
  }

  const failed = (error) => ($('history-error').textContent = humanMessage(error));
  const reload = () => {
    $('history-error').textContent = '';
    load().catch(failed);
  };
  for (const select of Object.values(filters)) select.addEventListener('change', () => ((page = 1), reload()));
  $('history-prev').addEventListener('click', () => ((page = Math.max(1, page - 1)), reload()));
  $('history-next').addEventListener('click', () => ((page += 1), reload()));

  return { load };
}
