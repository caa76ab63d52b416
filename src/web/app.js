// The admin page: sign-in and first-run setup, the Backups grid with its create, rollback, restore-to,
// verify and delete actions, live job progress and cancel (server-sent events) also for jobs started
// elsewhere (the console, the schedule: live-jobs.js), the job history with each job's log (history.js),
// and for admins the audit log, users and roles, and settings. Everything it does goes through the
// documented JSON API (api/openapi.json).
import { api, ApiError, setCsrfToken } from './api.js';
import { createAuditView } from './audit-view.js';
import { createBrowser } from './browse.js';
import { clearFormErrors, humanMessage, showFormError } from './errors.js';
import { createGlance } from './glance.js';
import { createGrid } from './grid.js';
import { createHistoryView } from './history.js';
import { createJobWatcher } from './jobs.js';
import { alteredTables, alteredWords, backupLabel } from './labels.js';
import { followOtherJobs } from './live-jobs.js';
import { namePreview } from './name-rule.js';
import { createRecentJobs } from './recent-jobs.js';
import { createRestoreDialog } from './restore-dialog.js';
import { createSettingsView } from './settings.js';
import { createUsersView } from './users.js';

const $ = (id) => document.getElementById(id);
let user = null;

const TITLES = { system: 'System Backup', media: 'Database and Media Backup', db: 'Database Backup' };

function show(view) {
  $('page-error').textContent = '';
  for (const section of document.querySelectorAll('main > section')) section.hidden = section.id !== `view-${view}`;
  for (const tab of document.querySelectorAll('.tab')) {
    if (tab.dataset.view === view) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
  }
  if (view === 'backups') refresh();
  if (view === 'history') historyView.load().catch(failed);
  if (view === 'audit') auditView.load().catch(failed);
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

// ---- Backups grid
const grid = createGrid({
  table: $('grid'),
  typeFilter: $('filter-type'),
  nameFilter: $('filter-name'),
  prev: $('page-prev'),
  next: $('page-next'),
  info: $('page-info'),
  deleteButton: $('delete-selected'),
  actions: {
    canRollback: () => Boolean(user?.resources.includes('rollback')),
    onRollback: openRollback,
    // A copy restored elsewhere writes into any database the server reaches: admins only.
    canRestore: () => Boolean(user?.resources.includes('admin')),
    onRestore: (row) => restoreDialog.open(row),
    onBrowse: (row) => browser.open(row),
    onVerify: verifyRow,
    onDelete: (row) => openDelete([row]),
  },
  // A rollback stopped half-way is a rollback decision: only roles that may roll back may cancel one.
  canCancel: (job) => Boolean(user?.resources.includes({ rollback: 'rollback', restore: 'admin' }[job.kind] ?? 'backup')),
  onCancel: (job) => jobWatcher.cancel(job),
  onSelectionChange: (n) => ($('delete-selected').textContent = n ? `Delete (${n})` : 'Delete'),
});

const recentJobs = createRecentJobs({ list: $('recent-jobs'), empty: $('recent-empty') });
const glance = createGlance($('glance'));

async function refresh() {
  if (!user) return;
  try {
    const { backups, warnings } = await api('GET', 'api/backups');
    grid.setRows(backups);
    $('backups-warning').textContent = (warnings ?? []).join(' ');
    await Promise.all([recentJobs.load(), glance.load()]);
  } catch (error) {
    failed(error);
  }
}

/** The Backups view's error line (a failed delete or cancel): it stands until the next action there. */
const backupsError = (text) => ($('jobs-error').textContent = text);

// ---- Live jobs, as rows of the grid
const jobWatcher = createJobWatcher({
  grid,
  announce: (text) => ($('job-announce').textContent = text),
  showError: (text) => backupsError(text ? humanMessage(text) : ''),
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
    $('create-name-preview').textContent = namePreview('');
    $('create-maintenance').checked = false;
    clearFormErrors($('create-form'));
    backupsError('');
    $('create-dialog').showModal();
  });
}

// The name as the server will store it, while the user types (the rule is shown above it).
$('create-name').addEventListener('input', () => ($('create-name-preview').textContent = namePreview($('create-name').value)));

$('create-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  clearFormErrors($('create-form'));
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
    showFormError($('create-form'), error, [[/\bname\b/i, 'create-name']]);
  }
});

// ---- Browse inside a backup (its Restore opens the rollback dialog for one table, file or folder)
const browser = createBrowser({ canRestore: () => Boolean(user?.resources.includes('rollback')), onRestore: openRollback });

// ---- Rollback dialog
let rollbackRow = null;
let rollbackPart = {};

/** What a rollback replaces, in words: the whole backup, or one table, file or folder of it (`part`). */
function replacedWords(row, part) {
  if (part.tables) return `the table ${part.tables.join(', ')} of the live database`;
  if (part.paths) return `${part.paths.join(', ')} in the shop (a folder as a whole: files the backup's folder lacks are removed)`;
  return row.type === 'db' ? 'the whole database' : row.type === 'media' ? 'the database and the media folder' : row.type === 'code' ? 'the code (not the media folder)' : 'the database and the shop files';
}

