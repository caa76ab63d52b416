// The Backups grid: sortable columns, filter by type and name, pages of 20, newest first; select rows
// to delete; each row's actions (row-actions.js): Browse inside a backup, Rollback only for roles with
// the rollback resource, "Restore to…" (a copy elsewhere) only for admins, Verify and Delete, and its
// last verify beside its status. Queued and running jobs sit on top as rows of their own, with live
// progress and a Cancel button.
import { el, humanBytes, TYPE_LABELS } from './api.js';
import { jobRow, updateJobRow } from './job-row.js';
import { alteredWords, backupLabel, shortTime } from './labels.js';
import { spokenName } from './name-rule.js';
import { rowActions, verifyNote } from './row-actions.js';

const PAGE_SIZE = 20;
const COLUMNS = [
  { key: 'time', label: 'Time' },
  { key: 'name', label: 'Name' },
  { key: 'size', label: 'Size' },
  { key: 'type', label: 'Type' },
  { key: 'status', label: 'Status' },
];

export function createGrid({ table, typeFilter, nameFilter, prev, next, info, deleteButton, actions, canCancel, onCancel, onSelectionChange }) {
  const state = { rows: [], jobs: [], sort: 'time', dir: -1, page: 0, selected: new Set() };

  function status(row) {
    // A manifest that is not the archive's own: the server refuses to download or roll it back.
    const badge = row.problem
      ? el('span', { class: 'badge bad', title: row.problem }, 'Manifest mismatch')
      : row.origin === 'lifeboat' ? el('span', { class: 'badge ok' }, 'Complete') : el('span', { class: 'badge' }, 'Foreign (no manifest)');
    return [badge, verifyNote(row)];
  }

  // Where the backup is, when off-site storage is configured (the API then sends `locations`).
  function where(row) {
    if (!row.locations) return null;
    const label = row.locations.map((l) => (l === 's3' ? 'S3' : 'local')).join(' + ');
    return [' ', el('span', { class: 'badge where', title: `Stored: ${label}` }, label)];
  }

  function visible() {
    const type = typeFilter.value;
    const name = nameFilter.value.trim().toLowerCase();
    const named = (r) => [r.name, spokenName(r.name)].some((shown) => shown.toLowerCase().includes(name));
    const rows = state.rows.filter((r) => (!type || r.type === type) && (!name || named(r)));
    const key = state.sort;
    return rows.sort((a, b) => {
      const x = key === 'status' ? a.origin : a[key];
      const y = key === 'status' ? b.origin : b[key];
      return (x < y ? -1 : x > y ? 1 : 0) * state.dir || b.time - a.time;
    });
  }

  function renderHead(rows) {
    const tr = table.tHead.rows[0];
    const all = rows.length > 0 && rows.every((r) => state.selected.has(r.id));
    // Every role that sees the grid may verify and delete: each row has actions.
    const cells = [
      el('th', { scope: 'col', class: 'c-select' }, el('input', { type: 'checkbox', 'aria-label': 'Select all on this page', checked: all, onchange: (e) => selectPage(e.target.checked) })),
      ...COLUMNS.map((c) =>
        el('th', { scope: 'col', class: `c-${c.key}`, 'aria-sort': state.sort === c.key ? (state.dir > 0 ? 'ascending' : 'descending') : 'none' },
          el('button', { type: 'button', onclick: () => sortBy(c.key) }, c.label)),
      ),
      el('th', { scope: 'col', class: 'c-download' }, 'Download'),
      el('th', { scope: 'col', class: 'c-action' }, 'Action'),
    ];
    tr.replaceChildren(...cells);
  }

  /** A backup's row; on a phone the stylesheet lays its cells out as a card. */
  function backupRow(r) {
    const label = backupLabel(r);
    return el('tr', { 'data-id': r.id },
      el('td', { class: 'c-select' }, el('input', { type: 'checkbox', 'aria-label': `Select ${label}`, checked: state.selected.has(r.id), onchange: (e) => select(r.id, e.target.checked) })),
      el('td', { class: 'c-time' }, el('time', { datetime: r.createdAt, title: new Date(r.time * 1000).toLocaleString() }, shortTime(r.time * 1000))),
      el('td', { class: 'c-name' }, spokenName(r.name) || '—', where(r)),
      // An incremental backup: what it added to the content store, and the tree it holds.
      el('td', { class: 'c-size num' }, r.incremental ? `+${humanBytes(r.incremental.addedBytes)} of ${humanBytes(r.incremental.treeBytes)}` : humanBytes(r.size)),
      el('td', { class: 'c-type' }, alteredWords(r) ? `${TYPE_LABELS[r.type] || r.type} (${alteredWords(r)})` : TYPE_LABELS[r.type] || r.type),
      el('td', { class: 'c-status' }, status(r)),
      el('td', { class: 'c-download' }, el('a', { href: `api/backups/${encodeURIComponent(r.id)}/download`, download: r.incremental ? r.file.replace(/\.incremental\.json$/, '.tgz') : r.file, 'aria-label': `Download ${label}` }, 'Download')),
      el('td', { class: 'c-action' }, rowActions(r, label, actions)),
    );
  }

  function pageRows() {
    const rows = visible();
    const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
    state.page = Math.min(state.page, pages - 1);
    return { rows: rows.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE), total: rows.length, pages };
  }

  function render() {
    const { rows, total, pages } = pageRows();
    renderHead(rows);
    const body = table.tBodies[0];
    const jobs = state.jobs.map((job) => jobRow(job, { actionColumn: true, canCancel: canCancel(job), onCancel }));
    if (rows.length === 0) {
      body.replaceChildren(...jobs, el('tr', {}, el('td', { colspan: 8, class: 'empty' }, state.rows.length ? 'No backup matches the filter.' : 'No backups yet. Take one with the buttons above.')));
    } else {
      body.replaceChildren(...jobs, ...rows.map(backupRow));
    }
    info.textContent = `${total} backup${total === 1 ? '' : 's'} · page ${state.page + 1} of ${pages}`;
    prev.disabled = state.page === 0;
    next.disabled = state.page >= pages - 1;
    deleteButton.disabled = state.selected.size === 0;
    onSelectionChange(state.selected.size);
  }

  function sortBy(key) {
    state.dir = state.sort === key ? -state.dir : key === 'time' || key === 'size' ? -1 : 1;
    state.sort = key;
    render();
  }

  function select(id, on) {
    if (on) state.selected.add(id);
    else state.selected.delete(id);
    deleteButton.disabled = state.selected.size === 0;
    onSelectionChange(state.selected.size);
  }

  function selectPage(on) {
    for (const r of pageRows().rows) select(r.id, on);
    render();
  }

  typeFilter.addEventListener('change', () => ((state.page = 0), render()));
  nameFilter.addEventListener('input', () => ((state.page = 0), render()));
  prev.addEventListener('click', () => ((state.page = Math.max(0, state.page - 1)), render()));
  next.addEventListener('click', () => ((state.page += 1), render()));

  return {
    setRows(rows) {
      state.rows = rows;
      const ids = new Set(rows.map((r) => r.id));
      for (const id of state.selected) if (!ids.has(id)) state.selected.delete(id);
      render();
    },
    /** Queued, running and just-ended jobs, shown above the backups. */
    setJobs(jobs) {
      const same = jobs.length === state.jobs.length && jobs.every((job, i) => job.id === state.jobs[i].id && Boolean(job.cancelling) === Boolean(state.jobs[i].cancelling));
      state.jobs = jobs;
      const rows = jobs.map((job) => table.tBodies[0].querySelector(`tr[data-job="${job.id}"]`));
      if (same && rows.every(Boolean)) jobs.forEach((job, i) => updateJobRow(rows[i], job));
      else render();
    },
    selected: () => state.rows.filter((r) => state.selected.has(r.id)),
    clearSelection: () => (state.selected.clear(), render()),
  };
}
