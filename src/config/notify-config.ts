// The notification settings' shape and their validation: shared by the config file, the environment and the
// Settings page, so a mistake shows when it is entered rather than when a backup fails at night.
import { UsageError } from '../shared/errors.js';
import { decodeUrlPart, percentEscapeAdvice } from '../shared/url-parts.js';
import { rememberSecret, rememberUrlSecrets } from '../shared/redact.js';
import { INPUT_LIMITS, requireMaxLength } from '../shared/text-limits.js';

export interface SmtpConfig {
  /** smtp://user:pass@host:port or smtps://user:pass@host:port */
  url: string;
  from: string;
  to: string[];
}


export interface NotifyConfig {
  /** http(s) URL that receives a JSON POST per notification. */
  webhookUrl?: string;
  /** Extra request headers, e.g. Authorization. */
  webhookHeaders?: Record<string, string>;
  smtp?: SmtpConfig;
  /** Also notify when a job succeeds (failures and missed schedules always notify). */
  onSuccess?: boolean;
}

/** At most INPUT_LIMITS.recipients addresses, each no longer than an e-mail address can be. */
function requireRecipients(to: string[]): void {
  if (to.length > INPUT_LIMITS.recipients) throw new UsageError(`notify smtp.to has ${to.length} addresses; give at most ${INPUT_LIMITS.recipients}`);
  for (const address of to) requireMaxLength('notify smtp.to address', address, INPUT_LIMITS.emailAddress);
}

/** Remembers the targets' passwords and tokens, so that no message repeats them (see redact.ts). */
export function rememberNotifySecrets(config: NotifyConfig): void {
  rememberUrlSecrets(config.webhookUrl, { tokens: true });
  rememberUrlSecrets(config.smtp?.url);
  for (const value of Object.values(config.webhookHeaders ?? {})) {
    rememberSecret(value);
    rememberSecret(/^\S+\s+(\S.*)$/.exec(value)?.[1]); // the credential of "Bearer TOKEN", which a server may quote alone
  }
}

/**
 * Validates notification settings from a config file, so mistakes show at start-up rather than when a
 * backup fails at night. Throws a UsageError naming the setting.
 */
export function parseNotifyConfig(input: unknown): NotifyConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new UsageError('notify settings must be an object');
  const raw = input as Record<string, unknown>;
  const config: NotifyConfig = {};
  if (raw.webhookUrl !== undefined) {
    const url = requireMaxLength('notify webhookUrl', typeof raw.webhookUrl === 'string' ? raw.webhookUrl : '', INPUT_LIMITS.url);
    if (!/^https?:\/\//i.test(url) || !URL.canParse(url)) throw new UsageError(`notify webhookUrl must be an http:// or https:// URL, e.g. https://hooks.example.com/lifeboat`);
    config.webhookUrl = url;
  }
  if (raw.webhookHeaders !== undefined) {
    const headers = raw.webhookHeaders;
    if (typeof headers !== 'object' || headers === null || Object.values(headers).some((value) => typeof value !== 'string')) {
      throw new UsageError('notify webhookHeaders must map header names to strings, e.g. {"Authorization": "Bearer TOKEN"}');
    }
    config.webhookHeaders = headers as Record<string, string>;
  }
  if (raw.smtp !== undefined) {
    const smtp = (typeof raw.smtp === 'object' && raw.smtp !== null ? raw.smtp : {}) as Record<string, unknown>;
    const url = requireMaxLength('notify smtp.url', typeof smtp.url === 'string' ? smtp.url : '', INPUT_LIMITS.url);
    if (!/^smtps?:\/\/[^/]/i.test(url) || !URL.canParse(url)) throw new UsageError('notify smtp.url must be smtp://user:pass@host:587 or smtps://user:pass@host:465');
    if (typeof smtp.from === 'string') requireMaxLength('notify smtp.from', smtp.from, INPUT_LIMITS.emailAddress);
    const { username, password } = new URL(url);
    if (decodeUrlPart(username) === undefined) throw new UsageError(`notify smtp.url: ${percentEscapeAdvice('user name')}`);
    if (decodeUrlPart(password) === undefined) throw new UsageError(`notify smtp.url: ${percentEscapeAdvice('password')}`);
    if (typeof smtp.from !== 'string' || !smtp.from.includes('@')) throw new UsageError('notify smtp.from must be an e-mail address, e.g. lifeboat@shop.example');
    const to = typeof smtp.to === 'string' ? smtp.to.split(',').map((address) => address.trim()).filter(Boolean) : smtp.to;
    if (!Array.isArray(to) || to.length === 0 || to.some((address) => typeof address !== 'string' || !address.includes('@'))) {
      throw new UsageError('notify smtp.to must list one or more e-mail addresses, e.g. ["ops@shop.example"]');
    }
    requireRecipients(to as string[]);
    config.smtp = { url, from: smtp.from, to: to as string[] };
  }
  if (raw.onSuccess !== undefined) {
    if (typeof raw.onSuccess !== 'boolean') throw new UsageError('notify onSuccess must be true or false');
    config.onSuccess = raw.onSuccess;
  }
  return config;
}
