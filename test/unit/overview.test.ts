// The freshness of the last good backup against the schedule (overview.ts).
import { describe, expect, it } from 'vitest';
import { freshness } from '../../src/core/overview.js';
import { parseScheduleInput } from '../../src/core/schedule/schedule.js';

const hours = (n: number) => n * 3600;

describe('freshness', () => {
  const daily = parseScheduleInput({ type: 'db', frequency: 'daily', time: '02:00' });
  const weekly = parseScheduleInput({ type: 'db', frequency: 'weekly', time: '02:00' });
  it('is on time within a period and an hour, late within two, missing after', () => {
    expect(freshness(hours(24), daily)).toBe('ok');
    expect(freshness(hours(26), daily)).toBe('late');
    expect(freshness(hours(50), daily)).toBe('missing');
    expect(freshness(hours(24 * 6), weekly)).toBe('ok');
    expect(freshness(hours(24 * 10), weekly)).toBe('late');
  });
  it('is missing without a backup, and unscheduled without an enabled schedule', () => {
    expect(freshness(null, daily)).toBe('missing');
    expect(freshness(hours(200), undefined)).toBe('unscheduled');
    expect(freshness(hours(1), { ...daily, enabled: false })).toBe('unscheduled');
    expect(freshness(null, undefined)).toBe('missing');
  });
});
