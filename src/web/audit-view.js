// The Audit log view, for admins: who did what to which backup, when, from where, and how it ended.
// A job a user stopped reads "Cancelled", not "Failed" (the API's `result`).
import { api, el } from './api.js';
import { backupNoun, shortTime } from './labels.js';

const RESULTS = { success: ['ok', 'Success'], failed: ['bad', 'Failed'], cancelled: ['warn', 'Cancelled'] };

/** The API's action words ("backup db", "sign-in") as the page says them. */
function actionText(action) {
  const backup = /^backup (\w+)$/.exec(action);
  if (backup) return backupNoun(backup[1]);
  return action.charAt(0).toUpperCase() + action.slice(1);
}

export function createAuditView({ table }) {
  async function load() {
    const { entries } = await api('GET', 'api/audit');
    table.tBodies[0].replaceChildren(...entries.map((e) => {
      const [tone, word] = RESULTS[e.result ?? (e.success ? 'success' : 'failed')];
      // The classes place each cell on a phone, where a row is a card (app.css).
      return el('tr', {},
        el('td', { class: 'a-when' }, el('time', { datetime: e.at, title: new Date(e.at).toLocaleString() }, shortTime(e.at))),
        el('td', { class: 'a-user' }, e.username || '—'), el('td', { class: 'a-action' }, actionText(e.action)), el('td', { class: e.backup ? 'a-backup' : 'a-backup none' }, e.backup || '—'),
        el('td', { class: 'a-address' }, e.address || '—'), el('td', { class: 'a-result' }, el('span', { class: `badge ${tone}` }, word)), el('td', { class: 'a-detail' }, e.detail || ''));
    }));
  }
  return { load };
}
