// The ratios and bounds of issue 7 (with issue 22's looser ones for a small shop, issue 20's start-up bounds and issue 23's incremental ones), each computed from the medians and marked PASS or MISS. A ratio that
// cannot be computed (a side skipped, failed or not verified) says why instead of a value.
import type { Summary } from '../results.js';
import type { IncrementalSpace } from '../runs/incremental.js';

export interface Target {
  name: string;
  value?: number;
  /** The value must be at most this. */
  limit: number;
  unit: 'x' | 'MiB' | 'ms';
  pass?: boolean;
  detail: string;
}

export interface TargetInputs {
  dump?: Summary[];
  restore?: Summary[];
  treeBackup?: Summary[];
  treeRestore?: Summary[];
  /** Slowest write during Lifeboat's dump, ms. */
  lockMaxMs?: number;
  lockDetail?: string;
  lifeboatPerTable?: number;
  mysqldumpPerTable?: number;
  startup?: Summary[];
  /** The dump contestants on the text-heavy database. */
  text?: Summary[];
  /** Issue 23: incremental backups against restic (bench/runs/incremental.ts). */
  incremental?: { firstBackup: Summary[]; secondBackup: Summary[]; space: IncrementalSpace; restore: Summary[]; untimedPeakRss?: number };
  /** The database's and the tree's scale: at SMALL_SHOP or below the small-shop bounds apply. */
  scale?: number;
  treeScale?: number;
}

/** The scale of a small shop (issue 22), where fixed costs weigh most and the bounds are looser. */
export const SMALL_SHOP = 0.05;

/**
 * Issue 22's bounds: the same at every scale, but at SMALL_SHOP and below 0.8 for the dump, the rollback
 * and the System backup, and 1.0 for the tree rollback.
 */
function speedLimits(t: TargetInputs): { dump: number; rollback: number; systemBackup: number; treeRollback: number } {
  const smallDatabase = (t.scale ?? 1) <= SMALL_SHOP;
  const smallTree = (t.treeScale ?? t.scale ?? 1) <= SMALL_SHOP;
  return { dump: smallDatabase ? 0.8 : 0.5, rollback: smallDatabase ? 0.8 : 0.5, systemBackup: smallTree ? 0.8 : 0.25, treeRollback: smallTree ? 1 : 0.6 };
}

/** A ratio shown for comparison, with no bound. */
export interface InfoRatio {
  name: string;
  value?: number;
  detail: string;
}

const MiB = 2 ** 20;

function usable(s: Summary | undefined): string | undefined {
  if (!s) return 'not run';
  if (s.status === 'ok') return undefined;
  if (s.status === 'skipped') return `${s.label}: ${s.notes[0] ?? 'skipped'}`;
  return `${s.label}: ${s.status.toUpperCase()}${s.notes[0] ? ` (${s.notes[0]})` : ''}`;
}

/** The fastest of several contestants (by median time) among those that ran and verified. */
function best(list: Summary[] | undefined, keys: string[]): Summary | undefined {
  const candidates = (list ?? []).filter((s) => keys.includes(s.key));
  const ok = candidates.filter((s) => s.status === 'ok' && s.seconds !== undefined);
  if (ok.length === 0) return candidates[0];
  return ok.reduce((a, b) => ((b.seconds ?? Infinity) < (a.seconds ?? Infinity) ? b : a));
}

/** a / b of the medians, or why not; times under a second are shown in ms. */
function quotient(name: string, a: Summary | undefined, b: Summary | undefined, field: 'seconds' | 'bytes'): InfoRatio {
  const problem = usable(a) ?? usable(b);
  const x = a?.[field];
  const y = b?.[field];
  if (problem || x === undefined || y === undefined || y === 0) return { name, detail: problem ?? `no ${field} measured` };
  const fmt = (v: number) => (field === 'bytes' ? `${(v / MiB).toFixed(1)} MiB` : v < 1 ? `${(v * 1000).toFixed(0)} ms` : `${v.toFixed(2)} s`);
  return { name, value: x / y, detail: `${fmt(x)} / ${fmt(y)} (${b?.label})` };
}

