// E-mail over SMTP (through nodemailer), for notify.ts. The server is given as one URL, as people copy
// it from their mail provider:
//   smtp://user:pass@host:port    plain connection, upgraded with STARTTLS when the server offers it
//                                 (port 587 when none is given)
//   smtps://user:pass@host:port   TLS from the start (port 465 when none is given)
// with percent-encoded user and password (`p@ss` is `p%40ss`), and three optional query settings:
//   ?requireTLS=true              refuse to send unless STARTTLS succeeds
//   ?ignoreTLS=true               never try STARTTLS (a local relay without TLS)
//   ?rejectUnauthorized=false     accept a self-signed certificate (a relay on the same host)
// nodemailer is imported when a message is sent: loaded up front it cost every command (backups
// included) about 10 MiB of memory.
import type { SMTPTransportOptions } from 'nodemailer';
import type { SmtpConfig } from '../../config/notify-config.js';

export interface EmailMessage {
  subject: string;
  text: string;
  /** Extra headers, e.g. X-Lifeboat-Job, so mail filters can sort notifications. */
  headers?: Record<string, string>;
}

const BOOLEAN_SETTINGS = ['requireTLS', 'ignoreTLS', 'rejectUnauthorized'] as const;

/** The server as "host:port", for messages: never the user or the password. */
export function describeSmtpServer(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'the SMTP server (unparsable URL)';
  }
}

/**
 * Turns the URL into nodemailer's options. Throws an Error whose message names what is wrong and never
 * repeats the password.
 */
export function smtpTransportOptions(url: string, timeoutMs: number): SMTPTransportOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('the SMTP URL is not a URL; write it as smtp://user:pass@host:587 or smtps://user:pass@host:465');
  }
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
    throw new Error(`the SMTP URL must start with smtp:// or smtps://, not ${parsed.protocol}//`);
  }
  if (!parsed.hostname) throw new Error('the SMTP URL names no host');
  const secure = parsed.protocol === 'smtps:';
  const settings: Partial<Record<(typeof BOOLEAN_SETTINGS)[number], boolean>> = {};
  for (const [key, value] of parsed.searchParams) {
    const setting = BOOLEAN_SETTINGS.find((name) => name === key);
    if (!setting || (value !== 'true' && value !== 'false')) {
      throw new Error(`unsupported SMTP URL setting "${key}=${value}"; supported: requireTLS=true, ignoreTLS=true, rejectUnauthorized=false`);
    }
    settings[setting] = value === 'true';
  }
  const options: SMTPTransportOptions = {
    // WHATWG keeps IPv6 hosts in brackets; sockets want them bare.
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : secure ? 465 : 587,
    secure,
    requireTLS: settings.requireTLS ?? false,
    ignoreTLS: settings.ignoreTLS ?? false,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs * 3,
    dnsTimeout: timeoutMs,
  };
  if (settings.rejectUnauthorized === false) options.tls = { rejectUnauthorized: false };
  if (parsed.username || parsed.password) {
    options.auth = { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) };
  }
  return options;
}

/** Sends one plain-text message; rejects with nodemailer's error when the server does not take it. */
export async function sendEmail(smtp: SmtpConfig, message: EmailMessage, timeoutMs: number): Promise<void> {
  if (!smtp.from) throw new Error('no sender: set the SMTP "from" address');
  if (!smtp.to?.length) throw new Error('no recipients: set the SMTP "to" addresses');
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport(smtpTransportOptions(smtp.url, timeoutMs));
  try {
    await transport.sendMail({ from: smtp.from, to: smtp.to, subject: message.subject, text: message.text, headers: message.headers });
  } finally {
    transport.close();
  }
}
