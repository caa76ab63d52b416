// How long a text may be. What a user sends (names, passwords, settings) is refused beyond its limit
// with a one-line usage error naming the field and the limit (HTTP 400, CLI exit 2): nothing is cut
// silently. What Lifeboat stores from elsewhere (an error a database server or a mail server wrote, a
// job's log line) is cut to its column's limit instead, with a mark. Either way no request can make the
// state, or the answers that list it (/api/audit, /api/jobs), grow without bound.
import { UsageError } from './errors.js';

/** Refused beyond these, in characters. */
export const INPUT_LIMITS = {
  /** Magento's own: its backup dialog takes 50 characters of name. */
  backupName: 50,
  username: 64,
  roleName: 64,
  /** Long enough for any passphrase or generated password; bounded before the (costly) hashing. */
  password: 1024,
  /** Webhook and SMTP server URLs: what browsers and servers commonly accept. */
  url: 2048,
  /** An e-mail address (RFC 5321's longest path). */
  emailAddress: 254,
  /** Recipients of the notification mail. */
  recipients: 50,
  /** A schedule's text fields (type, frequency, time, time zone, weekday). */
  scheduleField: 64,
} as const;

/**
 * Cut beyond these, in UTF-16 units (each at most one character, so the MySQL state's column sizes,
 * counted in characters, always hold them).
 */
export const STORED_LIMITS = {
  auditUsername: 64,
  auditAction: 64,
  auditBackup: 255,
  auditAddress: 64,
  auditDetail: 2000,
  jobDescription: 1000,
  jobError: 4000,
  jobLogLine: 1000,
  jobFile: 1024,
  jobName: 255,
  jobUser: 255,
} as const;

/** Characters (code points): a pair of surrogates is one. */
function characterCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++, count++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return count;
}

/** `value`, or a usage error when it has more than `limit` characters: "username has 65 characters; shorten it to at most 64". */
export function requireMaxLength(field: string, value: string, limit: number): string {
  // Every character is one or two UTF-16 units: only a longer text needs counting.
  if (value.length <= limit) return value;
  const count = characterCount(value);
  if (count > limit) throw new UsageError(`${field} has ${count} characters; shorten it to at most ${limit}`);
  return value;
}

const CUT_MARK = '…';

/** `text` cut to at most `limit` UTF-16 units, ending with "…" when cut, never inside a surrogate pair. */
export function clipStored<T extends string | null | undefined>(text: T, limit: number): T {
  if (typeof text !== 'string' || text.length <= limit) return text;
  let end = limit - CUT_MARK.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // the first half of a pair whose second half is cut off
  return `${text.slice(0, end)}${CUT_MARK}` as T;
}
