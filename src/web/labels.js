// The page's words for backups and jobs: what a merchant calls them ("System backup “full snapshot”
// of 5 Dec 14:02"), never the archive's file name or the job's internal description. Row actions and
// job rows are named with them, so that each Download or Rollback has a name of its own.
import { spokenName } from './name-rule.js';

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

// The archive a rollback or verify job reads: <unix time>_<type word>[_<name>].<extension> (src/repository/naming.ts).
// Its name part names the jobs of versions that kept no `name` field.
const ARCHIVE = /^(\d{9,11})_(?:db|snapshot|nomedia|media|filesystem_code|filesystem_media|system|code)(?:_([0-9A-Za-z_]+))?\./;
// A rollback of some tables or paths says which at the end of its description (src/core/operations.ts).
const PARTS = / \((tables|paths) (.+)\)$/;
const ACTIONS = { rollback: 'Rollback to', verify: 'Verify of', drill: 'Drill of' };

/**
 * "System backup “full snapshot”", "Rollback to 5 Dec 14:02 System backup “before upgrade”" or "Verify of
 * 5 Dec 14:02 Database backup" for a job of the API, named by the job's `name` (its backup's).
 */
export function jobTitle(job) {
  const archive = ARCHIVE.exec(job.file || '');
  const backup = `${backupNoun(job.type)}${quoted(spokenName(job.name ?? archive?.[2] ?? ''))}`;
  if (job.kind === 'backup') return backup;
  if (!archive) return job.description;
  if (job.kind === 'restore') return `Restore of the ${shortTime(Number(archive[1]) * 1000)} ${backup} to another place`;
  if (!ACTIONS[job.kind]) return job.description;
  const parts = job.kind === 'rollback' ? PARTS.exec(job.description) : null;
  return `${ACTIONS[job.kind]} ${shortTime(Number(archive[1]) * 1000)} ${backup}${parts ? ` (${parts[1]} ${parts[2]})` : ''}`;
}

/** "just now", "5 min ago", "2 h ago", "3 days ago". */
export function ago(seconds) {
  if (seconds < 90) return 'just now';
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} days ago`;
}

/** A backup's last verify in words: "Verified 2 h ago", or "Verify failed 5 min ago: size is …"; '' when never verified. */
export function verifyWords(verify, now = Date.now()) {
  if (!verify) return '';
  const when = ago((now - Date.parse(verify.finishedAt)) / 1000);
  return verify.ok ? `Verified ${when}` : `Verify failed ${when}: ${verify.problems.join('; ') || 'see the job history'}`;
}
