// Browsing inside a backup: a database backup's tables (rows, size) or a file backup's folders, one
// level at a time (pages of 200, "Show more" for the rest). Each table, file and folder has Restore for
// roles with the rollback resource: it opens the rollback dialog for just that part.
import { api, el, humanBytes } from './api.js';
import { humanMessage } from './errors.js';
import { backupLabel, shortTime } from './labels.js';

export function createBrowser({ canRestore, onRestore }) {
  const $ = (id) => document.getElementById(id);
  const dialog = $('browse-dialog');
  const table = $('browse-table');
  const more = $('browse-more');
  const status = $('browse-status');
  const state = { row: null, folder: '', entries: [], total: 0 };

  const say = (text) => (status.textContent = text);

  function restoreCell(label, part) {
    if (!canRestore()) return null;
    return el('td', { class: 'c-action' }, el('button', { type: 'button', class: 'link', 'aria-label': `Restore ${label}`, onclick: () => onRestore(state.row, part) }, 'Restore'));
  }

  /** The header row; a label may come with a class for its column (`['Modified', 'c-modified']`). */
  function head(...labels) {
    const cells = labels.map((label) => (Array.isArray(label) ? el('th', { scope: 'col', class: label[1] }, label[0]) : el('th', { scope: 'col' }, label)));
    if (canRestore()) cells.push(el('th', { scope: 'col' }, 'Action'));
    table.tHead.rows[0].replaceChildren(...cells);
  }

  /** The folder path as buttons: the top, then each folder down to the one shown. */
  function crumbs() {
    const parts = state.folder ? state.folder.split('/') : [];
    const items = [el('li', {}, parts.length ? el('button', { type: 'button', class: 'link', onclick: () => openFolder('') }, 'Shop root') : el('span', { 'aria-current': 'location' }, 'Shop root'))];
    parts.forEach((name, i) => {
      const folder = parts.slice(0, i + 1).join('/');
      items.push(el('li', {}, i === parts.length - 1 ? el('span', { 'aria-current': 'location' }, name) : el('button', { type: 'button', class: 'link', onclick: () => openFolder(folder) }, name)));
    });
    $('browse-crumbs').replaceChildren(el('ol', {}, items));
    $('browse-crumbs').hidden = false;
  }

  function fileRow(entry) {
    const rel = state.folder ? `${state.folder}/${entry.name}` : entry.name;
    const name = entry.type === 'dir'
      ? el('button', { type: 'button', class: 'link', 'aria-label': `Open folder ${entry.name}`, onclick: () => openFolder(rel) }, `${entry.name}/`)
      : entry.type === 'file' ? entry.name : `${entry.name} (${entry.type})`;
    return el('tr', { 'data-path': rel },
      el('td', { class: 'c-name' }, name),
      el('td', { class: 'num' }, humanBytes(entry.size)),
      el('td', { class: 'c-modified' }, entry.mtime ? el('time', { datetime: entry.mtime }, shortTime(Date.parse(entry.mtime))) : '—'),
      restoreCell(rel, { paths: [rel] }),
    );
  }

  function showFiles() {
    head('Name', 'Size', ['Modified', 'c-modified']);
    table.tBodies[0].replaceChildren(...state.entries.map(fileRow));
    const left = state.total - state.entries.length;
    more.hidden = left <= 0;
    more.textContent = `Show more (${left} left)`;
    say(state.total === 0 ? 'This folder is empty in the backup.' : `${state.total} entr${state.total === 1 ? 'y' : 'ies'} in ${state.folder || 'the shop root'}.`);
  }

  async function openFolder(folder) {
    state.folder = folder;
    state.entries = [];
    crumbs();
    table.tBodies[0].replaceChildren();
    more.hidden = true;
    say('Reading the backup…');
    await loadPage();
  }

  async function loadPage() {
    try {
      const query = new URLSearchParams({ folder: state.folder, offset: String(state.entries.length) });
      const page = await api('GET', `api/backups/${encodeURIComponent(state.row.id)}/files?${query}`);
      state.entries.push(...page.entries);
      state.total = page.total;
      showFiles();
    } catch (error) {
      say(humanMessage(error));
    }
  }

  async function showTables() {
    $('browse-crumbs').hidden = true;
    more.hidden = true;
    head('Table', 'Rows', 'Size');
    table.tBodies[0].replaceChildren();
    say('Reading the backup…');
    try {
      const { tables, known } = await api('GET', `api/backups/${encodeURIComponent(state.row.id)}/tables`);
      table.tBodies[0].replaceChildren(...tables.map((t) => el('tr', { 'data-table': t.name },
        el('td', { class: 'c-name' }, t.stripped ? `${t.name} (stripped)` : t.name),
        el('td', { class: 'num' }, t.rows.toLocaleString()),
        el('td', { class: 'num' }, humanBytes(t.bytes)),
        restoreCell(`table ${t.name}`, { tables: [t.name] }),
      )));
      say(known ? `${tables.length} table${tables.length === 1 ? '' : 's'}.` : 'This archive has no manifest: its tables are not known.');
    } catch (error) {
      say(humanMessage(error));
    }
  }

  more.addEventListener('click', () => loadPage());

  return {
    open(row) {
      state.row = row;
      $('browse-title').textContent = `Inside the ${backupLabel(row)}`;
      dialog.showModal();
      if (row.type === 'db') showTables();
      else openFolder('');
    },
    close: () => dialog.open && dialog.close(),
  };
}
