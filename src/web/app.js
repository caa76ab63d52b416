// The admin page: sign-in and first-run setup, the Backups grid with its create, rollback and delete
// dialogs, live job progress and cancel (server-sent events) also for jobs started elsewhere (the
// console, the schedule: live-jobs.js), and for admins the audit log, users and
// roles, and settings. Everything it does goes through the documented JSON API (api/openapi.json).
import { api, ApiError, el, setCsrfToken } from './api.js';
import { createGrid } from './grid.js';
import { createJobWatcher } from './jobs.js';
import { followOtherJobs } from './live-jobs.js';
import { createSettingsView } from './settings.js';
import { createUsersView } from './users.js';

const $ = (id) => document.getElementById(id);
let user = null;

const TITLES = { system: 'System Backup', media: 'Database and Media Backup', db: 'Database Backup' };

function show(view) {
  for (const section of document.querySelectorAll('main > section')) section.hidden = section.id !== `view-${view}`;
  for (const tab of document.querySelectorAll('.tab')) {
    if (tab.dataset.view === view) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
  }
  if (view === 'backups') refresh();
  if (view === 'audit') loadAudit();
  if (view === 'users') usersView.load().catch(failed);
  if (view === 'settings') settingsView.load().catch(failed);
}

function signedIn(session) {
  user = session.user;
  setCsrfToken(session.csrfToken);
  $('nav').hidden = false;
  $('whoami').hidden = false;
  $('whoami').textContent = `${user.username} (${user.role})`;
  $('signout').hidden = false;
  for (const tab of document.querySelectorAll('[data-admin]')) tab.hidden = !user.resources.includes('admin');
  show('backups');
  watchRunningJobs();
}

function signedOut() {
  user = null;
  otherJobs.stop();
  setCsrfToken('');
  $('nav').hidden = true;
  $('whoami').hidden = true;
  $('signout').hidden = true;
  show('signin');
  $('signin-username').focus();
}

const message = (error) => (error instanceof ApiError ? error.message : String(error));

// ---- Backups grid
const grid = createGrid({
  table: $('grid'),
  typeFilter: $('filter-type'),
  nameFilter: $('filter-name'),
  prev: $('page-prev'),
  next: $('page-next'),
  info: $('page-info'),
  deleteButton: $('delete-selected'),
  canRollback: () => Boolean(user?.resources.includes('rollback')),
  onRollback: openRollback,
  // A rollback stopped half-way is a rollback decision: only roles that may roll back may cancel one.
  canCancel: (job) => Boolean(user?.resources.includes(job.kind === 'rollback' ? 'rollback' : 'backup')),
  onCancel: (job) => jobWatcher.cancel(job),
  onSelectionChange: (n) => ($('delete-selected').textContent = n ? `Delete (${n})` : 'Delete'),
});

async function refresh() {
  if (!user) return;
  try {
    const { backups, warnings } = await api('GET', 'api/backups');
    grid.setRows(backups);
    $('backups-warning').textContent = (warnings ?? []).join(' ');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) signedOut();
  }
}

// ---- Live jobs, as rows of the grid
const jobWatcher = createJobWatcher({
  grid,
  announce: (text) => ($('job-announce').textContent = text),
  showError: (text) => ($('jobs-error').textContent = text),
  onEnded: () => refresh(),
});
const watchJob = (job) => jobWatcher.watch(job);
// Jobs started elsewhere (the console, the schedule, another page) show up live too.
const otherJobs = followOtherJobs({ watch: watchJob, onEnded: () => refresh(), isShown: () => Boolean(user) && !$('view-backups').hidden });
const watchRunningJobs = () => otherJobs.start();

// ---- Create dialog
let createType = 'db';
for (const button of document.querySelectorAll('[data-create]')) {
  button.addEventListener('click', () => {
    createType = button.dataset.create;
    $('create-title').textContent = TITLES[createType];
    $('create-media-row').hidden = createType !== 'system';
    $('create-media').checked = true;
    $('create-name').value = '';
    $('create-maintenance').checked = false;
    $('create-error').textContent = '';
    $('create-dialog').showModal();
  });
}

