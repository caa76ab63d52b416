// Notifications about jobs: a webhook (a JSON POST) and an e-mail over SMTP. A notification that
// cannot be delivered must never turn a good backup into a failed job, so nothing here throws: each
// channel's outcome is returned for the caller to log.
import { humanBytes } from '../../shared/units.js';
import { decodeUrlPart } from '../../shared/url-parts.js';
import { redact } from '../../shared/redact.js';
import { describeSmtpServer, sendEmail } from './smtp.js';
import { rememberNotifySecrets, type NotifyConfig } from '../../config/notify-config.js';
import { TOOL_VERSION } from '../../shared/version.js';

export interface JobEvent {
  shop: string;
  jobId: string;
  kind: 'backup' | 'rollback' | 'restore' | 'drill' | 'verify' | 'missed-schedule';
  type?: string;
  state: 'succeeded' | 'failed';
  error?: string;
  /** What to do; a default is used for failures when not given. */
  hint?: string;
  file?: string;
  size?: number;
  startedAt: string;
  finishedAt: string;
}

export interface NotifyResult {
  channel: 'webhook' | 'email';
  ok: boolean;
  error?: string;
}

/** Tunables, for tests; the defaults are what production uses. */
export interface NotifyOptions {
  /** Per webhook attempt. Default 10 s. */
  webhookTimeoutMs?: number;
  /** Waits before the retries; its length is the number of retries. Default 1 s then 3 s. */
  webhookRetryDelaysMs?: readonly number[];
  /** SMTP connection and greeting timeout. Default 10 s. */
  smtpTimeoutMs?: number;
}

/** The JSON the webhook receives: the event, the effective hint, and the e-mail's subject and text. */
export interface WebhookPayload extends JobEvent {
  source: 'lifeboat';
  version: string;
  subject: string;
  /** Subject and body as one text: chat webhooks (Slack, Mattermost, Teams via a bridge) show `text`. */
  text: string;
}

const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
const DEFAULT_RETRY_DELAYS_MS = [1_000, 3_000];
const DEFAULT_SMTP_TIMEOUT_MS = 10_000;

/**
 * Sends the event to every configured channel at once. Successful jobs notify only with `onSuccess`.
 * Resolves with one result per channel tried (none when nothing is configured); never rejects.
 */
export async function notify(config: NotifyConfig, unmaskedEvent: JobEvent, options: NotifyOptions = {}): Promise<NotifyResult[]> {
  if (unmaskedEvent.state === 'succeeded' && unmaskedEvent.kind !== 'missed-schedule' && !config.onSuccess) return [];
  // Messages go to chat rooms and mailboxes: no password or token of any target (or any other) in them.
  rememberNotifySecrets(config);
  const event = maskEvent(unmaskedEvent);
  const message = describeEvent(event);
  const sends: Promise<NotifyResult>[] = [];
  if (config.webhookUrl) {
    const payload: WebhookPayload = { ...event, hint: message.hint, source: 'lifeboat', version: TOOL_VERSION, subject: message.subject, text: `${message.subject}\n\n${message.text}` };
    sends.push(postWebhook(config.webhookUrl, config.webhookHeaders ?? {}, payload, options));
  }
  if (config.smtp) {
    const smtp = config.smtp;
    const headers = { 'X-Lifeboat-Shop': oneLine(event.shop), 'X-Lifeboat-Job': oneLine(event.jobId) };
    sends.push(
      sendEmail(smtp, { subject: message.subject, text: message.text, headers }, options.smtpTimeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS).then(
        (): NotifyResult => ({ channel: 'email', ok: true }),
        (error: unknown): NotifyResult => ({ channel: 'email', ok: false, error: `e-mail via ${describeSmtpServer(smtp.url)}: ${errorText(error)}` }),
      ),
    );
  }
  return (await Promise.all(sends)).map((result) => (result.error === undefined ? result : { ...result, error: redact(result.error) }));
}

function maskEvent(event: JobEvent): JobEvent {
  return { ...event, ...(event.error ? { error: redact(event.error) } : {}), ...(event.hint ? { hint: redact(event.hint) } : {}) };
}

/** The e-mail's subject and plain-text body, and the hint they give (the event's, or a default). */
export function describeEvent(event: JobEvent): { subject: string; text: string; hint?: string } {
  const typed = event.type && event.kind !== 'rollback' ? `${event.type} ` : '';
  const what = event.kind === 'missed-schedule' ? `scheduled ${typed}backup did not run` : `${typed}${event.kind} ${event.state}`;
  const subject = oneLine(`[Lifeboat] ${event.shop}: ${what}`).slice(0, 200);
  const hint = event.hint ?? defaultHint(event);
  const lines = [
    `Shop: ${event.shop}`,
    `Job: ${event.jobId} (${event.kind}${event.type ? `, type ${event.type}` : ''})`,
    `State: ${event.kind === 'missed-schedule' ? 'missed' : event.state}`,
    `Started: ${event.startedAt}`,
    `Finished: ${event.finishedAt}`,
  ];
  if (event.file) lines.push(`File: ${event.file}${event.size === undefined ? '' : ` (${humanBytes(event.size)})`}`);
  if (event.error) lines.push(`Error: ${event.error}`);
  if (hint) lines.push(`What to do: ${hint}`);
  lines.push('', `-- Lifeboat ${TOOL_VERSION}`);
  return { subject, text: lines.join('\n') + '\n', hint };
}

