// Prometheus text exposition (format 0.0.4) of the backup state, for `lifeboat serve`'s /metrics.
// Pure rendering: the caller gathers the numbers (from the job records) and serves the text with
// METRICS_CONTENT_TYPE.

/** What is known about one backup type. Missing values are left out rather than shown as 0. */
export interface BackupTypeMetrics {
  /** Backup type: db, media, system, nomedia, code. */
  type: string;
  /** Unix time (seconds) when the last successful backup of this type finished. */
  lastSuccessTime?: number;
  /** How long the last successful backup of this type took, in seconds. */
  lastDurationSeconds?: number;
  /** Archive size of the last successful backup of this type, in bytes. */
  lastSizeBytes?: number;
  /** Failed backups of this type (since the state was created; a counter only grows). */
  failuresTotal: number;
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Family {
  name: string;
  kind: 'gauge' | 'counter';
  help: string;
  value(sample: BackupTypeMetrics): number | undefined;
}

const FAMILIES: Family[] = [
  {
    name: 'lifeboat_backup_last_success_timestamp_seconds',
    kind: 'gauge',
    help: 'Unix time when the last successful backup of this type finished.',
    value: (s) => s.lastSuccessTime,
  },
  {
    name: 'lifeboat_backup_last_duration_seconds',
    kind: 'gauge',
    help: 'Duration of the last successful backup of this type, in seconds.',
    value: (s) => s.lastDurationSeconds,
  },
  {
    name: 'lifeboat_backup_last_size_bytes',
    kind: 'gauge',
    help: 'Archive size of the last successful backup of this type, in bytes.',
    value: (s) => s.lastSizeBytes,
  },
  {
    name: 'lifeboat_backup_failures_total',
    kind: 'counter',
    help: 'Failed backups of this type.',
    value: (s) => s.failuresTotal,
  },
];

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Renders one block per metric family (# HELP, # TYPE, then one line per type), types sorted so the
 * output is stable. `labels` are added to every line, e.g. { shop: 'main' } when one server watches
 * several shops. A family with no value for any type still gets its HELP and TYPE lines.
 */
export function renderMetrics(samples: readonly BackupTypeMetrics[], labels: Readonly<Record<string, string>> = {}): string {
  for (const name of Object.keys(labels)) {
    // Names starting with __ are reserved for Prometheus itself; `type` is ours.
    if (!LABEL_NAME.test(name) || name.startsWith('__') || name === 'type') throw new Error(`metrics: invalid label name "${name}"`);
  }
  const types = samples.map((s) => s.type);
  const duplicate = types.find((type, index) => types.indexOf(type) !== index);
  if (duplicate !== undefined) throw new Error(`metrics: type "${duplicate}" given twice`);
  const sorted = [...samples].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));

  const lines: string[] = [];
  for (const family of FAMILIES) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.kind}`);
    for (const sample of sorted) {
      const value = family.value(sample);
      if (value === undefined) continue;
      lines.push(`${family.name}${formatLabels({ ...labels, type: sample.type })} ${formatValue(value)}`);
    }
  }
  return lines.join('\n') + '\n';
}

function formatLabels(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  return `{${pairs.join(',')}}`;
}

/** In label values, backslash, double quote and line feed must be escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** In HELP text, backslash and line feed must be escaped (quotes need not). */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Go's ParseFloat spellings: NaN, +Inf, -Inf; everything else as JavaScript prints it (1e+21 parses). */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** What the kept restore drills say (drill-record.ts): Unix times and whether the last one passed. */
export interface DrillMetrics {
  lastTime?: number;
  lastOk?: boolean;
  lastSuccessTime?: number;
}

/** The restore drills' gauges, one line each (no type label), in the same exposition format. */
export function renderDrillMetrics(drills: DrillMetrics, labels: Readonly<Record<string, string>> = {}): string {
  const families: [string, string, number | undefined][] = [
    ['lifeboat_last_drill_success_timestamp_seconds', 'Unix time when the last restore drill that found every table as recorded finished.', drills.lastSuccessTime],
    ['lifeboat_last_drill_timestamp_seconds', 'Unix time when the last restore drill finished.', drills.lastTime],
    ['lifeboat_last_drill_ok', '1 when the last restore drill found every table as recorded, else 0.', drills.lastOk === undefined ? undefined : Number(drills.lastOk)],
  ];
  const lines: string[] = [];
  for (const [name, help, value] of families) {
    lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} gauge`);
    if (value !== undefined) lines.push(`${name}${Object.keys(labels).length ? formatLabels(labels) : ''} ${formatValue(value)}`);
  }
  return lines.join('\n') + '\n';
}