$('create-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const { job } = await api('POST', 'api/backups', {
      type: createType,
      name: $('create-name').value.trim(),
      maintenance: $('create-maintenance').checked,
      excludeMedia: createType === 'system' && !$('create-media').checked,
    });
    $('create-dialog').close();
    watchJob(job);
  } catch (error) {
    $('create-error').textContent = message(error);
  }
});

// ---- Rollback dialog
let rollbackRow = null;
function openRollback(row) {
  rollbackRow = row;
  const what = row.type === 'db' ? 'the whole database' : row.type === 'media' ? 'the database and the media folder' : row.type === 'code' ? 'the code (not the media folder)' : 'the database and the shop files';
  $('rollback-title').textContent = `Roll back to ${row.name || row.file}`;
  $('rollback-what').textContent = `This replaces ${what} with the backup of ${new Date(row.time * 1000).toLocaleString()} (${row.file}).`;
  $('rollback-password').value = '';
  $('rollback-error').textContent = '';
  $('rollback-dialog').showModal();
}

$('rollback-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const { job } = await api('POST', `api/backups/${encodeURIComponent(rollbackRow.id)}/rollback`, { password: $('rollback-password').value, maintenance: $('rollback-maintenance').checked });
    $('rollback-dialog').close();
    watchJob(job);
  } catch (error) {
    $('rollback-error').textContent = message(error);
  }
});

// ---- Delete
$('delete-selected').addEventListener('click', () => {
  const rows = grid.selected();
  const places = rows.some((r) => r.locations?.includes('s3')) ? 'the server and off-site storage' : 'the server';
  $('delete-what').textContent = `Delete ${rows.length} backup${rows.length === 1 ? '' : 's'}? The archive files will be removed from ${places}: ${rows.map((r) => r.file).join(', ')}.`;
  $('delete-dialog').showModal();
});

$('delete-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('delete-dialog').close();
  for (const row of grid.selected()) await api('DELETE', `api/backups/${encodeURIComponent(row.id)}`).catch((error) => alert(message(error)));
  grid.clearSelection();
  refresh();
});

for (const button of document.querySelectorAll('[data-close]')) button.addEventListener('click', () => button.closest('dialog').close());

// ---- Audit log, users and roles, settings
async function loadAudit() {
  const { entries } = await api('GET', 'api/audit');
  $('audit').tBodies[0].replaceChildren(...entries.map((e) =>
    el('tr', {}, el('td', {}, new Date(e.at).toLocaleString()), el('td', {}, e.username || '—'), el('td', {}, e.action), el('td', {}, e.backup || '—'),
      el('td', {}, e.address || '—'), el('td', {}, el('span', { class: `badge ${e.success ? 'ok' : 'bad'}` }, e.success ? 'success' : 'failed')), el('td', {}, e.detail || ''))));
}

const usersView = createUsersView({ currentUser: () => user });
const settingsView = createSettingsView();

/** A view that cannot load: signed out (401) goes back to sign-in; anything else is shown. */
function failed(error) {
  if (error instanceof ApiError && error.status === 401) signedOut();
  else alert(message(error));
}

// ---- Sign-in, setup, sign-out
$('signin-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    signedIn(await api('POST', 'api/session', { username: $('signin-username').value, password: $('signin-password').value }));
    $('signin-password').value = '';
    $('signin-error').textContent = '';
  } catch (error) {
    $('signin-error').textContent = error instanceof ApiError && error.status === 401 ? 'Wrong username or password.' : message(error);
  }
});

$('setup-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const token = new URLSearchParams(location.hash.slice(1)).get('setup');
  const username = $('setup-username').value;
  const password = $('setup-password').value;
  try {
    await api('POST', 'api/setup', { token, username, password });
    history.replaceState(null, '', location.pathname);
    signedIn(await api('POST', 'api/session', { username, password }));
  } catch (error) {
    $('setup-error').textContent = message(error);
  }
});

$('signout').addEventListener('click', async () => {
  await api('DELETE', 'api/session').catch(() => undefined);
  signedOut();
});

for (const tab of document.querySelectorAll('.tab')) tab.addEventListener('click', () => show(tab.dataset.view));

(async () => {
  try {
    signedIn(await api('GET', 'api/session'));
  } catch {
    const setup = new URLSearchParams(location.hash.slice(1)).get('setup');
    if (setup && (await api('GET', 'api/setup')).needed) show('setup');
    else signedOut();
  }
})();
