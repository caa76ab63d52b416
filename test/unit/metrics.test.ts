import { describe, expect, it } from 'vitest';
import { escapeLabelValue, METRICS_CONTENT_TYPE, renderMetrics } from '../../src/core/metrics.js';

describe('renderMetrics', () => {
  it('renders HELP and TYPE once per family, then one line per type, sorted', () => {
    const text = renderMetrics([
      { type: 'system', failuresTotal: 2 },
      { type: 'db', lastSuccessTime: 1764000000, lastDurationSeconds: 12.5, lastSizeBytes: 43210987, failuresTotal: 0 },
    ]);
    expect(text).toBe(
      [
        '# HELP lifeboat_backup_last_success_timestamp_seconds Unix time when the last successful backup of this type finished.',
        '# TYPE lifeboat_backup_last_success_timestamp_seconds gauge',
        'lifeboat_backup_last_success_timestamp_seconds{type="db"} 1764000000',
        '# HELP lifeboat_backup_last_duration_seconds Duration of the last successful backup of this type, in seconds.',
        '# TYPE lifeboat_backup_last_duration_seconds gauge',
        'lifeboat_backup_last_duration_seconds{type="db"} 12.5',
        '# HELP lifeboat_backup_last_size_bytes Archive size of the last successful backup of this type, in bytes.',
        '# TYPE lifeboat_backup_last_size_bytes gauge',
        'lifeboat_backup_last_size_bytes{type="db"} 43210987',
        '# HELP lifeboat_backup_failures_total Failed backups of this type.',
        '# TYPE lifeboat_backup_failures_total counter',
        'lifeboat_backup_failures_total{type="db"} 0',
        'lifeboat_backup_failures_total{type="system"} 2',
        '',
      ].join('\n'),
    );
    expect(METRICS_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('escapes label values and adds common labels to every line', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    const text = renderMetrics([{ type: 'db', failuresTotal: 1 }], { shop: 'Kim\'s "shop"\\main\nEU' });
    expect(text).toContain('lifeboat_backup_failures_total{shop="Kim\'s \\"shop\\"\\\\main\\nEU",type="db"} 1\n');
    // Every sample line has the form name{labels} value, one per line.
    for (const line of text.trimEnd().split('\n').filter((l) => !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-z_]+\{(?:[a-z_]+="(?:[^"\\\n]|\\["\\n])*",?)+\} \S+$/);
    }
  });

  it('writes special values the way Prometheus parses them, and an empty list as families only', () => {
    expect(renderMetrics([{ type: 'db', lastDurationSeconds: NaN, lastSizeBytes: Infinity, failuresTotal: 0 }])).toContain(
      'lifeboat_backup_last_duration_seconds{type="db"} NaN\n',
    );
    expect(renderMetrics([{ type: 'db', lastSizeBytes: Infinity, failuresTotal: 0 }])).toContain('lifeboat_backup_last_size_bytes{type="db"} +Inf\n');
    const empty = renderMetrics([]);
    expect(empty.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([]);
    expect(empty.match(/^# TYPE /gm)).toHaveLength(4);
  });

  it('refuses invalid label names and a type given twice', () => {
    expect(() => renderMetrics([], { 'shop-name': 'x' })).toThrow(/invalid label name "shop-name"/);
    expect(() => renderMetrics([], { __name__: 'x' })).toThrow(/invalid label name/);
    expect(() => renderMetrics([], { type: 'x' })).toThrow(/invalid label name/);
    expect(() => renderMetrics([{ type: 'db', failuresTotal: 0 }, { type: 'db', failuresTotal: 1 }])).toThrow(/"db" given twice/);
  });
});