/** `part`: {tables: [name]} or {paths: [path]} to restore just that from the backup; {} for all of it. */
function openRollback(row, part = {}) {
  rollbackRow = row;
  rollbackPart = part;
  const whole = !part.tables && !part.paths;
  $('rollback-title').textContent = whole ? 'Roll back' : 'Restore from the backup';
  $('rollback-ok').textContent = whole ? 'Roll back' : 'Restore';
  $('rollback-what').textContent = `This replaces ${replacedWords(row, part)} with the ${backupLabel(row)}.`;
  $('rollback-what').title = row.file; // the archive, for whoever wants to be sure
  // A stripped or anonymized backup would empty tables or bring fake customers into the live shop: a second question.
  const altered = part.paths ? [] : alteredTables(row).filter((table) => !part.tables || part.tables.includes(table));
  $('rollback-altered').hidden = altered.length === 0;
  $('rollback-altered-ok').checked = false;
  $('rollback-altered-ok').required = altered.length > 0;
  $('rollback-altered-what').textContent = altered.length
    ? `This backup is ${alteredWords(row)}: rolling back to it ${[row.strip ? 'empties' : '', row.anonymized ? 'fills with fake data' : ''].filter(Boolean).join(' or ')} ${altered.length} table${altered.length === 1 ? '' : 's'} of the live shop (${altered.slice(0, 5).join(', ')}${altered.length > 5 ? ', …' : ''}): the real customers and orders there are lost.`
    : '';
  $('rollback-password').value = '';
  // A backup of the whole store before restoring one table or file would be much more than what is replaced.
  $('rollback-safety').checked = whole;
  clearFormErrors($('rollback-form'));
  backupsError('');
  $('rollback-dialog').showModal();
}

$('rollback-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  clearFormErrors($('rollback-form'));
  try {
    const { job } = await api('POST', `api/backups/${encodeURIComponent(rollbackRow.id)}/rollback`, {
      password: $('rollback-password').value,
      maintenance: $('rollback-maintenance').checked,
      allowStripped: $('rollback-altered-ok').checked,
      safetyBackup: $('rollback-safety').checked,
      ...rollbackPart,
    });
    $('rollback-dialog').close();
    browser.close();
    watchJob(job);
  } catch (error) {
    showFormError($('rollback-form'), error, [[/password/i, 'rollback-password']]);
  }
});

// ---- Restore to another place
const restoreDialog = createRestoreDialog({ onStarted: (job) => watchJob(job), beforeOpen: () => backupsError('') });

// ---- Verify: a job (its progress shows as a row); the row shows its outcome once it ended
async function verifyRow(row) {
  backupsError('');
  try {
    const { job } = await api('POST', `api/backups/${encodeURIComponent(row.id)}/verify`);
    watchJob(job);
  } catch (error) {
    backupsError(`Could not verify the ${backupLabel(row)}: ${humanMessage(error)}`);
  }
}

// ---- Delete: the ticked rows (the toolbar's Delete) or one row (its own Delete), after the dialog's question
let deleting = { rows: [], fromSelection: false };
function openDelete(rows, fromSelection = false) {
  backupsError('');
  deleting = { rows, fromSelection };
  const places = rows.some((r) => r.locations?.includes('s3')) ? 'the server and off-site storage' : 'the server';
  $('delete-what').textContent = `Delete ${rows.length} backup${rows.length === 1 ? '' : 's'}? The archive files will be removed from ${places}: ${rows.map(backupLabel).join('; ')}.`;
  $('delete-dialog').showModal();
}
$('delete-selected').addEventListener('click', () => openDelete(grid.selected(), true));

$('delete-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('delete-dialog').close();
  // Each backup on its own: one that cannot be deleted does not keep the others; the reasons are listed inline.
  const problems = [];
  for (const row of deleting.rows) await api('DELETE', `api/backups/${encodeURIComponent(row.id)}`).catch((error) => problems.push(`Could not delete the ${backupLabel(row)}: ${humanMessage(error)}`));
  backupsError(problems.join(' '));
  if (deleting.fromSelection) grid.clearSelection();
  refresh();
});

for (const button of document.querySelectorAll('[data-close]')) button.addEventListener('click', () => button.closest('dialog').close());

// ---- Audit log, users and roles, settings
const auditView = createAuditView({ table: $('audit') });
const historyView = createHistoryView();
const usersView = createUsersView({ currentUser: () => user });
const settingsView = createSettingsView();

/** A view that cannot load: signed out (401) goes back to sign-in; anything else is shown on the page. */
function failed(error) {
  if (error instanceof ApiError && error.status === 401) signedOut();
  else $('page-error').textContent = humanMessage(error);
}

// ---- Sign-in, setup, sign-out
$('signin-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  clearFormErrors($('signin-form'));
  try {
    signedIn(await api('POST', 'api/session', { username: $('signin-username').value, password: $('signin-password').value }));
    $('signin-password').value = '';
  } catch (error) {
    showFormError($('signin-form'), error);
  }
});

$('setup-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const token = new URLSearchParams(location.hash.slice(1)).get('setup');
  const username = $('setup-username').value;
  const password = $('setup-password').value;
  clearFormErrors($('setup-form'));
  try {
    await api('POST', 'api/setup', { token, username, password });
    history.replaceState(null, '', location.pathname);
    signedIn(await api('POST', 'api/session', { username, password }));
  } catch (error) {
    showFormError($('setup-form'), error, [[/password/i, 'setup-password'], [/\bname\b/i, 'setup-username']]);
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
