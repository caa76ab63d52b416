// The backup schedule (Magento's "Backup Settings": enabled, type, frequency, start time, maintenance
// mode) and the arithmetic of when it runs.
//
// A schedule is a wall-clock time in an IANA time zone ("02:30:00 in Europe/Amsterdam"), not a UTC
// time, so it keeps running at 02:30 local time across daylight-saving changes. Converting wall-clock
// times to instants uses only Intl.DateTimeFormat (the zone rules of Node's ICU data), no date library.
// Two wall-clock times need a rule, because clocks skip or repeat them:
//   - a time inside the spring-forward gap (02:30 on the day clocks jump from 02:00 to 03:00) does not
//     exist that day: the run happens at the first valid instant after the gap (03:00 local);
//   - a time inside the autumn overlap (02:30 when clocks fall back from 03:00 to 02:00) happens twice:
//     the run happens once, at the first of the two (the one still on summer time).
import { UsageError } from '../../shared/errors.js';
import { parseRetentionPolicy, type RetentionPolicy } from './retention.js';
import type { BackupType } from '../../shared/types.js';

/** The backup types a schedule can take (Magento's: database, system, system without media, media). */
export type ScheduleType = Extract<BackupType, 'db' | 'media' | 'system' | 'nomedia'>;
export type ScheduleFrequency = 'daily' | 'weekly' | 'monthly';

export interface Schedule {
  enabled: boolean;
  type: ScheduleType;
  frequency: ScheduleFrequency;
  /** Wall-clock start time, HH:MM:SS (24-hour), in `timezone`. */
  time: string;
  /** IANA zone name; defaults to the machine's zone. */
  timezone: string;
  /** Weekly runs: ISO weekday, 1 = Monday ... 7 = Sunday. Defaults to 1, as in Magento. */
  weekday: number;
  /** Monthly runs: 1-31; a day the month does not have means the month's last day. Defaults to 1. */
  dayOfMonth: number;
  /** Put the shop in maintenance mode while the scheduled backup runs. */
  maintenance: boolean;
  /** Applied after each scheduled backup, when set. */
  retention?: RetentionPolicy;
  /** After each scheduled backup (any type), a restore drill of it (lifeboat drill); absent in older schedules: off. */
  drill?: boolean;
}

/** What a user or a saved file gives: every field optional, strings accepted where numbers are meant. */
export interface ScheduleInput {
  enabled?: boolean | string;
  /** db | media | system | nomedia; `snapshot` (Magento's word, and what earlier versions saved) is read as `system`. */
  type?: string;
  /** daily | weekly | monthly; Magento's stored D | W | M are accepted too. */
  frequency?: string;
  /** HH:MM or HH:MM:SS */
  time?: string;
  timezone?: string;
  /** 1-7 (1 = Monday) or a day name: monday, mon, ... */
  weekday?: number | string;
  dayOfMonth?: number | string;
  maintenance?: boolean | string;
  drill?: boolean | string;
  /** A RetentionPolicy; null removes a previous one. */
  retention?: unknown;
}

const SCHEDULE_TYPES: Record<string, ScheduleType> = { db: 'db', media: 'media', system: 'system', snapshot: 'system', nomedia: 'nomedia' };
const FREQUENCIES: Record<string, ScheduleFrequency> = { daily: 'daily', weekly: 'weekly', monthly: 'monthly', d: 'daily', w: 'weekly', m: 'monthly' };
const WEEKDAY_NAMES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

/** The machine's own zone (what `TZ` or /etc/localtime says), UTC when Node cannot tell. */
export function machineTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/**
 * Validates a schedule and fills in what is missing: from `previous` when updating a saved schedule,
 * otherwise Magento's defaults (database backup, daily, 00:00:00, Monday, the 1st, no maintenance) in
 * the machine's zone. A new schedule is enabled unless `enabled: false`: setting one means wanting it.
 * Throws a UsageError with a one-line message naming the field, the accepted values and what was given.
 */
