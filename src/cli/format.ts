// How records and numbers look on a terminal and in --json output.
import path from 'node:path';
import { recordSummary } from '../core/record-summary.js';
import type { BackupRecord } from '../shared/types.js';

export { humanBytes } from '../shared/units.js';

export function humanDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** Local time without seconds' fractions: what a person reads in a table. */
export function localTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `backup --json` and `list --json`: the record's summary plus its local path. */
export function recordJson(record: BackupRecord, backupDir: string): Record<string, unknown> {
  return { path: path.join(backupDir, record.file), ...recordSummary(record) };
}

/** A plain text table with left-aligned columns. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
