// A queued, running or just-ended job as a row of the Backups grid: what it is, its phase, a progress
// bar, bytes, rate and time left, and a Cancel button. Progress updates change the cells in place, so
// a keyboard user's focus on the Cancel button survives them.
import { el, humanBytes, TYPE_LABELS } from './api.js';
import { humanMessage } from './errors.js';
import { jobTitle, shortTime } from './labels.js';

export function humanDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

const ENDED = { succeeded: ['ok', 'Done'], failed: ['bad', 'Failed'], cancelled: ['warn', 'Cancelled'] };

/** The engines' phase names (src/engines, src/core) in the page's words; an unknown one is shown as it is. */
const PHASES = { check: 'Checking', dump: 'Dumping', files: 'Archiving files', verify: 'Verifying', staging: 'Unpacking', restore: 'Restoring', swap: 'Swapping in', swapping: 'Swapping in', committed: 'Finishing', undone: 'Undoing' };

/** The progress words, in parts: phase, percent, bytes, rate, time left. */
function progressParts(job) {
  if (job.state === 'queued') return ['Queued: waits for the running job'];
  const p = job.progress;
  if (!p) return ['Starting…'];
  const parts = [(PHASES[p.phase] || p.phase) + (p.table ? ` ${p.table}` : '')];
  if (p.totalBytes) parts.push(`${Math.min(100, Math.round((p.bytes / p.totalBytes) * 100))}%`);
  parts.push(p.totalBytes ? `${humanBytes(p.bytes)} of ${humanBytes(p.totalBytes)}` : humanBytes(p.bytes));
  if (p.rate) parts.push(`${humanBytes(p.rate)}/s`);
  if (p.eta !== undefined) parts.push(`${humanDuration(p.eta)} left`);
  return parts;
}

/**
 * The progress words, each part kept whole on its line ("12.3 MiB of 98.1 MiB" never split): a line
 * breaks only between parts, the dot going with the part after it. A part wider than the cell (a long
 * file name) is cut with an ellipsis, its whole text in its title.
 */
function progressLine(job) {
  return progressParts(job).flatMap((part, i) => {
    const words = i === 0 ? part : `· ${part}`;
    return [i === 0 ? null : ' ', el('span', { class: 'progress-part', title: i === 0 ? part : undefined }, words)];
  });
}

/** What a job that succeeded did, by kind; "Done" for a backup. */
const SUCCEEDED = { rollback: 'Rolled back', verify: 'Verified', restore: 'Restored' };

/** An ended job's outcome as a badge ("Done", "Rolled back", "Verified", "Failed", "Cancelled"); null while it runs. */
export function outcomeBadge(job) {
  const ended = ENDED[job.state];
  return ended ? el('span', { class: `badge ${ended[0]}` }, (job.state === 'succeeded' && SUCCEEDED[job.kind]) || ended[1]) : null;
}

/** The job's kind before its backup's type in the grid ("Rollback · Database"); nothing for a backup. */
const KIND_WORDS = { rollback: 'Rollback · ', verify: 'Verify · ', drill: 'Drill · ', restore: 'Restore to · ' };

function statusCell(job) {
  const badge = outcomeBadge(job);
  if (badge) return [badge, job.error && job.state !== 'cancelled' ? el('span', { class: 'job-error' }, ` ${humanMessage(job.error)}`) : null];
  const p = job.progress;
  const percent = p?.totalBytes ? Math.min(100, Math.round((p.bytes / p.totalBytes) * 100)) : undefined;
  return [
    el('progress', { max: 100, value: percent, 'aria-label': `Progress of ${jobTitle(job)}` }),
    el('span', { class: 'job-progress' }, ...progressLine(job)),
  ];
}

/** Bytes written so far, while the job runs: a job that ended without a backup has no size to show. */
const sizeText = (job) => ((job.state === 'running' || job.state === 'succeeded') && job.progress?.bytes ? humanBytes(job.progress.bytes) : '—');

function cells(job) {
  const started = job.startedAt ?? job.createdAt;
  return [
    el('td', { class: 'c-select' }),
    el('td', { class: 'c-time' }, el('time', { datetime: started, title: new Date(started).toLocaleString() }, shortTime(started))),
    el('td', { class: 'c-name job-name' }, el('strong', {}, jobTitle(job))),
    el('td', { class: `c-size num${sizeText(job) === '—' ? ' none' : ''}` }, sizeText(job)),
    el('td', { class: 'c-type' }, `${KIND_WORDS[job.kind] ?? ''}${TYPE_LABELS[job.type] || job.type}`),
    el('td', { class: 'c-status job-status', colspan: 2 }, ...statusCell(job)),
  ];
}

/** A new row for the job; `update` changes it in place later. */
export function jobRow(job, { actionColumn, canCancel, onCancel }) {
  const running = job.state === 'running' || job.state === 'queued';
  const cancel =
    canCancel && running
      ? el('button', { type: 'button', class: 'danger small', 'aria-label': `Cancel ${jobTitle(job)}`, onclick: (event) => onCancel(job, event.currentTarget) }, job.cancelling ? 'Cancelling…' : 'Cancel')
      : null;
  if (cancel && job.cancelling) cancel.disabled = true;
  return el('tr', { class: `job-row ${job.state}`, id: `job-${job.id}`, 'data-job': job.id }, ...cells(job), actionColumn ? el('td', { class: 'c-action' }, cancel) : null);
}

/** Updates the row's cells except the action cell (keeps its button, and so the focus on it). */
export function updateJobRow(tr, job) {
  const fresh = cells(job);
  for (let i = 0; i < fresh.length; i++) tr.cells[i].replaceWith(fresh[i]);
  tr.className = `job-row ${job.state}`;
  const button = tr.querySelector('button');
  if (button && job.state !== 'running' && job.state !== 'queued') button.remove();
}
