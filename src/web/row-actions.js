// The actions of a backup's row in the grid, as buttons named after the backup ("Verify Database backup
// “second” of 5 Dec 14:02"): Browse (inside the backup) for every role that sees the grid, Rollback for
// roles with the rollback resource, "Restore to…" (a copy elsewhere) for admins, Verify and Delete for
// every role (the backup resource). Each action is handed the row; the page does the rest.
import { el } from './api.js';
import { verifyWords } from './labels.js';

/** The buttons of `row`, labelled with `label`; `actions` are { onBrowse, canRollback, onRollback, canRestore, onRestore, onVerify, onDelete }. */
export function rowActions(row, label, actions) {
  const button = (words, name, onclick, className = 'link') => el('button', { type: 'button', class: className, 'aria-label': `${name} ${label}`, onclick: () => onclick(row) }, words);
  return [
    button('Browse', 'Browse', actions.onBrowse),
    actions.canRollback() ? button('Rollback', 'Rollback to', actions.onRollback) : null,
    actions.canRestore() ? button('Restore to…', 'Restore to…:', actions.onRestore) : null,
    button('Verify', 'Verify', actions.onVerify),
    button('Delete', 'Delete', actions.onDelete, 'link danger-link'),
  ];
}

/** The row's last verify, for its Status cell; null when it was never verified. */
export function verifyNote(row) {
  if (!row.verify) return null;
  return el('span', { class: `verify-note ${row.verify.ok ? 'ok' : 'bad'}`, title: new Date(row.verify.finishedAt).toLocaleString() }, verifyWords(row.verify));
}