function defaultHint(event: JobEvent): string | undefined {
  if (event.kind === 'missed-schedule') {
    return 'Check that "lifeboat serve" is running, or that the system cron entry for "lifeboat cron" exists and runs, then take a backup now.';
  }
  if (event.state === 'succeeded') return undefined;
  if (event.kind === 'rollback') {
    return `Run "lifeboat jobs" and read job ${event.jobId}'s log. A failed rollback leaves the database as it was before it; check the shop, fix the cause and run the rollback again.`;
  }
  if (event.kind === 'verify') {
    return `Do not roll back to ${event.file ?? 'this backup'}: it is damaged or could not be read. Take a new backup now and verify it, then find out what changed the archive (the disk, the off-site copy); "lifeboat verify" names what is wrong.`;
  }
  if (event.kind === 'restore') {
    return `Run "lifeboat jobs" and read job ${event.jobId}'s log. A failed restore leaves the copy as it was before it (the shop is not touched); fix the cause and run it again.`;
  }
  return `Run "lifeboat jobs" and read job ${event.jobId}'s log, fix the cause, then run the backup again: until then there is no new backup.`;
}

async function postWebhook(url: string, headers: Record<string, string>, payload: WebhookPayload, options: NotifyOptions): Promise<NotifyResult> {
  const where = describeWebhook(url);
  const fail = (error: string): NotifyResult => ({ channel: 'webhook', ok: false, error: `webhook ${where}: ${error}` });
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return fail(`the URL must start with http:// or https://`);
  } catch {
    return fail('the URL is not a URL');
  }
  const timeoutMs = options.webhookTimeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  const retryDelays = options.webhookRetryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const body = JSON.stringify(payload);
  let lastError = '';
  for (let attempt = 0; attempt <= retryDelays.length; attempt++) {
    if (attempt > 0) await sleep(retryDelays[attempt - 1]);
    const outcome = await postOnce(url, headers, body, timeoutMs);
    if (outcome.ok) return { channel: 'webhook', ok: true };
    lastError = outcome.error;
    if (!outcome.retry) return fail(lastError);
  }
  // "(after 1 attempts)" said nothing a reader needed: the count is given only when it was tried again.
  return fail(retryDelays.length > 0 ? `${lastError} (after ${retryDelays.length + 1} attempts)` : lastError);
}

type Attempt = { ok: true } | { ok: false; retry: boolean; error: string };

async function postOnce(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<Attempt> {
  const { address, authorization } = splitCredentials(url);
  const headerGiven = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
  let response: Response;
  try {
    response = await fetch(address, {
      method: 'POST',
      headers: { 'user-agent': `lifeboat/${TOOL_VERSION}`, ...(headerGiven ? {} : authorization), ...withoutContentType(headers), 'content-type': 'application/json' },
      body,
      // A redirect would turn the POST into a GET without the body: report it instead.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return { ok: false, retry: true, error: networkErrorText(error, timeoutMs) };
  }
  // Read the body to free the connection; its start helps explain a refusal.
  const answer = await response.text().catch(() => '');
  if (response.status >= 200 && response.status < 300) return { ok: true };
  const detail = oneLine(answer).slice(0, 200);
  const error = `HTTP ${response.status}${detail ? `: ${detail}` : ''}`;
  if (response.status >= 300 && response.status < 400) {
    return { ok: false, retry: false, error: `${error}; the URL redirects${response.headers.get('location') ? ` to ${describeWebhook(response.headers.get('location') ?? '')}` : ''}, configure the final URL` };
  }
  // 5xx and 429 (rate limited) may pass later; other 4xx will not (wrong URL, token, payload).
  return { ok: false, retry: response.status >= 500 || response.status === 429, error };
}

/**
 * `https://user:pass@host/...` means Basic authorization; fetch refuses such a URL outright, with an
 * error that repeats it whole. An Authorization header of the config file wins over it.
 */
function splitCredentials(url: string): { address: string; authorization: Record<string, string> } {
  const parsed = new URL(url);
  if (!parsed.username && !parsed.password) return { address: url, authorization: {} };
  const credentials = `${decodeUrlPart(parsed.username) ?? parsed.username}:${decodeUrlPart(parsed.password) ?? parsed.password}`;
  parsed.username = '';
  parsed.password = '';
  return { address: parsed.href, authorization: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` } };
}

/** The body is JSON whatever the configured headers say; two spellings would be sent as one joined value. */
function withoutContentType(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'content-type'));
}

/** A webhook URL's scheme, host and port only: its path and query are often the secret (Slack, Teams). */
function describeWebhook(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return '(unparsable URL)';
  }
}

function networkErrorText(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${timeoutMs / 1000} s`;
  // fetch reports "fetch failed" and puts the reason (ECONNREFUSED, ENOTFOUND, a TLS error) in `cause`.
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  // fetch refuses the ports of other protocols (SMTP's 25, X11's 6000, …) with a bare "bad port".
  if (cause?.message === 'bad port') return `the URL's port is one that belongs to another protocol (such as mail), and is refused for web requests; use the webhook's own port`;
  if (cause?.code || cause?.message) return [cause.code, cause.message].filter(Boolean).join(' ');
  return errorText(error);
}

function errorText(error: unknown): string {
  return oneLine(error instanceof Error ? error.message : String(error));
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

