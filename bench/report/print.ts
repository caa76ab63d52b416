// The report as text tables: medians per section, then the targets with PASS/MISS, checks and notes.
import type { Summary } from '../results.js';
import type { BenchReport } from './model.js';
import type { Target } from './targets.js';

const MiB = 2 ** 20;

function mib(bytes: number | undefined): string {
  if (bytes === undefined) return '-';
  return bytes >= 100 * MiB ? `${(bytes / MiB).toFixed(0)} MiB` : `${(bytes / MiB).toFixed(1)} MiB`;
}

function secs(s: number | undefined): string {
  return s === undefined ? '-' : `${s.toFixed(2)} s`;
}

/** First and last columns left-aligned, the others right-aligned; a row of two cells spans the rest. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.filter((r) => r.length > 2 || i === 0).map((r) => (r[i] ?? '').length)));
  const last = header.length - 1;
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]) : cells.length === 2 ? c : i === last ? c : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function ms(s: number | undefined): string {
  return s === undefined ? '-' : `${(s * 1000).toFixed(0)} ms`;
}

/** One row per contestant, its times in seconds or (for short commands) milliseconds. */
function summaryRows(list: Summary[], unit: 's' | 'ms' = 's'): string[][] {
  const time = unit === 's' ? secs : ms;
  const digits = (v: number | undefined) => (unit === 's' ? v?.toFixed(2) : v === undefined ? undefined : (v * 1000).toFixed(0));
  return list.map((s) => {
    const name = (s.lifeboat ? '* ' : '  ') + s.label;
    if (s.status !== 'ok') {
      const what = s.status === 'skipped' ? `skipped: ${s.notes[0] ?? ''}` : `${s.status.toUpperCase()}: ${s.notes[0] ?? ''}`;
      return [name, what.slice(0, 110)];
    }
    return [
      name,
      time(s.seconds),
      `${digits(s.minSeconds)}–${digits(s.maxSeconds)}`,
      mib(s.bytes),
      s.lifeboat ? mib(s.peakRss) : '',
      secs(s.cpuSeconds),
      secs(s.serverCpuSeconds),
      s.notes.join('; ').slice(0, 90),
    ];
  });
}

const HEADER = ['', 'median', 'min–max', 'output', 'peak RSS', 'CPU client', 'CPU server', 'notes'];

/** A ratio with two decimals, or three where two would print the bound itself (0.996 is not 1.00 ≤ 1.00). */
function ratioText(value: number, limit: number): string {
  const two = value.toFixed(2);
  return two === limit.toFixed(2) && value !== limit ? value.toFixed(3) : two;
}

function targetRow(t: Target): string[] {
  const value = t.value === undefined ? '-' : t.unit === 'x' ? ratioText(t.value, t.limit) : `${t.value.toFixed(0)} ${t.unit}`;
  const limit = t.unit === 'x' ? `≤ ${t.limit.toFixed(2)}` : `≤ ${t.limit} ${t.unit}`;
  const verdict = t.pass === undefined ? 'n/a' : t.pass ? 'PASS' : 'MISS';
  return [t.name, value, limit, verdict, t.detail.slice(0, 100)];
}