export function parseScheduleInput(input: ScheduleInput, previous?: Schedule): Schedule {
  const base: Schedule = previous ?? {
    enabled: true,
    type: 'db',
    frequency: 'daily',
    time: '00:00:00',
    timezone: machineTimeZone(),
    weekday: 1,
    dayOfMonth: 1,
    maintenance: false,
  };
  const schedule: Schedule = {
    enabled: input.enabled === undefined ? base.enabled : parseBoolean('enabled', input.enabled),
    type: input.type === undefined ? base.type : parseChoice('type', input.type, SCHEDULE_TYPES, 'db, media, system or nomedia'),
    frequency: input.frequency === undefined ? base.frequency : parseChoice('frequency', input.frequency, FREQUENCIES, 'daily, weekly or monthly'),
    time: input.time === undefined ? base.time : parseTime(input.time),
    timezone: input.timezone === undefined ? base.timezone : parseTimeZone(input.timezone),
    weekday: input.weekday === undefined ? base.weekday : parseWeekday(input.weekday),
    dayOfMonth: input.dayOfMonth === undefined ? base.dayOfMonth : parseDayOfMonth(input.dayOfMonth),
    maintenance: input.maintenance === undefined ? base.maintenance : parseBoolean('maintenance', input.maintenance),
  };
  const retention = input.retention === undefined ? base.retention : input.retention === null ? undefined : parseRetentionPolicy(input.retention);
  if (retention) schedule.retention = retention;
  const drill = input.drill === undefined ? base.drill === true : parseBoolean('drill', input.drill);
  if (drill) schedule.drill = true;
  return schedule;
}

function parseBoolean(field: string, value: boolean | string): boolean {
  if (typeof value === 'boolean') return value;
  const word = String(value).trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(word)) return true;
  if (['false', 'no', 'off', '0'].includes(word)) return false;
  throw new UsageError(`schedule ${field} must be true or false, got "${value}"`);
}

function parseChoice<T>(field: string, value: string, choices: Record<string, T>, accepted: string): T {
  const key = String(value).trim().toLowerCase();
  if (Object.hasOwn(choices, key)) return choices[key];
  throw new UsageError(`schedule ${field} must be ${accepted}, got "${value}"`);
}

/** "2:30" and "02:30:00" become "02:30:00"; hours 0-23, minutes and seconds 0-59. */
function parseTime(value: string): string {
  const match = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(String(value).trim());
  const parts = match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : undefined;
  if (!parts || parts[0] > 23 || parts[1] > 59 || parts[2] > 59) {
    throw new UsageError(`schedule time must be HH:MM or HH:MM:SS between 00:00:00 and 23:59:59, got "${value}"`);
  }
  return parts.map((n) => String(n).padStart(2, '0')).join(':');
}

/** Returns the zone's canonical spelling (Node resolves "europe/amsterdam" to "Europe/Amsterdam"). */
function parseTimeZone(value: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: String(value).trim() }).resolvedOptions().timeZone;
  } catch {
    throw new UsageError(`unknown time zone "${value}"; use an IANA zone name such as Europe/Amsterdam, America/New_York or UTC`);
  }
}

function parseWeekday(value: number | string): number {
  const text = String(value).trim().toLowerCase();
  const byName = WEEKDAY_NAMES.findIndex((name) => name === text || (text.length >= 3 && name.startsWith(text)));
  if (byName >= 0) return byName + 1;
  const number = Number(text);
  if (/^\d+$/.test(text) && number >= 1 && number <= 7) return number;
  throw new UsageError(`schedule weekday must be 1-7 (1 = Monday, 7 = Sunday) or a day name, got "${value}"`);
}

function parseDayOfMonth(value: number | string): number {
  const text = String(value).trim();
  const number = Number(text);
  if (/^\d+$/.test(text) && number >= 1 && number <= 31) return number;
  throw new UsageError(`schedule day of month must be 1-31 (a day the month lacks means its last day), got "${value}"`);
}

// ---------------------------------------------------------------------------------------------------
// Civil dates (a calendar day without a zone), done with Date.UTC so month and year ends come for free.

export interface CivilDate {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
}

export interface WallClock extends CivilDate {
  hour: number;
  minute: number;
  second: number;
}

