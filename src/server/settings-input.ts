// The Settings API's shapes: what GET /api/settings shows (secrets masked) and how a PUT body becomes
// the stored schedule and notification targets. Kept apart from the routes so the rules stay readable:
//   - the schedule is the very record `lifeboat schedule set` saves (same parser, same key);
//   - a secret comes back masked, and a masked value sent back means "keep the stored one";
//   - a field the environment or config file fixes cannot be changed here (400 naming where to change it).
import type { NotifyConfig } from '../config/notify-config.js';
import type { NotifyFixed, StoredNotify } from '../core/notify/settings.js';
import { nextRun, parseScheduleInput, type Schedule, type ScheduleInput } from '../core/schedule/schedule.js';
import { INPUT_LIMITS, requireMaxLength } from '../shared/text-limits.js';
import { MASK } from '../shared/redact.js';
import { HttpError } from './auth.js';

const SCHEDULE_FIELDS = ['enabled', 'type', 'frequency', 'time', 'timezone', 'weekday', 'dayOfMonth', 'maintenance', 'retention', 'drill'];
/** Sent back by a client that echoes what GET gave it; ignored. */
const SCHEDULE_READ_ONLY = ['nextRun', 'savedAt'];
const NOTIFY_FIELDS = ['webhookUrl', 'smtp', 'onSuccess'];
const FIXED_BY: Record<keyof NotifyFixed, string> = {
  webhookUrl: 'LIFEBOAT_NOTIFY_WEBHOOK or the config file',
  smtp: 'LIFEBOAT_NOTIFY_SMTP_URL/FROM/TO or the config file',
  onSuccess: 'LIFEBOAT_NOTIFY_ON_SUCCESS or the config file',
};

/** An SMTP URL with its password replaced by the mask: smtp://user:********@host:587. */
export function maskSmtpUrl(url: string): string {
  const match = /^(smtps?:\/\/)([^@/]*)@(.*)$/i.exec(url);
  if (!match) return url;
  const colon = match[2].indexOf(':');
  return colon < 0 ? url : `${match[1]}${match[2].slice(0, colon)}:${MASK}@${match[3]}`;
}

/** A webhook URL's scheme and host only: its path and query are often the secret (Slack, Teams). */
export function maskWebhookUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const secret = parsed.pathname.length > 1 || parsed.search || parsed.username || parsed.password;
    return secret ? `${parsed.origin}/${MASK}` : url;
  } catch {
    return MASK;
  }
}

export interface NotifyView {
  webhookUrl: string | null;
  smtp: { url: string; from: string; to: string[] } | null;
  onSuccess: boolean;
}

export function notifyView(effective: NotifyConfig | undefined): NotifyView {
  return {
    webhookUrl: effective?.webhookUrl ? maskWebhookUrl(effective.webhookUrl) : null,
    smtp: effective?.smtp ? { url: maskSmtpUrl(effective.smtp.url), from: effective.smtp.from, to: effective.smtp.to } : null,
    onSuccess: effective?.onSuccess ?? false,
  };
}