export function printReport(r: BenchReport): string {
  const out: string[] = [];
  const o = r.options;
  out.push(`Lifeboat bench: ${r.command}${o.scale === o.treeScale ? ` (scale ${o.scale})` : ` (scale ${o.scale}, tree scale ${o.treeScale})`}`);
  out.push(
    `machine: ${r.machine.cpus} CPUs (${r.machine.cpuModel}), ${r.machine.memoryGiB} GiB; server: ${r.server.version} at ${r.server.address}, ` +
      `innodb_buffer_pool_size ${mib(r.server.innodbBufferPool)}, binary log ${r.server.binlog}${r.server.own ? " (the bench's own server)" : ''}; runs: ${o.runs} each, alternated; ` +
      `1-minute load average ${r.load.before.toFixed(2)} at the start, ${r.load.after.toFixed(2)} at the end`,
  );
  out.push(`tools: ${Object.values(r.tools).join('; ')}`);
  if (r.shop) {
    const s = r.shop;
    out.push(
      `shop database: scale ${o.scale}: ${s.counts.orders} orders, ${s.counts.customers} customers, ${s.counts.products} products; ` +
        `${mib(s.dataBytes)} data + ${mib(s.indexBytes)} index; generated in ${s.generateSeconds.toFixed(1)} s` +
        (s.sqlBytes ? `; ${mib(s.sqlBytes)} of SQL in Lifeboat's dump` : ''),
    );
  }
  if (r.text) {
    const t = r.text;
    out.push(
      `text-heavy database: scale ${o.scale}: ${t.rows} rows (${t.counts.products} products, ${t.counts.reviews} reviews, ${t.counts.statusHistory} order comments, ` +
        `${t.counts.queueMessages} queued e-mails); ${mib(t.dataBytes)} data + ${mib(t.indexBytes)} index; generated in ${t.generateSeconds.toFixed(1)} s` +
        (t.sqlBytes ? `; ${mib(t.sqlBytes)} of SQL in Lifeboat's dump` : ''),
    );
  }
  if (r.incremental) {
    const t = r.incremental.tree;
    out.push(`incremental tree: scale ${o.treeScale}: ${t.textFiles} text files + ${t.images} images, ${mib(t.bytes)}; restic: version-2 repository (zstd), --no-cache; both back up the tree and a dump of a one-table database`);
  }
  if (r.tree) out.push(`shop tree: scale ${o.treeScale}: ${r.tree.textFiles} text files + ${r.tree.images} images, ${mib(r.tree.bytes)} (${mib(r.tree.textBytes)} text)`);
  out.push('(* = Lifeboat; times are medians; CPU client = user+sys of the command and its pipeline; CPU server = mariadbd meanwhile)');
  const sections: [string, Summary[] | undefined][] = [
    ['DUMP', r.dump],
    ['TEXT-HEAVY DUMP (product descriptions, reviews, order comments, e-mails, CMS pages: mostly prose and HTML)', r.text?.summaries],
    ['RESTORE (each run over a full copy of the shop with a few rows changed, verified against the source)', r.restore],
    ['TREE BACKUP', r.treeBackup],
    ['TREE RESTORE (each run over the full tree with a few files changed, added and removed, verified; the extra: into an empty folder)', r.treeRestore],
    ['INCREMENTAL FIRST BACKUP (each run into an empty repository / backup folder)', r.incremental?.firstBackup],
    [`INCREMENTAL SECOND BACKUP (after ${r.incremental?.changedFiles ?? '-'} files changed: a third edited, a third added, a third removed; output = what the repository grew by)`, r.incremental?.secondBackup],
    ['INCREMENTAL RESTORE (the rollbacks over the full tree with a few files changed: the shop backed up, and a copy of it; the others into an empty folder; all verified)', r.incremental?.restore],
    ['400 TINY TABLES', r.tables?.summaries],
  ];
  for (const [title, list] of sections) {
    if (!list) continue;
    out.push('', title, ...table(HEADER, summaryRows(list)));
  }
  if (r.incremental) {
    const { space, untimedPeakRss } = r.incremental;
    out.push(
      `incremental space after a first backup and ${space.rounds} rounds of change and backup: Lifeboat's backup folder ${mib(space.lifeboatBytes)}, restic's repository ${mib(space.resticBytes)}` +
        (space.note ? ` (${space.note})` : '') +
        (untimedPeakRss !== undefined ? `; Lifeboat's untimed runs peaked at ${mib(untimedPeakRss)}` : ''),
    );
  }
  if (r.tables) {
    const f = (v: number | undefined) => (v === undefined ? '-' : `${v.toFixed(2)} ms`);
    out.push(`cost per extra table ((400 tables − 1 table) / 399): lifeboat ${f(r.tables.lifeboatPerTableMs)}, mysqldump ${f(r.tables.mysqldumpPerTableMs)}`);
  }
  if (r.locks) {
    out.push('', 'A SHOP WRITING DURING THE DUMP (writer: insert/update loop on the source, autocommit)');
    const rows = r.locks.map((l) =>
      l.skipped
        ? [(l.lifeboat ? '* ' : '  ') + l.label, `skipped: ${l.skipped}`]
        : [
            (l.lifeboat ? '* ' : '  ') + l.label,
            l.maxMs === undefined ? '-' : `${l.maxMs.toFixed(0)} ms`,
            l.p99Ms === undefined ? '-' : `${l.p99Ms.toFixed(1)} ms`,
            String(l.statements ?? '-'),
            String(l.errors ?? '-'),
            secs(l.dumpSeconds),
          ],
    );
    out.push(...table(['', 'slowest write', 'p99', 'statements', 'errors', 'dump (median)'], rows));
  }
  if (r.startup) {
    const st = r.startup;
    out.push(
      '',
      `START-UP (issue 20: whole commands on one table of a few rows, restores over it with a row changed; ${st.runs} runs each, alternated; wall time only; ` +
        `load average ${st.load.before.toFixed(1)} before, ${st.load.after.toFixed(1)} after)`,
      // Name, median, min–max and notes: no output size, RSS or CPU is taken here.
      ...table(['', 'median', 'min–max ms', 'notes'], summaryRows(st.summaries, 'ms').map((row) => (row.length > 2 ? [row[0], row[1], row[2], row[7]] : row))),
    );
    out.push(...table(['ratio (no target)', 'value', 'detail'], st.ratios.map((x) => [x.name, x.value === undefined ? '-' : x.value.toFixed(2), x.detail.slice(0, 100)])));
  }
  out.push('', 'TARGETS (issue 7; start-up: issue 20; incremental: issue 23)', ...table(['', 'value', 'target', '', 'detail'], r.targets.map(targetRow)));
  if (r.ratios?.length) {
    out.push(...table(['ratio (no target)', 'value', 'detail'], r.ratios.map((x) => [x.name, x.value === undefined ? '-' : x.value.toFixed(2), x.detail.slice(0, 100)])));
  }
  if (r.checks.length) {
    out.push('', 'CHECKS');
    for (const c of r.checks) out.push(`${c.pass === undefined ? 'n/a ' : c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
  }
  if (r.notes.length) out.push('', 'NOTES', ...r.notes.map((n) => `- ${n}`));
  out.push('', `bench took ${r.seconds.toFixed(0)} s`);
  return out.join('\n') + '\n';
}