function addDays(date: CivilDate, days: number): CivilDate {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

/** 1 = Monday ... 7 = Sunday. */
function isoWeekday(date: CivilDate): number {
  return ((new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay() + 6) % 7) + 1;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

// ---------------------------------------------------------------------------------------------------
// Zones, with Intl only.

const HOUR_MS = 3_600_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    // h23: some ICU versions print midnight as "24" with hour12: false.
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall-clock time shown in `timeZone` at an instant (milliseconds since the epoch). */
export function wallClockAt(instantMs: number, timeZone: string): WallClock {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(instantMs)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return { year: fields.year, month: fields.month, day: fields.day, hour: fields.hour, minute: fields.minute, second: fields.second };
}

/** A wall-clock time as if it were UTC, in ms: the zone's offset is this minus the instant. */
function wallMs(wall: WallClock): number {
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
}

/** The zone's UTC offset at an instant, in ms (east positive): +3_600_000 for CET. */
function offsetAt(instantMs: number, timeZone: string): number {
  return wallMs(wallClockAt(instantMs, timeZone)) - Math.floor(instantMs / 1000) * 1000;
}

/**
 * The instant of a wall-clock time in a zone, with the schedule's rules for the two times that clocks
 * skip or repeat (see the top of this file). Whole seconds only.
 */
export function instantOfWallClock(wall: WallClock, timeZone: string): number {
  const target = wallMs(wall);
  // The true instant is target - offset, and offsets lie within -12 h..+14 h, so the instant lies in
  // [target - 14 h, target + 12 h]. Zones change offset at most once in such a window, so the offsets
  // at its two ends (and the middle, for good measure) are all the offsets that can apply.
  const offsets = [...new Set([-14 * HOUR_MS, 0, 12 * HOUR_MS].map((delta) => offsetAt(target + delta, timeZone)))];
  const valid = offsets.map((offset) => target - offset).filter((instant) => offsetAt(instant, timeZone) === target - instant);
  if (valid.length > 0) return Math.min(...valid); // two in the autumn overlap: the first one
  // The time is in a spring-forward gap: the first instant whose wall clock reads at least the target
  // is the moment the clocks jumped. Before it the wall clock is below the target, from it on above,
  // so a binary search (in seconds) finds it.
  let below = target - Math.max(...offsets); // read with the earlier (smaller) offset: before the jump
  let atOrAbove = target - Math.min(...offsets);
  while (atOrAbove - below > 1000) {
    const middle = below + Math.floor((atOrAbove - below) / 2000) * 1000;
    if (middle + offsetAt(middle, timeZone) >= target) atOrAbove = middle;
    else below = middle;
  }
  return atOrAbove;
}

// ---------------------------------------------------------------------------------------------------
// Occurrences.

// Long enough for any frequency (a monthly schedule has an occurrence in every 31-day window); the
// loops end far sooner, this only guards against a bug looping forever.
const SEARCH_DAYS = 400;

function runsOn(schedule: Schedule, date: CivilDate): boolean {
  switch (schedule.frequency) {
    case 'daily':
      return true;
    case 'weekly':
      return isoWeekday(date) === schedule.weekday;
    case 'monthly':
      // Day 31 (or 29, 30) in a month that has fewer days runs on that month's last day, so a monthly
      // backup never skips a month: "the 31st" reads as "the end of the month", as people mean it.
      return date.day === Math.min(schedule.dayOfMonth, daysInMonth(date.year, date.month));
  }
}

function occurrenceOn(schedule: Schedule, date: CivilDate): number {
  const [hour, minute, second] = schedule.time.split(':').map(Number);
  return instantOfWallClock({ ...date, hour, minute, second }, schedule.timezone);
}

function checkedTime(date: Date, name: string): number {
  const time = date.getTime();
  if (Number.isNaN(time)) throw new RangeError(`${name} is an invalid date`);
  return time;
}

/**
 * The first run strictly after `after`. Ignores `enabled`: the caller decides whether a disabled
 * schedule shows a next run.
 */
export function nextRun(schedule: Schedule, after: Date): Date {
  const afterMs = checkedTime(after, 'after');
  const today = wallClockAt(afterMs, schedule.timezone);
  // From the day before: where clocks fall back over midnight, an instant can read as the next day.
  for (let days = -1; days <= SEARCH_DAYS; days++) {
    const date = addDays(today, days);
    if (!runsOn(schedule, date)) continue;
    const instant = occurrenceOn(schedule, date);
    if (instant > afterMs) return new Date(instant);
  }
  throw new Error(`no run of the schedule within ${SEARCH_DAYS} days after ${after.toISOString()}`);
}

/**
 * The most recent run at or before `atOrBefore` (for `lifeboat cron`: the occurrence that is due now),
 * or undefined when that run is earlier than `notBefore` (e.g. when the schedule was saved, so setting
 * a schedule at 10:00 for 02:00 does not start a backup at once). Ignores `enabled`.
 */
export function lastDueRun(schedule: Schedule, atOrBefore: Date, notBefore?: Date): Date | undefined {
  const limitMs = checkedTime(atOrBefore, 'atOrBefore');
  const notBeforeMs = notBefore ? checkedTime(notBefore, 'notBefore') : -Infinity;
  const today = wallClockAt(limitMs, schedule.timezone);
  for (let days = 1; days >= -SEARCH_DAYS; days--) {
    const date = addDays(today, days);
    if (!runsOn(schedule, date)) continue;
    const instant = occurrenceOn(schedule, date);
    if (instant <= limitMs) return instant >= notBeforeMs ? new Date(instant) : undefined;
  }
  throw new Error(`no run of the schedule within ${SEARCH_DAYS} days before ${atOrBefore.toISOString()}`);
}

/**
 * A stable id of an occurrence, to record which ones ran: its instant in UTC to the second, e.g.
 * "2025-03-30T01:00:00Z". The same occurrence always gets the same key, however often cron computes it.
 */
export function occurrenceKey(occurrence: Date): string {
  return new Date(Math.floor(checkedTime(occurrence, 'occurrence') / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
