// How records and numbers look on a terminal and in --json output.
import path from 'node:path';
import type { BackupRecord } from '../core/types.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function humanBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${UNITS[unit]}`;
}

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

/** The stable JSON shape of a record, shared by `backup --json` and `list --json`. */
export function recordJson(record: BackupRecord, backupDir: string): Record<string, unknown> {
  return {
    id: record.id,
    file: record.file,
    path: path.join(backupDir, record.file),
    type: record.type,
    name: record.name,
    time: record.time,
    createdAt: new Date(record.time * 1000).toISOString(),
    size: record.size,
    sha256: record.sha256 ?? null,
    origin: record.origin,
    ...(record.locations ? { locations: record.locations } : {}),
    ...(record.manifest
      ? {
          engine: record.manifest.engine?.kind ?? null,
          database: record.manifest.engine?.database ?? null,
          tables: record.manifest.tables.length,
          rows: record.manifest.tables.reduce((sum, t) => sum + t.rows, 0),
          sqlBytes: record.manifest.sqlBytes,
          ...(record.manifest.tree
            ? {
                dump: record.manifest.dump?.path ?? null,
                files: record.manifest.tree.files,
                dirs: record.manifest.tree.dirs,
                symlinks: record.manifest.tree.symlinks,
                hardlinks: record.manifest.tree.hardlinks,
                treeBytes: record.manifest.tree.bytes,
                followedSymlinks: record.manifest.tree.followedSymlinks,
              }
            : {}),
          warnings: record.manifest.warnings,
        }
      : {}),
  };
}

/** A plain text table with left-aligned columns. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
