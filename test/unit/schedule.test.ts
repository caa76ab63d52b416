import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/shared/errors.js';
import {
  lastDueRun,
  machineTimeZone,
  nextRun,
  occurrenceKey,
  parseScheduleInput,
  wallClockAt,
  type Schedule,
  type ScheduleInput,
} from '../../src/core/schedule/schedule.js';

// Every clock in this file is fixed: instants are written in UTC, and each expectation was worked out by
// hand from the zone's rules (and checked against what Intl prints for the zone).
const at = (iso: string) => new Date(iso);
const iso = (date: Date | undefined) => date?.toISOString();

function schedule(input: ScheduleInput): Schedule {
  return parseScheduleInput({ timezone: 'UTC', ...input });
}

/** The first `count` runs after `from`, each found by asking for the run after the previous one. */
function runs(s: Schedule, from: string, count: number): string[] {
  const found: string[] = [];
  let after = at(from);
  for (let i = 0; i < count; i++) {
    after = nextRun(s, after);
    found.push(after.toISOString());
  }
  return found;
}

describe('parseScheduleInput', () => {
  it("fills in Magento's defaults and the machine's zone", () => {
    expect(parseScheduleInput({})).toEqual({
      enabled: true,
      type: 'db',
      frequency: 'daily',
      time: '00:00:00',
      timezone: machineTimeZone(),
      weekday: 1,
      dayOfMonth: 1,
      maintenance: false,
    });
  });

  it('normalises what people type', () => {
    const s = parseScheduleInput({
      type: 'system',
      frequency: 'W',
      time: '2:30',
      timezone: 'europe/amsterdam',
      weekday: 'sunday',
      dayOfMonth: '31',
      maintenance: 'yes',
      enabled: 'false',
      retention: { keepDaily: '7', keepWeekly: 4 },
    });
    expect(s).toEqual({
      enabled: false,
      type: 'system',
      frequency: 'weekly',
      time: '02:30:00',
      timezone: 'Europe/Amsterdam',
      weekday: 7,
      dayOfMonth: 31,
      maintenance: true,
      retention: { keepDaily: 7, keepWeekly: 4 },
    });
    expect(parseScheduleInput({ weekday: 'Tue' }).weekday).toBe(2);
    expect(parseScheduleInput({ weekday: 5 }).weekday).toBe(5);
    expect(parseScheduleInput({ time: '23:59:59' }).time).toBe('23:59:59');
  });

  it('updates a saved schedule, keeping what is not given', () => {
    const saved = schedule({ type: 'media', frequency: 'monthly', time: '04:00', dayOfMonth: 15, retention: { keepLast: 3 } });
    const updated = parseScheduleInput({ time: '05:15', enabled: false }, saved);
    expect(updated).toEqual({ ...saved, time: '05:15:00', enabled: false });
    expect(parseScheduleInput({ retention: null }, saved).retention).toBeUndefined();
  });

  it.each([
    [{ time: '25:00' }, /schedule time must be HH:MM or HH:MM:SS .*got "25:00"/],
    [{ time: '12:60' }, /got "12:60"/],
    [{ time: '12:00:60' }, /got "12:00:60"/],
    [{ time: 'noon' }, /got "noon"/],
    [{ timezone: 'Mars/Base' }, /unknown time zone "Mars\/Base"; use an IANA zone name/],
    [{ dayOfMonth: 0 }, /day of month must be 1-31 .*got "0"/],
    [{ dayOfMonth: 32 }, /day of month must be 1-31 .*got "32"/],
    [{ dayOfMonth: '1.5' }, /got "1.5"/],
    [{ weekday: 0 }, /weekday must be 1-7 \(1 = Monday, 7 = Sunday\).*got "0"/],
    [{ weekday: 8 }, /got "8"/],
    [{ weekday: 'funday' }, /got "funday"/],
    [{ type: 'full' }, /schedule type must be db, media, system or nomedia, got "full"/],
    [{ frequency: 'hourly' }, /schedule frequency must be daily, weekly or monthly, got "hourly"/],
    [{ maintenance: 'maybe' }, /schedule maintenance must be true or false, got "maybe"/],
    [{ retention: {} }, /at least one of --keep-last/],
  ] as [ScheduleInput, RegExp][])('refuses %j in one line', (input, message) => {
    let error: unknown;
    try {
      parseScheduleInput(input);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });
});

describe('nextRun and lastDueRun in UTC', () => {
  const daily = schedule({ time: '02:30' });

  it('daily: later today, or tomorrow once the time has passed (strictly after)', () => {
    expect(iso(nextRun(daily, at('2025-01-15T01:00:00Z')))).toBe('2025-01-15T02:30:00.000Z');
    expect(iso(nextRun(daily, at('2025-01-15T02:29:59.999Z')))).toBe('2025-01-15T02:30:00.000Z');
    expect(iso(nextRun(daily, at('2025-01-15T02:30:00Z')))).toBe('2025-01-16T02:30:00.000Z');
    expect(runs(daily, '2025-12-30T12:00:00Z', 3)).toEqual(['2025-12-31T02:30:00.000Z', '2026-01-01T02:30:00.000Z', '2026-01-02T02:30:00.000Z']);
  });

  it('lastDueRun: exactly at the time is due, one millisecond before is the previous run', () => {
    expect(iso(lastDueRun(daily, at('2025-01-15T02:30:00Z')))).toBe('2025-01-15T02:30:00.000Z');
    expect(iso(lastDueRun(daily, at('2025-01-15T02:29:59.999Z')))).toBe('2025-01-14T02:30:00.000Z');
    expect(iso(lastDueRun(daily, at('2025-01-15T23:59:59Z')))).toBe('2025-01-15T02:30:00.000Z');
    expect(iso(lastDueRun(daily, at('2025-01-01T00:00:00Z')))).toBe('2024-12-31T02:30:00.000Z');
  });

  it('lastDueRun: nothing due before notBefore (a schedule saved after today\'s time does not run at once)', () => {
    const savedAt = at('2025-01-15T10:00:00Z');
    expect(lastDueRun(daily, at('2025-01-15T10:05:00Z'), savedAt)).toBeUndefined();
    expect(lastDueRun(daily, at('2025-01-16T02:29:59Z'), savedAt)).toBeUndefined();
    expect(iso(lastDueRun(daily, at('2025-01-16T02:30:00Z'), savedAt))).toBe('2025-01-16T02:30:00.000Z');
    expect(iso(lastDueRun(daily, at('2025-01-15T10:05:00Z'), at('2025-01-15T02:30:00Z')))).toBe('2025-01-15T02:30:00.000Z');
  });

  it('weekly: Mondays by default, any ISO weekday when asked', () => {
    // 2025-01-15 is a Wednesday.
    expect(runs(schedule({ frequency: 'weekly', time: '03:00' }), '2025-01-15T12:00:00Z', 2)).toEqual([
      '2025-01-20T03:00:00.000Z',
      '2025-01-27T03:00:00.000Z',
    ]);
    expect(iso(nextRun(schedule({ frequency: 'weekly', weekday: 7, time: '03:00' }), at('2025-01-15T12:00:00Z')))).toBe('2025-01-19T03:00:00.000Z');
    const wednesday = schedule({ frequency: 'weekly', weekday: 3, time: '03:00' });
    expect(iso(nextRun(wednesday, at('2025-01-15T02:00:00Z')))).toBe('2025-01-15T03:00:00.000Z');
    expect(iso(nextRun(wednesday, at('2025-01-15T03:00:00Z')))).toBe('2025-01-22T03:00:00.000Z');
    expect(iso(lastDueRun(wednesday, at('2025-01-15T02:59:59.999Z')))).toBe('2025-01-08T03:00:00.000Z');
    expect(iso(lastDueRun(wednesday, at('2025-01-21T00:00:00Z')))).toBe('2025-01-15T03:00:00.000Z');
  });

  it('monthly: the 1st by default, and day 31 means the last day of shorter months', () => {
    expect(runs(schedule({ frequency: 'monthly', time: '00:00' }), '2025-01-15T00:00:00Z', 2)).toEqual(['2025-02-01T00:00:00.000Z', '2025-03-01T00:00:00.000Z']);
    expect(runs(schedule({ frequency: 'monthly', dayOfMonth: 31, time: '03:00' }), '2025-01-01T00:00:00Z', 12).map((d) => d.slice(0, 10))).toEqual([
      '2025-01-31',
      '2025-02-28',
      '2025-03-31',
      '2025-04-30',
      '2025-05-31',
      '2025-06-30',
      '2025-07-31',
      '2025-08-31',
      '2025-09-30',
      '2025-10-31',
      '2025-11-30',
      '2025-12-31',
    ]);
    const the15th = schedule({ frequency: 'monthly', dayOfMonth: 15, time: '03:00' });
    expect(iso(nextRun(the15th, at('2025-01-15T03:00:00Z')))).toBe('2025-02-15T03:00:00.000Z');
    expect(iso(lastDueRun(the15th, at('2025-01-15T02:59:59.999Z')))).toBe('2024-12-15T03:00:00.000Z');
    expect(iso(lastDueRun(schedule({ frequency: 'monthly', dayOfMonth: 31, time: '03:00' }), at('2025-03-30T00:00:00Z')))).toBe('2025-02-28T03:00:00.000Z');
  });

  it('monthly: leap years (2024 and 2000 have 29 February, 2025 and 2100 do not)', () => {
    const the29th = schedule({ frequency: 'monthly', dayOfMonth: 29, time: '12:00' });
    expect(iso(nextRun(the29th, at('2024-01-29T12:00:00Z')))).toBe('2024-02-29T12:00:00.000Z');
    expect(iso(nextRun(the29th, at('2025-01-29T12:00:00Z')))).toBe('2025-02-28T12:00:00.000Z');
    expect(iso(nextRun(the29th, at('2025-02-28T12:00:00Z')))).toBe('2025-03-29T12:00:00.000Z');
    const the30th = schedule({ frequency: 'monthly', dayOfMonth: 30, time: '12:00' });
    expect(iso(nextRun(the30th, at('2000-01-30T12:00:00Z')))).toBe('2000-02-29T12:00:00.000Z');
    expect(iso(nextRun(the30th, at('2100-01-30T12:00:00Z')))).toBe('2100-02-28T12:00:00.000Z');
    expect(iso(lastDueRun(the30th, at('2024-03-29T00:00:00Z')))).toBe('2024-02-29T12:00:00.000Z');
    // Daily across 29 February.
    expect(runs(schedule({ time: '12:00' }), '2024-02-28T13:00:00Z', 2)).toEqual(['2024-02-29T12:00:00.000Z', '2024-03-01T12:00:00.000Z']);
  });
});

describe('daylight saving time', () => {
  describe('Europe/Amsterdam (CET +1, CEST +2; jumps 2025-03-30 02:00→03:00, falls back 2025-10-26 03:00→02:00)', () => {
    const daily = (time: string) => schedule({ time, timezone: 'Europe/Amsterdam' });

    it('spring: 02:30 does not exist on the day clocks jump and runs at 03:00, the first valid instant after', () => {
      expect(runs(daily('02:30'), '2025-03-29T00:00:00Z', 3)).toEqual([
        '2025-03-29T01:30:00.000Z', // 02:30 CET
        '2025-03-30T01:00:00.000Z', // 03:00 CEST
        '2025-03-31T00:30:00.000Z', // 02:30 CEST
      ]);
      expect(iso(nextRun(daily('02:00'), at('2025-03-29T12:00:00Z')))).toBe('2025-03-30T01:00:00.000Z');
      expect(iso(nextRun(daily('01:59:59'), at('2025-03-29T12:00:00Z')))).toBe('2025-03-30T00:59:59.000Z');
      expect(iso(nextRun(daily('03:00'), at('2025-03-29T12:00:00Z')))).toBe('2025-03-30T01:00:00.000Z');
      expect(wallClockAt(Date.parse('2025-03-30T01:00:00Z'), 'Europe/Amsterdam')).toEqual({ year: 2025, month: 3, day: 30, hour: 3, minute: 0, second: 0 });
    });

    it('spring: lastDueRun around the gap', () => {
      expect(iso(lastDueRun(daily('02:30'), at('2025-03-30T01:00:00Z')))).toBe('2025-03-30T01:00:00.000Z');
      expect(iso(lastDueRun(daily('02:30'), at('2025-03-30T00:59:59.999Z')))).toBe('2025-03-29T01:30:00.000Z');
    });

    it('autumn: 02:30 happens twice and runs once, at the first (summer-time) one', () => {
      expect(runs(daily('02:30'), '2025-10-25T00:00:00Z', 3)).toEqual([
        '2025-10-25T00:30:00.000Z', // 02:30 CEST
        '2025-10-26T00:30:00.000Z', // the first 02:30, still CEST; the second (01:30Z, CET) is skipped
        '2025-10-27T01:30:00.000Z', // 02:30 CET
      ]);
      // cron at both 02:30s: the same occurrence, so the same key, and it runs once.
      const first = lastDueRun(daily('02:30'), at('2025-10-26T00:31:00Z'));
      const second = lastDueRun(daily('02:30'), at('2025-10-26T01:45:00Z'));
      expect(iso(first)).toBe('2025-10-26T00:30:00.000Z');
      expect(occurrenceKey(second!)).toBe(occurrenceKey(first!));
      expect(iso(lastDueRun(daily('02:30'), at('2025-10-26T00:29:59.999Z')))).toBe('2025-10-25T00:30:00.000Z');
    });

    it('weekly and monthly on the days clocks change', () => {
      // 2025-03-30 and 2025-10-26 are Sundays.
      const sundays = schedule({ frequency: 'weekly', weekday: 7, time: '02:30', timezone: 'Europe/Amsterdam' });
      expect(runs(sundays, '2025-03-22T12:00:00Z', 3)).toEqual(['2025-03-23T01:30:00.000Z', '2025-03-30T01:00:00.000Z', '2025-04-06T00:30:00.000Z']);
      const the30th = schedule({ frequency: 'monthly', dayOfMonth: 30, time: '02:30', timezone: 'Europe/Amsterdam' });
      expect(iso(nextRun(the30th, at('2025-03-01T00:00:00Z')))).toBe('2025-03-30T01:00:00.000Z');
    });
  });

  describe('America/New_York (EST -5, EDT -4; jumps 2025-03-09 02:00→03:00, falls back 2025-11-02 02:00→01:00)', () => {
    const zone = 'America/New_York';

    it('spring: 02:30 runs at 03:00 EDT on the day clocks jump', () => {
      expect(runs(schedule({ time: '02:30', timezone: zone }), '2025-03-08T00:00:00Z', 3)).toEqual([
        '2025-03-08T07:30:00.000Z',
        '2025-03-09T07:00:00.000Z',
        '2025-03-10T06:30:00.000Z',
      ]);
      const sundays = schedule({ frequency: 'weekly', weekday: 7, time: '02:30', timezone: zone });
      expect(runs(sundays, '2025-03-01T00:00:00Z', 3)).toEqual(['2025-03-02T07:30:00.000Z', '2025-03-09T07:00:00.000Z', '2025-03-16T06:30:00.000Z']);
    });

    it('autumn: 01:30 happens twice and runs once, at the first (EDT) one', () => {
      const daily = schedule({ time: '01:30', timezone: zone });
      expect(runs(daily, '2025-11-01T00:00:00Z', 3)).toEqual(['2025-11-01T05:30:00.000Z', '2025-11-02T05:30:00.000Z', '2025-11-03T06:30:00.000Z']);
      expect(iso(lastDueRun(daily, at('2025-11-02T06:45:00Z')))).toBe('2025-11-02T05:30:00.000Z');
      expect(iso(lastDueRun(daily, at('2025-11-02T05:29:59.999Z')))).toBe('2025-11-01T05:30:00.000Z');
    });

    it('a time outside the changes keeps its wall-clock time', () => {
      const evening = schedule({ time: '22:00', timezone: zone });
      expect(runs(evening, '2025-11-01T12:00:00Z', 2)).toEqual(['2025-11-02T02:00:00.000Z', '2025-11-03T03:00:00.000Z']);
    });
  });

  describe('Australia/Lord_Howe (+10:30, +11 in summer: a 30-minute change)', () => {
    const zone = 'Australia/Lord_Howe';

    it('spring (2025-10-05 02:00→02:30): 02:15 runs at 02:30', () => {
      expect(runs(schedule({ time: '02:15', timezone: zone }), '2025-10-03T00:00:00Z', 3)).toEqual([
        '2025-10-03T15:45:00.000Z', // 02:15 +10:30
        '2025-10-04T15:30:00.000Z', // 02:30 +11, the first valid instant after the gap
        '2025-10-05T15:15:00.000Z', // 02:15 +11
      ]);
    });

    it('autumn (2025-04-06 02:00→01:30): 01:45 happens twice and runs at the first', () => {
      const daily = schedule({ time: '01:45', timezone: zone });
      expect(runs(daily, '2025-04-04T00:00:00Z', 3)).toEqual(['2025-04-04T14:45:00.000Z', '2025-04-05T14:45:00.000Z', '2025-04-06T15:15:00.000Z']);
      expect(iso(lastDueRun(daily, at('2025-04-05T15:15:00Z')))).toBe('2025-04-05T14:45:00.000Z');
    });
  });

  describe('America/Santiago (changes at midnight)', () => {
    const zone = 'America/Santiago';

    it('spring (2025-09-07 00:00→01:00): 00:30 runs at 01:00', () => {
      expect(iso(nextRun(schedule({ time: '00:30', timezone: zone }), at('2025-09-06T12:00:00Z')))).toBe('2025-09-07T04:00:00.000Z');
    });

    it('autumn (2025-04-06 00:00 back to 23:00 the day before): 23:30 on 5 April runs once', () => {
      const daily = schedule({ time: '23:30', timezone: zone });
      expect(iso(nextRun(daily, at('2025-04-05T12:00:00Z')))).toBe('2025-04-06T02:30:00.000Z');
      // 03:15Z reads 23:15 on 5 April again, after that day's run: the next run is on 6 April.
      expect(iso(nextRun(daily, at('2025-04-06T03:15:00Z')))).toBe('2025-04-07T03:30:00.000Z');
      expect(iso(lastDueRun(daily, at('2025-04-06T03:45:00Z')))).toBe('2025-04-06T02:30:00.000Z');
    });
  });
});

describe('zones without daylight saving time', () => {
  it('Asia/Kolkata (+5:30): the local date is not the UTC date', () => {
    const daily = schedule({ time: '00:15', timezone: 'Asia/Kolkata' });
    expect(iso(nextRun(daily, at('2025-06-01T00:00:00Z')))).toBe('2025-06-01T18:45:00.000Z');
    expect(iso(lastDueRun(daily, at('2025-06-01T18:44:59.999Z')))).toBe('2025-05-31T18:45:00.000Z');
    const monthly = schedule({ frequency: 'monthly', time: '00:15', timezone: 'Asia/Kolkata' });
    expect(iso(nextRun(monthly, at('2025-06-01T00:00:00Z')))).toBe('2025-06-30T18:45:00.000Z');
    const mondays = schedule({ frequency: 'weekly', time: '00:15', timezone: 'Asia/Kolkata' });
    // Monday 2025-06-02 00:15 IST is Sunday 18:45 UTC.
    expect(iso(nextRun(mondays, at('2025-06-01T00:00:00Z')))).toBe('2025-06-01T18:45:00.000Z');
  });
});

describe('invariants over two years of runs', () => {
  const cases: [string, string][] = [
    ['Europe/Amsterdam', '02:30:00'],
    ['America/New_York', '01:30:00'],
    ['Australia/Lord_Howe', '02:15:00'],
    ['Asia/Kolkata', '00:00:00'],
    ['UTC', '23:59:59'],
  ];
  it.each(cases)('%s at %s: one run a day, at the time (or just after a gap), found back by lastDueRun', (timezone, time) => {
    const daily = schedule({ time, timezone });
    const [hour, minute, second] = time.split(':').map(Number);
    const wanted = hour * 3600 + minute * 60 + second;
    let previous = nextRun(daily, at('2024-01-01T00:00:00Z'));
    let previousDay = '';
    for (let i = 0; i < 731; i++) {
      const run = nextRun(daily, previous);
      expect(run.getTime()).toBeGreaterThan(previous.getTime());
      const wall = wallClockAt(run.getTime(), timezone);
      const day = `${wall.year}-${wall.month}-${wall.day}`;
      expect(day).not.toBe(previousDay);
      // The wall clock reads the scheduled time, or at most an hour later on a spring-forward day.
      const seconds = wall.hour * 3600 + wall.minute * 60 + wall.second;
      expect(seconds - wanted).toBeGreaterThanOrEqual(0);
      expect(seconds - wanted).toBeLessThanOrEqual(3600);
      expect(lastDueRun(daily, run)?.getTime()).toBe(run.getTime());
      expect(lastDueRun(daily, new Date(run.getTime() - 1))?.getTime()).toBe(previous.getTime());
      previous = run;
      previousDay = day;
    }
  });
});

describe('occurrenceKey', () => {
  it('is the instant in UTC to the second, the same however it is computed', () => {
    expect(occurrenceKey(at('2025-03-30T01:00:00Z'))).toBe('2025-03-30T01:00:00Z');
    expect(occurrenceKey(at('2025-03-30T01:00:00.999Z'))).toBe('2025-03-30T01:00:00Z');
  });

  it('lets cron run each occurrence once however often it is called', () => {
    const daily = schedule({ time: '02:30', timezone: 'Europe/Amsterdam' });
    const done = new Set<string>();
    let ran = 0;
    // cron every 15 minutes for three days.
    for (let t = Date.parse('2025-03-29T00:00:00Z'); t < Date.parse('2025-04-01T00:00:00Z'); t += 15 * 60_000) {
      const due = lastDueRun(daily, new Date(t), at('2025-03-29T00:00:00Z'));
      if (!due || done.has(occurrenceKey(due))) continue;
      done.add(occurrenceKey(due));
      ran++;
    }
    expect(ran).toBe(3);
    expect([...done]).toEqual(['2025-03-29T01:30:00Z', '2025-03-30T01:00:00Z', '2025-03-31T00:30:00Z']);
  });
});