function ratio(name: string, limit: number, a: Summary | undefined, b: Summary | undefined, field: 'seconds' | 'bytes'): Target {
  const { value, detail } = quotient(name, a, b, field);
  if (value === undefined) return { name, limit, unit: 'x', detail };
  return { name, value, limit, unit: 'x', pass: value <= limit, detail };
}

function rssLimit(name: string, bytes: number | undefined, detail: string): Target {
  if (bytes === undefined) return { name, limit: 256, unit: 'MiB', detail };
  const value = bytes / MiB;
  return { name, value, limit: 256, unit: 'MiB', pass: value <= 256, detail };
}

function rss(name: string, s: Summary | undefined): Target {
  const problem = usable(s);
  if (problem || s?.peakRss === undefined) return rssLimit(name, undefined, problem ?? 'peak RSS not measured');
  return rssLimit(name, s.peakRss, 'peak RSS of the Lifeboat process, max over the runs');
}

/** Issue 23's bounds: against restic's first and second backup and its repository's size, the rollback against tar -xzf. */
function incrementalTargets(t: NonNullable<TargetInputs['incremental']>): Target[] {
  const lifeboat = (list: Summary[]) => list.find((s) => s.key === 'lifeboat');
  const restic = (list: Summary[]) => list.find((s) => s.key === 'restic');
  const { space } = t;
  const spaceName = `incremental store after ${space.rounds} rounds / restic repository`;
  const [a, b] = [space.lifeboatBytes, space.resticBytes];
  const spaceTarget: Target =
    a === undefined || b === undefined || b === 0
      ? { name: spaceName, limit: 1, unit: 'x', detail: space.note ?? 'a size was not measured' }
      : { name: spaceName, value: a / b, limit: 1, unit: 'x', pass: a / b <= 1, detail: `${(a / MiB).toFixed(1)} MiB / ${(b / MiB).toFixed(1)} MiB (du -sb-like sums)` };
  const lifeboatRuns = [lifeboat(t.firstBackup), lifeboat(t.secondBackup), lifeboat(t.restore), t.restore.find((s) => s.key === 'lifeboat-copy')];
  const peaks = [...lifeboatRuns.map((s) => s?.peakRss), t.untimedPeakRss].filter((v): v is number => v !== undefined);
  return [
    ratio('incremental first backup / restic first backup', 1, lifeboat(t.firstBackup), restic(t.firstBackup), 'seconds'),
    ratio('incremental backup after 1 % changed / restic', 0.5, lifeboat(t.secondBackup), restic(t.secondBackup), 'seconds'),
    spaceTarget,
    ratio('rollback from an incremental backup / tar -xzf into an empty folder', 0.6, lifeboat(t.restore), t.restore.find((s) => s.key === 'tar-xzf'), 'seconds'),
    rssLimit('incremental peak RSS', peaks.length ? Math.max(...peaks) : undefined, peaks.length ? 'every Lifeboat run of the section, untimed ones included' : 'peak RSS not measured'),
  ];
}

