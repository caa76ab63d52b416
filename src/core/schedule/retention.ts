// Which backups to keep, in the style of restic's `forget` (Magento kept everything, and disks filled).
//
// The rules, as restic applies them: backups are walked newest first; `keepLast: n` keeps the n newest;
// `keepDaily: n` keeps the newest backup of each of the n most recent days that have a backup (days
// without one do not count), and likewise `keepWeekly` (ISO weeks, Monday to Sunday) and
// `keepMonthly`. A backup can be kept by several rules; a backup no rule keeps is removed. Days, weeks
// and months are the shop's (the schedule's time zone), so "daily" means the shop's calendar days.
//
// The policy applies to each backup type on its own: database backups and system (system, nomedia,
// media, code) backups are counted separately, as restic groups snapshots by host and paths, so that
// `keepLast: 3` keeps three database dumps *and* the last three system archives, and a burst of one
// type never pushes out the other.
//
// Two safety rules on top of restic's: the newest backup of each type is always kept, and a
// `protected` backup (one a job is reading) is never removed. Both only add to what the policy keeps;
// a protected backup still takes its place in the policy's count like any other.
import { UsageError } from '../../shared/errors.js';

export interface RetentionPolicy {
  keepLast?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
}

export interface RetentionCandidate {
  id: string;
  /** Unix time in seconds, as in the archive's name. */
  time: number;
  type: string;
  /** A job is reading it: never removed. */
  protected?: boolean;
}

/** Why a backup is kept: a rule of the policy, the newest of its type, or in use by a job. */
export type RetentionReason = 'last' | 'daily' | 'weekly' | 'monthly' | 'newest' | 'protected';

export interface RetentionPlan {
  /** Newest first; each with every reason that keeps it. */
  keep: { id: string; reasons: RetentionReason[] }[];
  /** Newest first. */
  remove: { id: string }[];
}

type PolicyRule = 'keepLast' | 'keepDaily' | 'keepWeekly' | 'keepMonthly';

const RULES: { key: PolicyRule; option: string; reason: RetentionReason }[] = [
  { key: 'keepLast', option: '--keep-last', reason: 'last' },
  { key: 'keepDaily', option: '--keep-daily', reason: 'daily' },
  { key: 'keepWeekly', option: '--keep-weekly', reason: 'weekly' },
  { key: 'keepMonthly', option: '--keep-monthly', reason: 'monthly' },
];

const NO_RULE =
  'a retention policy needs at least one of --keep-last, --keep-daily, --keep-weekly, --keep-monthly greater than 0 ' +
  '(keepLast, keepDaily, keepWeekly, keepMonthly in a file); refusing to remove every backup';

/**
 * Validates a policy from the command line or a file (numbers or numeric strings, 0 or more; 0 turns a
 * rule off) and refuses one with no rule above 0, which would otherwise remove every backup.
 */
export function parseRetentionPolicy(input: unknown): RetentionPolicy {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new UsageError(`a retention policy must be an object such as {"keepDaily": 7, "keepWeekly": 4}, got ${JSON.stringify(input)}`);
  }
  const fields = input as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !RULES.some((rule) => rule.key === key) && fields[key] !== undefined);
  if (unknown.length > 0) {
    throw new UsageError(`unknown retention setting "${unknown[0]}"; use keepLast, keepDaily, keepWeekly or keepMonthly`);
  }
  const policy: RetentionPolicy = {};
  for (const { key, option } of RULES) {
    const value = fields[key];
    if (value === undefined) continue;
    const text = typeof value === 'number' || typeof value === 'string' ? String(value).trim() : '';
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
      throw new UsageError(`${option} (${key}) must be a whole number of 0 or more, got ${JSON.stringify(value)}`);
    }
    policy[key] = Number(text);
  }
  if (!RULES.some(({ key }) => (policy[key] ?? 0) > 0)) throw new UsageError(NO_RULE);
  return policy;
}

