import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/shared/errors.js';
import { parseRetentionPolicy, planRetention, type RetentionCandidate, type RetentionPolicy } from '../../src/core/schedule/retention.js';

function backup(id: string, isoTime: string, type = 'db', isProtected?: boolean): RetentionCandidate {
  return { id, time: Date.parse(isoTime) / 1000, type, ...(isProtected ? { protected: true } : {}) };
}

/** One db backup a day at 01:00 UTC, ids being the date, from `first` to `last` inclusive. */
function dailyBackups(first: string, last: string, type = 'db'): RetentionCandidate[] {
  const list: RetentionCandidate[] = [];
  for (let t = Date.parse(`${first}T01:00:00Z`); t <= Date.parse(`${last}T01:00:00Z`); t += 86_400_000) {
    list.push(backup(new Date(t).toISOString().slice(0, 10), new Date(t).toISOString(), type));
  }
  return list;
}

function kept(backups: RetentionCandidate[], policy: RetentionPolicy, zone = 'UTC'): Record<string, string[]> {
  return Object.fromEntries(planRetention(backups, policy, zone).keep.map((k) => [k.id, k.reasons]));
}

describe('planRetention', () => {
  it('keep-last keeps the n newest, whatever order they come in', () => {
    const list = dailyBackups('2025-03-01', '2025-03-10');
    const shuffled = [list[4], list[0], list[9], list[2], list[7], list[1], list[3], list[8], list[5], list[6]];
    const plan = planRetention(shuffled, { keepLast: 3 }, 'UTC');
    expect(plan.keep).toEqual([
      { id: '2025-03-10', reasons: ['last'] },
      { id: '2025-03-09', reasons: ['last'] },
      { id: '2025-03-08', reasons: ['last'] },
    ]);
    expect(plan.remove.map((r) => r.id)).toEqual(['2025-03-07', '2025-03-06', '2025-03-05', '2025-03-04', '2025-03-03', '2025-03-02', '2025-03-01']);
  });

  it('keep-daily keeps the newest of each of the last n days that have backups (days without one do not count)', () => {
    const list = [
      backup('31-late', '2025-03-31T10:00:00Z'),
      backup('31-early', '2025-03-31T08:00:00Z'),
      backup('30', '2025-03-30T23:59:59Z'),
      backup('28', '2025-03-28T00:00:00Z'),
      backup('27', '2025-03-27T12:00:00Z'),
      backup('20', '2025-03-20T12:00:00Z'),
    ];
    const plan = planRetention(list, { keepDaily: 3 }, 'UTC');
    expect(plan.keep.map((k) => k.id)).toEqual(['31-late', '30', '28']);
    expect(plan.remove.map((r) => r.id)).toEqual(['31-early', '27', '20']);
  });

  it('keep-weekly counts ISO weeks (Monday to Sunday), also across the new year', () => {
    const list = [
      backup('2025-W02-sun', '2025-01-12T12:00:00Z'),
      backup('2025-W02-mon', '2025-01-06T12:00:00Z'),
      backup('2025-W01-sun', '2025-01-05T12:00:00Z'),
      backup('2025-W01-mon-2024-12-30', '2024-12-30T12:00:00Z'),
      backup('2024-W52-sun', '2024-12-29T12:00:00Z'),
      backup('2024-W52-sat', '2024-12-28T12:00:00Z'),
    ];
    expect(Object.keys(kept(list, { keepWeekly: 2 }))).toEqual(['2025-W02-sun', '2025-W01-sun']);
    expect(Object.keys(kept(list, { keepWeekly: 3 }))).toEqual(['2025-W02-sun', '2025-W01-sun', '2024-W52-sun']);
  });

  it('keep-monthly keeps the newest of each month', () => {
    expect(kept(dailyBackups('2025-01-01', '2025-03-31'), { keepMonthly: 2 })).toEqual({ '2025-03-31': ['monthly'], '2025-02-28': ['monthly'] });
    expect(kept(dailyBackups('2024-01-15', '2024-03-15'), { keepMonthly: 12 })).toEqual({
      '2024-03-15': ['monthly'],
      '2024-02-29': ['monthly'],
      '2024-01-31': ['monthly'],
    });
  });

  it('combines rules, and a backup kept by several rules lists every reason', () => {
    // 90 days; 2025-03-31 is a Monday.
    const plan = planRetention(dailyBackups('2025-01-01', '2025-03-31'), { keepLast: 2, keepDaily: 5, keepWeekly: 3, keepMonthly: 3 }, 'UTC');
    expect(plan.keep).toEqual([
      { id: '2025-03-31', reasons: ['last', 'daily', 'weekly', 'monthly'] },
      { id: '2025-03-30', reasons: ['last', 'daily', 'weekly'] },
      { id: '2025-03-29', reasons: ['daily'] },
      { id: '2025-03-28', reasons: ['daily'] },
      { id: '2025-03-27', reasons: ['daily'] },
      { id: '2025-03-23', reasons: ['weekly'] },
      { id: '2025-02-28', reasons: ['monthly'] },
      { id: '2025-01-31', reasons: ['monthly'] },
    ]);
    expect(plan.remove).toHaveLength(82);
    expect(plan.remove[0]).toEqual({ id: '2025-03-26' });
  });

  it('counts days in the given time zone', () => {
    const list = [backup('a', '2025-03-10T23:30:00Z'), backup('b', '2025-03-10T22:30:00Z'), backup('c', '2025-03-09T12:00:00Z')];
    // In UTC a and b are both on 10 March; in Amsterdam (+1) a is already 11 March.
    expect(Object.keys(kept(list, { keepDaily: 2 }, 'UTC'))).toEqual(['a', 'c']);
    expect(Object.keys(kept(list, { keepDaily: 2 }, 'Europe/Amsterdam'))).toEqual(['a', 'b']);
  });

  it('applies the policy to each type on its own', () => {
    const list = [...dailyBackups('2025-03-01', '2025-03-10', 'db'), ...dailyBackups('2025-01-01', '2025-01-04', 'system').map((b) => ({ ...b, id: `sys-${b.id}` }))];
    const plan = planRetention(list, { keepLast: 2 }, 'UTC');
    expect(plan.keep.map((k) => k.id)).toEqual(['2025-03-10', '2025-03-09', 'sys-2025-01-04', 'sys-2025-01-03']);
    expect(plan.remove).toHaveLength(10);
  });

  it('never removes a protected backup, which still counts in the policy like any other', () => {
    const list = dailyBackups('2025-03-01', '2025-03-05').map((b) => (b.id === '2025-03-02' ? { ...b, protected: true } : b));
    expect(kept(list, { keepLast: 1 })).toEqual({ '2025-03-05': ['last'], '2025-03-02': ['protected'] });
    const newestProtected = list.map((b) => (b.id === '2025-03-05' ? { ...b, protected: true } : b));
    expect(kept(newestProtected, { keepLast: 2 })).toEqual({ '2025-03-05': ['last', 'protected'], '2025-03-04': ['last'], '2025-03-02': ['protected'] });
  });

  it('keeps the newest backup of each type under any policy, and keeps backups of equal time in input order', () => {
    const list = [backup('same-second-newer', '2025-03-10T01:00:00Z'), backup('same-second-older', '2025-03-10T01:00:00Z'), backup('old', '2025-01-01T00:00:00Z')];
    expect(planRetention(list, { keepLast: 1 }, 'UTC')).toEqual({
      keep: [{ id: 'same-second-newer', reasons: ['last'] }],
      remove: [{ id: 'same-second-older' }, { id: 'old' }],
    });
    for (const policy of [{ keepLast: 1 }, { keepDaily: 1 }, { keepWeekly: 1 }, { keepMonthly: 1 }]) {
      expect(planRetention(list, policy, 'UTC').keep[0].id).toBe('same-second-newer');
    }
  });

  it('plans nothing for no backups, and refuses bad input', () => {
    expect(planRetention([], { keepLast: 1 }, 'UTC')).toEqual({ keep: [], remove: [] });
    expect(() => planRetention([backup('a', '2025-01-01T00:00:00Z'), backup('a', '2025-01-02T00:00:00Z')], { keepLast: 1 }, 'UTC')).toThrow(/listed twice/);
    expect(() => planRetention([backup('a', '2025-01-01T00:00:00Z')], { keepLast: 1 }, 'Mars/Base')).toThrow(UsageError);
  });

  it('refuses a policy with no rule instead of removing everything', () => {
    const list = dailyBackups('2025-03-01', '2025-03-05');
    for (const policy of [{}, { keepLast: 0 }, { keepDaily: 0, keepWeekly: 0, keepMonthly: 0 }]) {
      expect(() => planRetention(list, policy, 'UTC')).toThrow(UsageError);
      expect(() => planRetention(list, policy, 'UTC')).toThrow(/at least one of --keep-last, --keep-daily, --keep-weekly, --keep-monthly greater than 0.*refusing to remove every backup/);
    }
  });
});

describe('parseRetentionPolicy', () => {
  it('accepts numbers and numeric strings, 0 turning a rule off', () => {
    expect(parseRetentionPolicy({ keepLast: '3', keepDaily: 7, keepWeekly: 0, keepMonthly: undefined })).toEqual({ keepLast: 3, keepDaily: 7, keepWeekly: 0 });
  });

  it.each([
    [{ keepDaily: -1 }, /--keep-daily \(keepDaily\) must be a whole number of 0 or more, got -1/],
    [{ keepWeekly: 1.5 }, /--keep-weekly .* got 1.5/],
    [{ keepMonthly: 'many' }, /--keep-monthly .* got "many"/],
    [{ keepYearly: 1 }, /unknown retention setting "keepYearly"/],
    [[1], /must be an object/],
    [null, /must be an object/],
  ])('refuses %j in one line', (input, message) => {
    expect(() => parseRetentionPolicy(input)).toThrow(UsageError);
    expect(() => parseRetentionPolicy(input)).toThrow(message);
  });
});