export function computeTargets(t: TargetInputs): Target[] {
  const out: Target[] = [];
  const get = (list: Summary[] | undefined, key: string) => list?.find((s) => s.key === key);
  const limits = speedLimits(t);
  if (t.dump) {
    const lb = get(t.dump, 'lifeboat');
    const gz = get(t.dump, 'mysqldump-gzip');
    out.push(ratio('dump time / mysqldump|gzip -6', limits.dump, lb, gz, 'seconds'));
    out.push(ratio('dump size / mysqldump|gzip -6', 1.15, lb, gz, 'bytes'));
    out.push(ratio('dump time / best mydumper -t 2 -c', 0.9, lb, best(t.dump, ['mydumper', 'mydumper-chunked']), 'seconds'));
    out.push(rss('dump peak RSS', lb));
    out.push(ratio('zstd dump time / mysqldump|zstd -3 -T2', 1, get(t.dump, 'lifeboat-zstd'), get(t.dump, 'mysqldump-zstd'), 'seconds'));
  }
  if (t.text) {
    // The issue's text-heavy shop: the dump's bounds hold there too.
    const lb = get(t.text, 'lifeboat');
    const gz = get(t.text, 'mysqldump-gzip');
    out.push(ratio('text-heavy dump time / mysqldump|gzip -6', limits.dump, lb, gz, 'seconds'));
    out.push(ratio('text-heavy dump size / mysqldump|gzip -6', 1.15, lb, gz, 'bytes'));
  }
  if (t.restore) {
    const lb = get(t.restore, 'lifeboat');
    // Both over a full copy of the shop with a few rows changed (bench/runs/restore.ts).
    out.push(ratio('rollback over the shop / zcat|mysql over it', limits.rollback, lb, get(t.restore, 'zcat-mysql'), 'seconds'));
    out.push(ratio('rollback over the shop / best myloader -t 2 -o', 0.9, lb, best(t.restore, ['myloader', 'myloader-chunked']), 'seconds'));
    out.push(rss('rollback peak RSS', lb));
    out.push(ratio('rollback time from .sql.zst / from .sql.gz', 1, get(t.restore, 'lifeboat-zstd'), lb, 'seconds'));
  }
  if (t.treeBackup) {
    const lb = get(t.treeBackup, 'lifeboat');
    const tar = get(t.treeBackup, 'tar-gzip');
    out.push(ratio('system backup time / tar -czf', limits.systemBackup, lb, tar, 'seconds'));
    out.push(ratio('system archive size / tar -czf', 1.05, lb, tar, 'bytes'));
    out.push(rss('system backup peak RSS', lb));
    const zstd = get(t.treeBackup, 'lifeboat-zstd');
    const tarZstd = get(t.treeBackup, 'tar-zstd');
    out.push(ratio("zstd system backup time / tar -I 'zstd -3 -T2'", 1, zstd, tarZstd, 'seconds'));
    out.push(ratio("zstd system archive size / tar -I 'zstd -3 -T2'", 1.05, zstd, tarZstd, 'bytes'));
  }
  if (t.treeRestore) {
    const lb = get(t.treeRestore, 'lifeboat');
    // Both over the full tree with a few files changed, added and removed (bench/runs/tree.ts); Lifeboat's
    // rolls the shop back to a backup of itself, as a shop's rollback to last night's backup does.
    out.push(ratio('tree rollback over the shop it backed up / by hand (tar -xzf beside, mv, rm -rf)', limits.treeRollback, lb, get(t.treeRestore, 'tar-replace'), 'seconds'));
    out.push(rss('tree rollback peak RSS', lb));
    out.push(ratio('tree rollback time from .tar.zst / from .tgz', 1, get(t.treeRestore, 'lifeboat-zstd'), lb, 'seconds'));
  }
  if (t.incremental) out.push(...incrementalTargets(t.incremental));
  if (t.lockDetail !== undefined || t.lockMaxMs !== undefined) {
    const name = "slowest shop write during Lifeboat's dump";
    out.push(
      t.lockMaxMs === undefined
        ? { name, limit: 1000, unit: 'ms', detail: t.lockDetail ?? 'not measured' }
        : { name, value: t.lockMaxMs, limit: 1000, unit: 'ms', pass: t.lockMaxMs <= 1000, detail: t.lockDetail ?? '' },
    );
  }
  if (t.lifeboatPerTable !== undefined || t.mysqldumpPerTable !== undefined) {
    const name = 'dump cost per tiny table / mysqldump';
    const a = t.lifeboatPerTable;
    const b = t.mysqldumpPerTable;
    if (a === undefined || b === undefined || b <= 0) out.push({ name, limit: 1, unit: 'x', detail: 'one side not measured (or mysqldump showed no per-table cost)' });
    else out.push({ name, value: a / b, limit: 1, unit: 'x', pass: a / b <= 1, detail: `${(a * 1000).toFixed(2)} ms / ${(b * 1000).toFixed(2)} ms per table` });
  }
  if (t.startup) {
    const node = get(t.startup, 'node');
    out.push(ratio('lifeboat --help / node -e 0', 3, get(t.startup, 'help'), node, 'seconds'));
    out.push(ratio('backup db (1 table) / node -e 0', 6, get(t.startup, 'backup'), node, 'seconds'));
  }
  return out;
}