/** The schedule as `lifeboat schedule show --json` prints it. */
export function scheduleView(schedule: Schedule | undefined, now = new Date()): Record<string, unknown> | null {
  return schedule ? { ...schedule, nextRun: schedule.enabled ? nextRun(schedule, now).toISOString() : null } : null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function refuseUnknown(what: string, body: Record<string, unknown>, known: string[]): void {
  const unknown = Object.keys(body).find((key) => !known.includes(key));
  if (unknown !== undefined) throw new HttpError(400, `unknown ${what} setting "${unknown}"; known: ${known.join(', ')}`);
}

/** The top-level PUT body: {schedule?, notify?}. */
export interface SettingsBody {
  schedule?: Record<string, unknown>;
  notify?: Record<string, unknown>;
  backups?: { incremental: boolean };
}

export function splitSettingsBody(body: unknown): SettingsBody {
  if (!isObject(body)) throw new HttpError(400, 'send a JSON object: {"schedule": {...}, "notify": {...}, "backups": {...}}');
  refuseUnknown('top-level', body, ['schedule', 'notify', 'backups']);
  if (body.schedule !== undefined && !isObject(body.schedule)) throw new HttpError(400, 'schedule must be an object, e.g. {"type": "db", "time": "02:00"}');
  if (body.notify !== undefined && !isObject(body.notify)) throw new HttpError(400, 'notify must be an object, e.g. {"webhookUrl": "https://hooks.example.com/x"}');
  return {
    ...(body.schedule ? { schedule: body.schedule as Record<string, unknown> } : {}),
    ...(body.notify ? { notify: body.notify as Record<string, unknown> } : {}),
    ...(body.backups !== undefined ? { backups: backupsInput(body.backups) } : {}),
  };
}

function backupsInput(input: unknown): { incremental: boolean } {
  if (!isObject(input) || typeof input.incremental !== 'boolean') throw new HttpError(400, 'backups must be an object with incremental true or false, e.g. {"incremental": true}');
  refuseUnknown('backups', input, ['incremental']);
  return { incremental: input.incremental };
}

/** The changed schedule; fields not sent keep their saved value, as with `lifeboat schedule set`. */
export function nextSchedule(input: Record<string, unknown>, previous: Schedule | undefined): Schedule {
  refuseUnknown('schedule', input, [...SCHEDULE_FIELDS, ...SCHEDULE_READ_ONLY]);
  const given = Object.fromEntries(Object.entries(input).filter(([key]) => SCHEDULE_FIELDS.includes(key)));
  for (const key of ['type', 'frequency', 'time', 'timezone'] as const) {
    if (given[key] !== undefined && typeof given[key] !== 'string') throw new HttpError(400, `schedule ${key} must be a string`);
  }
  // Also weekday and dayOfMonth may come as text; the parser's messages quote what was given.
  for (const [key, value] of Object.entries(given)) {
    if (typeof value === 'string') requireMaxLength(`schedule ${key}`, value, INPUT_LIMITS.scheduleField);
  }
  return parseScheduleInput(given as ScheduleInput, previous);
}

function refuseFixed(field: keyof NotifyFixed, fixed: NotifyFixed, given: unknown, effectiveShown: unknown): boolean {
  if (!fixed[field]) return false;
  if (JSON.stringify(given) === JSON.stringify(effectiveShown)) return true; // echoed back unchanged: nothing to do
  throw new HttpError(400, `notify ${field} is fixed by ${FIXED_BY[field]}; change it there`);
}

/**
 * The stored targets after the change. Empty or null removes a target; a masked URL sent back keeps the
 * stored URL. The result is validated by the caller (saveStoredNotify) with the config file's rules.
 */
export function nextNotify(input: Record<string, unknown>, stored: StoredNotify, fixed: NotifyFixed, shown: NotifyView): StoredNotify {
  refuseUnknown('notify', input, NOTIFY_FIELDS);
  const next: StoredNotify = { ...stored };
  if ('webhookUrl' in input && !refuseFixed('webhookUrl', fixed, input.webhookUrl, shown.webhookUrl)) {
    const url = input.webhookUrl;
    if (url !== null && typeof url !== 'string') throw new HttpError(400, 'notify webhookUrl must be a string (empty to remove it)');
    if (!url) delete next.webhookUrl;
    else if (!(stored.webhookUrl && url === maskWebhookUrl(stored.webhookUrl))) next.webhookUrl = url.trim();
  }
  if ('smtp' in input && !refuseFixed('smtp', fixed, input.smtp, shown.smtp)) {
    const smtp = input.smtp;
    if (smtp !== null && !isObject(smtp)) throw new HttpError(400, 'notify smtp must be {"url", "from", "to"} or null to remove it');
    if (!smtp || (!smtp.url && !smtp.from && !smtp.to)) delete next.smtp;
    else {
      const keep = stored.smtp && smtp.url === maskSmtpUrl(stored.smtp.url);
      // `to` may be a comma-separated string or a list: saveStoredNotify's parser takes both and checks it.
      next.smtp = { url: keep ? (stored.smtp as { url: string }).url : String(smtp.url ?? '').trim(), from: String(smtp.from ?? '').trim(), to: smtp.to as string[] };
    }
  }
  if ('onSuccess' in input && !refuseFixed('onSuccess', fixed, input.onSuccess, shown.onSuccess)) {
    if (typeof input.onSuccess !== 'boolean') throw new HttpError(400, 'notify onSuccess must be true or false');
    next.onSuccess = input.onSuccess;
  }
  return next;
}
