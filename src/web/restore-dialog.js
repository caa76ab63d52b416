// The "Restore to…" dialog (admins only): a backup restored into another database and, for a file
// archive, another folder, with Magento's base URL set in the copy; the live shop is not touched. The
// password is asked again, as for a rollback; the job then shows in the grid like any other.
import { api } from './api.js';
import { clearFormErrors, showFormError } from './errors.js';
import { backupLabel } from './labels.js';

const $ = (id) => document.getElementById(id);

/** Which field a refusal of the server is about, by its first words. */
const FIELDS = [
  [/password/i, 'restore-password'],
  [/^(--)?to-?database|database url|shop's own database/i, 'restore-database'],
  [/^(--)?to-?root/i, 'restore-root'],
  [/^(--)?base-?url/i, 'restore-base-url'],
];

export function createRestoreDialog({ onStarted, beforeOpen }) {
  let row = null;

  function open(backup) {
    row = backup;
    beforeOpen();
    const files = backup.type !== 'db';
    // A code backup holds no database: its files alone, into the folder.
    const database = backup.type !== 'code';
    const places = [...(database ? ['the database'] : []), ...(files ? ['the folder'] : [])].join(' and ');
    $('restore-what').textContent = `The ${backupLabel(backup)} is restored into ${places} you name here.`;
    $('restore-what').title = backup.file;
    $('restore-root-field').hidden = !files;
    $('restore-database-field').hidden = !database;
    $('restore-database').required = database;
    $('restore-base-url-field').hidden = !database;
    // Without a folder a file archive gives its database alone; a code archive has none, so it needs one.
    $('restore-root').required = !database;
    $('restore-password').value = '';
    clearFormErrors($('restore-form'));
    $('restore-dialog').showModal();
  }

  $('restore-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFormErrors($('restore-form'));
    const files = row.type !== 'db';
    const database = row.type !== 'code';
    try {
      const { job } = await api('POST', `api/backups/${encodeURIComponent(row.id)}/restore-to`, {
        password: $('restore-password').value,
        ...(database ? { toDatabase: $('restore-database').value.trim() } : {}),
        ...(files ? { toRoot: $('restore-root').value.trim() } : {}),
        ...(database && $('restore-base-url').value.trim() ? { baseUrl: $('restore-base-url').value.trim() } : {}),
      });
      $('restore-dialog').close();
      onStarted(job);
    } catch (error) {
      showFormError($('restore-form'), error, FIELDS);
    }
  });

  return { open };
}
