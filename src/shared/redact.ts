// Passwords and tokens must never reach what people or other programs read: errors, log lines, job
// records, notifications, the page and /metrics. Two nets catch them:
//   - the password of every URL is masked wherever a URL shows in a text (ours or a library's);
//   - every secret Lifeboat was given (remembered when the settings are read and when the stored
//     notification targets are opened) is masked wherever it shows, in whatever form or context.
// The places that write text out (the CLI's output, the job records, notifications, the server's
// answers and audit log) pass it through `redact`.

import { decodeUrlPart } from './url-parts.js';

export const MASK = '********';

/**
 * Shorter secrets are masked only where they stand as a URL's password: masking every "root" or "test"
 * in a text would garble it.
 */
const MIN_SECRET_LENGTH = 6;

/** A path segment or query value of a webhook URL this long is taken for a token (Slack, Teams, Discord). */
const MIN_TOKEN_LENGTH = 16;

/**
 * `scheme://user:password@` in running text. The password runs to the last "@" before a space or a
 * quote, so an unencoded "@" in it is masked too (an "@" further on in the same word is masked with it).
 */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@"'`<>]*):[^\s"'`<>]*@/gi;

/** Longest first: a secret that contains another is masked whole. */
let knownSecrets: string[] = [];

/** Remembers a secret, in its plain and its percent-encoded form, so `redact` masks it from now on. */
export function rememberSecret(secret: string | undefined): void {
  if (secret === undefined) return;
  const forms = [secret, encodeURIComponent(secret), decodeOrKeep(secret)].filter((form) => form.length >= MIN_SECRET_LENGTH);
  knownSecrets = [...new Set([...knownSecrets, ...forms])].sort((a, b) => b.length - a.length);
}

/**
 * Remembers the secrets of a URL setting: its password; with `tokens` (a webhook) also the whole URL and
 * every token-like path segment or query value, since there the address itself is the credential.
 */
export function rememberUrlSecrets(url: string | undefined, options: { tokens?: boolean } = {}): void {
  if (url === undefined) return;
  rememberSecret(urlPassword(url));
  if (!options.tokens) return;
  rememberSecret(url);
  for (const part of tokenLikeParts(url)) rememberSecret(part);
}

/** A text with every URL password and every remembered secret masked. */
export function redact(text: string): string {
  let masked = text.replace(URL_PASSWORD, (_match, start: string) => `${start}:${MASK}@`);
  for (const secret of knownSecrets) masked = masked.split(secret).join(MASK);
  return masked;
}

/**
 * A URL setting as written, for a message: its password masked even when the URL cannot be parsed (an
 * unencoded "/", "#" or space in the password is what usually breaks it).
 */
export function redactUrl(url: string): string {
  const userinfo = /^([a-z][a-z0-9+.-]*:\/\/)([^]*)@/i.exec(url);
  const colon = userinfo ? userinfo[2].indexOf(':') : -1;
  if (!userinfo || colon < 0) return redact(url);
  return redact(`${userinfo[1]}${userinfo[2].slice(0, colon)}:${MASK}@${url.slice(userinfo[0].length)}`);
}

/** The password part of a URL's user information, as written (also of a URL that does not parse). */
function urlPassword(url: string): string | undefined {
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^]*)@/i.exec(url.trim())?.[1];
  const colon = userinfo?.indexOf(':') ?? -1;
  return userinfo !== undefined && colon >= 0 ? userinfo.slice(colon + 1) : undefined;
}

function tokenLikeParts(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const parts = [decodeOrKeep(parsed.username), ...parsed.pathname.split('/'), ...[...parsed.searchParams.values()]];
  return parts.filter((part) => part.length >= MIN_TOKEN_LENGTH);
}

function decodeOrKeep(text: string): string {
  return decodeUrlPart(text) ?? text;
}
