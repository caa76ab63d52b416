// The Job history view: every job Lifeboat keeps (GET /api/jobs), newest first, 20 to a page, narrowed by
// kind, outcome, what started it and who (the users the server names); each job opens to its log, the lines the server kept while it ran
// (GET /api/jobs/:id), fetched when opened. A list, not a table: it reads the same on a phone.
import { api, el } from './api.js';
import { humanMessage } from './errors.js';
import { jobTitle } from './labels.js';
import { jobItem, NO_USER } from './recent-jobs.js';

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

/** The User filter offers everyone who started a kept job; the chosen one stays chosen. */
function offerUsers(select, users) {
  const chosen = select.value;
  const names = chosen && !users.includes(chosen) ? [...users, chosen] : users;
  select.replaceChildren(el('option', { value: '' }, 'Any user'), ...names.map((name) => el('option', { value: name }, name === NO_USER ? `${NO_USER} (not recorded)` : name)));
  select.value = chosen;
}

export function createHistoryView() {
  const filters = { kind: $('history-kind'), state: $('history-state'), trigger: $('history-trigger'), user: $('history-user') };
  let page = 1;
  // Two filters changed in quick succession send two requests: only the answer to the last one is shown.
  let latest = 0;

  async function load() {
    const query = new URLSearchParams({ page: String(page) });
    for (const [key, select] of Object.entries(filters)) if (select.value) query.set(key, select.value);
    const asked = ++latest;
    const { jobs, total, pages, users } = await api('GET', `api/jobs?${query}`);
    if (asked !== latest) return;
    offerUsers(filters.user, users ?? []);
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