/**
 * Ratios shown with no bound beside the targets: Lifeboat's rollbacks until their detached cleanup ended;
 * the tree rollback over the full tree against a plain extraction into an empty folder; the rollback from
 * an incremental backup against restic's restore; Lifeboat's zstd dump of the text-heavy database against
 * mysqldump | zstd -3 -T2.
 */
export function extraRatios(t: TargetInputs): InfoRatio[] {
  const out: InfoRatio[] = [];
  const get = (list: Summary[] | undefined, key: string) => list?.find((s) => s.key === key);
  // A rollback's command ends when the shop is whole; what it replaced is removed after, in a detached
  // process: its time until that ended too, next to the reference that does the removal in its time.
  const untilCleaned = (s: Summary | undefined): Summary | undefined =>
    s && { ...s, seconds: s.untilCleanedSeconds, label: `${s.label}, until its cleanup ended` };
  if (t.restore) {
    out.push(quotient('database rollback until its old tables were dropped / zcat|mysql over the shop', untilCleaned(get(t.restore, 'lifeboat')), get(t.restore, 'zcat-mysql'), 'seconds'));
  }
  if (t.treeRestore) {
    out.push(quotient('tree rollback until its old tree was removed / by hand (rm -rf included)', untilCleaned(get(t.treeRestore, 'lifeboat')), get(t.treeRestore, 'tar-replace'), 'seconds'));
    out.push(quotient('tree rollback (over the full tree) / tar -xzf into an empty folder', get(t.treeRestore, 'lifeboat'), get(t.treeRestore, 'tar-xzf'), 'seconds'));
    out.push(quotient('tree rollback / by hand, durable (sync -f before the swap)', get(t.treeRestore, 'lifeboat'), get(t.treeRestore, 'tar-replace-sync'), 'seconds'));
    out.push(quotient('tree rollback over a copy of the tree (every file compared) / by hand', get(t.treeRestore, 'lifeboat-copy'), get(t.treeRestore, 'tar-replace'), 'seconds'));
  }
  if (t.incremental) {
    const restore = t.incremental.restore;
    out.push(quotient('rollback from an incremental backup / restic restore into an empty folder', get(restore, 'lifeboat'), get(restore, 'restic-restore'), 'seconds'));
    out.push(quotient('incremental rollback over a copy of the tree / tar -xzf into an empty folder', get(restore, 'lifeboat-copy'), get(restore, 'tar-xzf'), 'seconds'));
    out.push(quotient('restic restore / tar -xzf, both into an empty folder', get(restore, 'restic-restore'), get(restore, 'tar-xzf'), 'seconds'));
  }
  if (t.text) {
    out.push(quotient('text-heavy zstd dump time / mysqldump|zstd -3 -T2', get(t.text, 'lifeboat-zstd'), get(t.text, 'mysqldump-zstd'), 'seconds'));
    out.push(quotient('text-heavy zstd dump size / mysqldump|zstd -3 -T2', get(t.text, 'lifeboat-zstd'), get(t.text, 'mysqldump-zstd'), 'bytes'));
  }
  return out;
}

/** The start-up section's ratios that have no bound: Lifeboat next to the standard tools, and rollback's start. */
export function startupRatios(startup: Summary[]): InfoRatio[] {
  const get = (key: string) => startup.find((s) => s.key === key);
  const dump = get('dump-gzip');
  const load = get('zcat-mysql');
  // "mariadb-dump | gzip -6" as "mariadb-dump|gzip -6", without a note in parentheses.
  const short = (s: Summary | undefined, fallback: string) => s?.label.split(' (')[0].replace(/ \| /g, '|') ?? fallback;
  return [
    quotient(`backup db (1 table) / ${short(dump, 'mysqldump|gzip -6')}`, get('backup'), dump, 'seconds'),
    quotient(`rollback (1 table) / ${short(load, 'zcat|mysql')}`, get('rollback'), load, 'seconds'),
    quotient('rollback (1 table) / node -e 0', get('rollback'), get('node'), 'seconds'),
  ];
}
