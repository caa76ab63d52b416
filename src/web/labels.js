// The page's words for backups and jobs: what a merchant calls them ("System backup “full snapshot”
// of 5 Dec 14:02"), never the archive's file name or the job's internal description. Row actions and
// job rows are named with them, so that each Download or Rollback has a name of its own.
import { filterBackupName, spokenName } from './name-rule.js';

/** Each type as a noun, for prose and accessible names (the grid's Type column keeps TYPE_LABELS). */
const BACKUP_NOUNS = { db: 'Database backup', media: 'Database and Media backup', system: 'System backup', nomedia: 'System backup without media', code: 'Code backup' };

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "5 Dec 14:02", with the year when it is not this one: short enough for a phone, unambiguous in any locale. */
export function shortTime(value) {
  const d = value instanceof Date ? value : new Date(value);
  const pad = (n) => String(n).padStart(2, '0');
  const year = d.getFullYear() === new Date().getFullYear() ? '' : ` ${d.getFullYear()}`;
  return `${d.getDate()} ${MONTHS[d.getMonth()]}${year} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export const backupNoun = (type) => BACKUP_NOUNS[type] || `${type} backup`;

/** "stripped", "anonymized" or both, for a backup taken without some tables' rows or with fake personal data; '' else. */
export function alteredWords(row) {
  return [row.strip ? 'stripped' : '', row.anonymized ? 'anonymized' : ''].filter(Boolean).join(', ');
}

/** The tables a rollback to `row` would empty or fill with fake data (the API's strip and anonymized). */
export function alteredTables(row) {
  return [...new Set([...(row.strip?.tables ?? []), ...Object.keys(row.anonymized ?? {})])];
}

const quoted = (name) => (name ? ` “${name}”` : '');

/** "System backup “full snapshot” of 5 Dec 14:02" for a backup row of the API. */
export function backupLabel(row) {
  return `${backupNoun(row.type)}${quoted(spokenName(row.name || ''))} of ${shortTime(row.time * 1000)}`;
}

// The archive name a rollback job names: <unix time>_<type word>[_<name>].<extension> (src/repository/naming.ts).
const ARCHIVE = /^(\d{9,11})_(?:db|snapshot|nomedia|media|filesystem_code|filesystem_media)(?:_([0-9A-Za-z_]+))?\./;
// A backup job's description quotes the name as typed: backup <type> "<name>" (src/core/operations.ts);
// the page names the job by the name the backup gets, so that the job and its backup read alike.
const BACKUP_DESCRIPTION = /^backup \S+(?: \(incremental\))? "(.*)"$/;
const TABLES = / \(tables (.+)\)$/;

/** "System backup “full snapshot”", "Rollback to 5 Dec 14:02 System backup “before upgrade”" or "Drill of 5 Dec 14:02 Database backup" for a job of the API. */
export function jobTitle(job) {
  if (job.kind === 'backup') return `${backupNoun(job.type)}${quoted(spokenName(filterBackupName(BACKUP_DESCRIPTION.exec(job.description)?.[1] ?? '')))}`;
  const archive = ARCHIVE.exec(job.file || '');
  if (!archive) return job.description;
  const tables = TABLES.exec(job.description)?.[1];
  const backup = `${shortTime(Number(archive[1]) * 1000)} ${backupNoun(job.type)}${quoted(spokenName(archive[2] || ''))}`;
  if (job.kind === 'restore') return `Restore of the ${backup} to another place`;
  return `${job.kind === 'drill' ? 'Drill of' : 'Rollback to'} ${backup}${tables ? ` (tables ${tables})` : ''}`;
}