/**
 * Plans which backups to keep and which to remove. Pure: removes nothing itself. `timezone` is the IANA
 * zone whose calendar days, weeks and months the daily/weekly/monthly rules count. Throws a UsageError
 * for a policy with no rule (see parseRetentionPolicy) or an unknown zone. Backups with the same time
 * keep their order in the input, which counts as newest first (as `listBackups` returns them).
 */
export function planRetention(backups: readonly RetentionCandidate[], policy: RetentionPolicy, timezone: string): RetentionPlan {
  const checked = parseRetentionPolicy(policy);
  const calendar = calendarFor(timezone);
  const seen = new Set<string>();
  for (const backup of backups) {
    if (seen.has(backup.id)) throw new Error(`retention: backup id "${backup.id}" is listed twice`);
    if (!Number.isFinite(backup.time)) throw new Error(`retention: backup "${backup.id}" has no valid time`);
    seen.add(backup.id);
  }
  // Stable sort: equal times keep the input order.
  const newestFirst = [...backups].sort((a, b) => b.time - a.time);
  const reasons = new Map<string, RetentionReason[]>(newestFirst.map((backup) => [backup.id, []]));

  const types = [...new Set(newestFirst.map((backup) => backup.type))];
  for (const type of types) {
    const group = newestFirst.filter((backup) => backup.type === type);
    for (const { key, reason } of RULES) {
      let remaining = checked[key] ?? 0;
      let lastBucket: string | undefined;
      for (const [index, backup] of group.entries()) {
        if (remaining <= 0) break;
        // keep-last: every backup is a bucket of its own.
        const bucket = reason === 'last' ? String(index) : calendar.bucket(reason, backup.time);
        if (bucket === lastBucket) continue; // an older backup of a day/week/month already kept
        lastBucket = bucket;
        remaining--;
        reasons.get(backup.id)?.push(reason);
      }
    }
    const newest = reasons.get(group[0].id);
    if (newest && newest.length === 0) newest.push('newest'); // only reachable if a rule above misbehaves
  }
  for (const backup of newestFirst) if (backup.protected) reasons.get(backup.id)?.push('protected');

  const plan: RetentionPlan = { keep: [], remove: [] };
  for (const backup of newestFirst) {
    const why = reasons.get(backup.id) ?? [];
    if (why.length > 0) plan.keep.push({ id: backup.id, reasons: why });
    else plan.remove.push({ id: backup.id });
  }
  return plan;
}

interface Calendar {
  /** The day ("2025-03-30"), ISO week ("2025-W13") or month ("2025-03") of a unix time, in the zone. */
  bucket(rule: RetentionReason, unixSeconds: number): string;
}

function calendarFor(timeZone: string): Calendar {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' });
  } catch {
    throw new UsageError(`unknown time zone "${timeZone}"; use an IANA zone name such as Europe/Amsterdam or UTC`);
  }
  return {
    bucket(rule, unixSeconds) {
      const fields: Record<string, number> = {};
      for (const part of format.formatToParts(unixSeconds * 1000)) if (part.type !== 'literal') fields[part.type] = Number(part.value);
      const { year, month, day } = fields;
      const pad = (n: number) => String(n).padStart(2, '0');
      if (rule === 'monthly') return `${year}-${pad(month)}`;
      if (rule === 'weekly') {
        const { isoYear, week } = isoWeek(year, month, day);
        return `${isoYear}-W${pad(week)}`;
      }
      return `${year}-${pad(month)}-${pad(day)}`;
    },
  };
}

/** ISO 8601 week: weeks start on Monday; week 1 is the one with the year's first Thursday. */
function isoWeek(year: number, month: number, day: number): { isoYear: number; week: number } {
  const date = new Date(Date.UTC(year, month - 1, day));
  const weekday = (date.getUTCDay() + 6) % 7; // 0 = Monday
  const thursday = new Date(date.getTime() + (3 - weekday) * 86_400_000);
  const isoYear = thursday.getUTCFullYear();
  const dayOfYear = (thursday.getTime() - Date.UTC(isoYear, 0, 1)) / 86_400_000;
  return { isoYear, week: Math.floor(dayOfYear / 7) + 1 };
}
