// The Backups view's summary above the grid ("at a glance", GET /api/overview): is the last good backup
// as fresh as the schedule promises (said in words and colour), when is the next run, how much space the
// backups take and what is left, is the off-site copy whole, did the last restore drill and the last verify pass, and a small
// chart of recent backup sizes.
import { api, el, humanBytes } from './api.js';
import { ago, backupLabel, shortTime } from './labels.js';

const FRESHNESS = {
  ok: ['ok', 'On time'],
  late: ['warn', 'Late'],
  missing: ['bad', 'Missing'],
  unscheduled: ['neutral', 'No schedule'],
};
const SVG = 'http://www.w3.org/2000/svg';

function tile(title, status, ...lines) {
  return el('div', { class: `glance-tile ${status ?? ''}`, role: 'group', 'aria-label': title },
    el('div', { class: 'glance-title' }, title),
    ...lines.map((line, i) => el('div', { class: i === 0 ? 'glance-main' : 'muted small' }, line)),
  );
}

function sizeChart(sizes) {
  if (sizes.length < 2) return null;
  const width = 160;
  const height = 40;
  const max = Math.max(...sizes.map((s) => s.size), 1);
  const slot = width / sizes.length;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'glance-chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `Sizes of the last ${sizes.length} backups, from ${humanBytes(sizes[0].size)} to ${humanBytes(sizes.at(-1).size)}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  // One bar per backup, oldest on the left; a bar of at least 2 units, so that a tiny backup shows.
  sizes.forEach((s, i) => {
    const bar = document.createElementNS(SVG, 'rect');
    const h = Math.max(2, (s.size / max) * height);
    bar.setAttribute('x', (i * slot + slot * 0.15).toFixed(1));
    bar.setAttribute('width', (slot * 0.7).toFixed(1));
    bar.setAttribute('y', (height - h).toFixed(1));
    bar.setAttribute('height', h.toFixed(1));
    svg.append(bar);
  });
  return svg;
}

function render(o) {
  const [state, word] = FRESHNESS[o.freshness];
  const last = o.lastBackup
    ? tile('Last good backup', state, `${word}: ${ago(o.ageSeconds)}`, backupLabel(o.lastBackup))
    : tile('Last good backup', state, `${word}: none yet`, 'Take one with the buttons above');
  const schedule = o.schedule?.enabled
    ? tile('Next scheduled run', null, shortTime(o.schedule.nextRun), `${o.schedule.frequency}${o.schedule.drill ? ', then a restore drill' : ''}`)
    : tile('Next scheduled run', null, 'None', 'Set a schedule in Settings');
  const space = tile('Space', null, `${humanBytes(o.space.usedBytes)} in ${o.space.backups} backup${o.space.backups === 1 ? '' : 's'}`, o.space.freeBytes === null ? '' : `${humanBytes(o.space.freeBytes)} free on their disk`);
  const offsite = !o.offsite.configured
    ? tile('Off-site copy', 'neutral', 'Not set up', 'A copy on the same disk is not a backup')
    : o.offsite.missing
      ? tile('Off-site copy', 'warn', `${o.offsite.missing} not copied`, 'lifeboat upload --missing copies them')
      : tile('Off-site copy', 'ok', 'Every backup copied');
  const drill = o.drill.last
    ? tile('Last restore drill', o.drill.last.ok ? 'ok' : 'bad', o.drill.last.ok ? `Passed ${shortTime(o.drill.last.finishedAt)}` : `Failed ${shortTime(o.drill.last.finishedAt)}`,
      o.drill.last.ok ? `${o.drill.last.tables} tables, ${o.drill.last.rows} rows restored as recorded` : `Not as recorded: ${o.drill.last.differing.join(', ')}`)
    : tile('Last restore drill', 'neutral', 'None yet', 'lifeboat drill, or a drill in the schedule');
  const verify = o.lastVerify
    ? tile('Last verify', o.lastVerify.ok ? 'ok' : 'bad', `${o.lastVerify.ok ? 'Passed' : 'Failed'} ${shortTime(o.lastVerify.finishedAt)}`,
      o.lastVerify.ok ? `${backupLabel(o.lastVerify)}: whole` : `${backupLabel(o.lastVerify)}: ${o.lastVerify.problems.join('; ')}`)
    : tile('Last verify', 'neutral', 'None yet', 'Verify a backup from its row, or lifeboat verify');
  const chart = sizeChart(o.sizes);
  return [last, schedule, space, offsite, drill, verify, ...(chart ? [el('div', { class: 'glance-tile glance-sizes', role: 'group', 'aria-label': 'Backup sizes' }, el('div', { class: 'glance-title' }, 'Backup sizes'), chart)] : [])];
}

export function createGlance(container) {
  async function load() {
    container.replaceChildren(...render(await api('GET', 'api/overview')));
    container.hidden = false;
  }
  return { load };
}
