// Notifications delivered to real servers on the loopback address: an HTTP server (node:http) for the
// webhook and an SMTP server (smtp-server) for the e-mail.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { describeEvent, notify, type JobEvent, type NotifyOptions } from '../../src/core/notify/notify.js';
import { parseNotifyConfig } from '../../src/config/notify-config.js';

const failedBackup: JobEvent = {
  shop: 'main-shop',
  jobId: 'job-42',
  kind: 'backup',
  type: 'db',
  state: 'failed',
  error: "Access denied for user 'magento'@'localhost' (using password: YES) — café",
  startedAt: '2025-03-30T01:00:00.000Z',
  finishedAt: '2025-03-30T01:00:05.000Z',
};

// Short waits so the retry and timeout tests take milliseconds, not seconds.
const fast: NotifyOptions = { webhookRetryDelaysMs: [20, 40], webhookTimeoutMs: 2_000, smtpTimeoutMs: 5_000 };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** An HTTP server that answers the statuses given, one per request (the last one repeating), or never. */
async function webhookServer(statuses: (number | 'hang')[]): Promise<{ url: string; requests: ReceivedRequest[] }> {
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = statuses[Math.min(requests.length, statuses.length) - 1];
      if (status === 'hang') return; // never answers: the client must time out
      if (status === 302) response.setHeader('location', 'http://127.0.0.1:1/elsewhere/secret-token');
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 400 ? `status ${status} from the test server` : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/secret-token`, requests };
}

interface ReceivedMail {
  from: string;
  to: string[];
  auth?: { username?: string; password?: string };
  raw: string;
}

/** An SMTP server on 127.0.0.1 without TLS (so no certificate is needed), with optional login. */
async function smtpServer(overrides: Partial<SMTPServerOptions> = {}): Promise<{ port: number; mails: ReceivedMail[] }> {
  const mails: ReceivedMail[] = [];
  let auth: ReceivedMail['auth'];
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: true,
    disableReverseLookup: true,
    onAuth(credentials, _session, callback) {
      auth = { username: credentials.username, password: credentials.password ?? undefined };
      callback(null, { user: credentials.username });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        mails.push({ from, to: session.envelope.rcptTo.map((r) => r.address), auth, raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
    ...overrides,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.server.address() as AddressInfo).port, mails };
}

/** The headers (unfolded, names lower-cased) and the decoded text body of a single-part message. */
function parseMail(raw: string): { headers: Record<string, string>; body: string } {
  const split = raw.indexOf('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.slice(split + 4);
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  if (encoding === 'base64') body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => `%${hex}`);
    body = decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/gi, '%25'));
  }
  return { headers, body: body.replace(/\r\n/g, '\n') };
}

describe('webhook', () => {
  it('POSTs the event as JSON with the configured headers', async () => {
    const hook = await webhookServer([204]);
    const results = await notify({ webhookUrl: hook.url, webhookHeaders: { Authorization: 'Bearer t0ken', 'Content-Type': 'text/plain' } }, { ...failedBackup, hint: 'Grant the user access.' }, fast);
    expect(results).toEqual([{ channel: 'webhook', ok: true }]);
    expect(hook.requests).toHaveLength(1);
    const [request] = hook.requests;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/hooks/secret-token');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers.authorization).toBe('Bearer t0ken');
    expect(request.headers['user-agent']).toMatch(/^lifeboat\//);
    const body = JSON.parse(request.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      source: 'lifeboat',
      shop: 'main-shop',
      jobId: 'job-42',
      kind: 'backup',
      type: 'db',
      state: 'failed',
      error: failedBackup.error,
      hint: 'Grant the user access.',
      startedAt: failedBackup.startedAt,
      finishedAt: failedBackup.finishedAt,
      subject: '[Lifeboat] main-shop: db backup failed',
    });
    expect(body.text).toContain(failedBackup.error);
    expect(body.text).toContain('What to do: Grant the user access.');
  });

  it('retries after a 500 and succeeds on the second attempt', async () => {
    const hook = await webhookServer([500, 200]);
    expect(await notify({ webhookUrl: hook.url }, failedBackup, fast)).toEqual([{ channel: 'webhook', ok: true }]);
    expect(hook.requests).toHaveLength(2);
    expect(hook.requests[1].body).toBe(hook.requests[0].body);
  });

  it('gives up after two retries, reporting the status without the secret path', async () => {
    const hook = await webhookServer([503]);
    const [result] = await notify({ webhookUrl: hook.url }, failedBackup, fast);
    expect(hook.requests).toHaveLength(3);
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/^webhook http:\/\/127\.0\.0\.1:\d+: HTTP 503: status 503 from the test server \(after 3 attempts\)$/);
    expect(result.error).not.toContain('secret-token');
  });

  it('does not retry a 4xx answer or a redirect', async () => {
    const notFound = await webhookServer([404]);
    const [result] = await notify({ webhookUrl: notFound.url }, failedBackup, fast);
    expect(notFound.requests).toHaveLength(1);
    expect(result.error).toMatch(/HTTP 404/);
    const moved = await webhookServer([302]);
    const [redirected] = await notify({ webhookUrl: moved.url }, failedBackup, fast);
    expect(moved.requests).toHaveLength(1);
    expect(redirected.error).toMatch(/HTTP 302.*redirects to http:\/\/127\.0\.0\.1:1, configure the final URL/);
    expect(redirected.error).not.toContain('secret-token');
  });

  it('times out a server that never answers, and reports a refused connection, without throwing', async () => {
    const silent = await webhookServer(['hang']);
    const [timedOut] = await notify({ webhookUrl: silent.url }, failedBackup, { webhookTimeoutMs: 200, webhookRetryDelaysMs: [10] });
    expect(timedOut).toEqual({ channel: 'webhook', ok: false, error: expect.stringMatching(/no answer within 0.2 s \(after 2 attempts\)$/) as unknown });
    expect(silent.requests).toHaveLength(2);

    const closed = await webhookServer([200]);
    await cleanups.pop()?.(); // stop it: its port now refuses connections
    const [refused] = await notify({ webhookUrl: closed.url }, failedBackup, fast);
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatch(/ECONNREFUSED/);

    const [badUrl] = await notify({ webhookUrl: 'ftp://127.0.0.1/x' }, failedBackup, fast);
    expect(badUrl).toEqual({ channel: 'webhook', ok: false, error: 'webhook ftp://127.0.0.1: the URL must start with http:// or https://' });

    // A port fetch refuses (SMTP's), tried once as the page's test does: why, in words, and no "(after 1 attempts)".
    const [badPort] = await notify({ webhookUrl: 'http://127.0.0.1:25/x' }, failedBackup, { ...fast, webhookRetryDelaysMs: [] });
    expect(badPort.error).toBe("webhook http://127.0.0.1:25: the URL's port is one that belongs to another protocol (such as mail), and is refused for web requests; use the webhook's own port");
  });

  it('sends successes only with onSuccess, and always a missed schedule', async () => {
    const hook = await webhookServer([200]);
    const succeeded: JobEvent = { ...failedBackup, state: 'succeeded', error: undefined, file: '1743296400_db.sql.gz', size: 43_210_987 };
    expect(await notify({ webhookUrl: hook.url }, succeeded, fast)).toEqual([]);
    expect(hook.requests).toHaveLength(0);
    expect(await notify({ webhookUrl: hook.url, onSuccess: true }, succeeded, fast)).toEqual([{ channel: 'webhook', ok: true }]);
    const sent = JSON.parse(hook.requests[0].body) as Record<string, unknown>;
    expect(sent).toMatchObject({ state: 'succeeded', file: '1743296400_db.sql.gz', size: 43_210_987, subject: '[Lifeboat] main-shop: db backup succeeded' });
    expect(sent.text).toContain('File: 1743296400_db.sql.gz (41.2 MiB)');

    const missed: JobEvent = { shop: 'main-shop', jobId: '2025-03-30T01:00:00Z', kind: 'missed-schedule', type: 'db', state: 'failed', startedAt: '2025-03-30T01:00:00Z', finishedAt: '2025-03-30T02:00:00Z' };
    expect(await notify({ webhookUrl: hook.url }, missed, fast)).toEqual([{ channel: 'webhook', ok: true }]);
    expect(JSON.parse(hook.requests[1].body)).toMatchObject({ kind: 'missed-schedule', subject: '[Lifeboat] main-shop: scheduled db backup did not run', hint: expect.stringContaining('lifeboat cron') as unknown });
  });
});

describe('e-mail', () => {
  it('sends a plain-text message naming the shop, the job, the error and what to do', async () => {
    const smtp = await smtpServer();
    const results = await notify(
      { smtp: { url: `smtp://lifeboat%2Bshop:p%40ss%3Aword@127.0.0.1:${smtp.port}`, from: 'lifeboat@shop.example', to: ['ops@shop.example', 'dev@shop.example'] } },
      failedBackup,
      fast,
    );
    expect(results).toEqual([{ channel: 'email', ok: true }]);
    expect(smtp.mails).toHaveLength(1);
    const [mail] = smtp.mails;
    expect(mail.auth).toEqual({ username: 'lifeboat+shop', password: 'p@ss:word' });
    expect(mail.from).toBe('lifeboat@shop.example');
    expect(mail.to).toEqual(['ops@shop.example', 'dev@shop.example']);
    const { headers, body } = parseMail(mail.raw);
    expect(headers.from).toBe('lifeboat@shop.example');
    expect(headers.to).toBe('ops@shop.example, dev@shop.example');
    expect(headers.subject).toBe('[Lifeboat] main-shop: db backup failed');
    expect(headers['x-lifeboat-job']).toBe('job-42');
    expect(headers['content-type']).toMatch(/^text\/plain/);
    expect(body).toContain('Shop: main-shop');
    expect(body).toContain('Job: job-42 (backup, type db)');
    expect(body).toContain(`Error: ${failedBackup.error}`);
    expect(body).toMatch(/What to do: Run "lifeboat jobs" and read job job-42's log/);
  });

  it('sends both channels at once', async () => {
    const smtp = await smtpServer();
    const hook = await webhookServer([200]);
    const results = await notify(
      { webhookUrl: hook.url, smtp: { url: `smtp://127.0.0.1:${smtp.port}`, from: 'lifeboat@shop.example', to: ['ops@shop.example'] } },
      { ...failedBackup, kind: 'rollback', type: undefined },
      fast,
    );
    expect(results).toEqual([{ channel: 'webhook', ok: true }, { channel: 'email', ok: true }]);
    expect(parseMail(smtp.mails[0].raw).headers.subject).toBe('[Lifeboat] main-shop: rollback failed');
    expect(hook.requests).toHaveLength(1);
  });

  it('returns the failure when the server refuses, without the password', async () => {
    const smtp = await smtpServer({
      onRcptTo(_address, _session, callback) {
        callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
      },
    });
    const [result] = await notify({ smtp: { url: `smtp://user:hunter2@127.0.0.1:${smtp.port}`, from: 'lifeboat@shop.example', to: ['nobody@shop.example'] } }, failedBackup, fast);
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/^e-mail via smtp:\/\/127\.0\.0\.1:\d+: .*mailbox unavailable/);
    expect(result.error).not.toContain('hunter2');
    expect(smtp.mails).toHaveLength(0);

    const [badUrl] = await notify({ smtp: { url: 'http://127.0.0.1:25', from: 'a@b.c', to: ['d@e.f'] } }, failedBackup, fast);
    expect(badUrl).toEqual({ channel: 'email', ok: false, error: 'e-mail via http://127.0.0.1:25: the SMTP URL must start with smtp:// or smtps://, not http://' });
    const closed = await smtpServer();
    await cleanups.pop()?.();
    const [refused] = await notify({ smtp: { url: `smtp://127.0.0.1:${closed.port}`, from: 'a@b.c', to: ['d@e.f'] } }, failedBackup, fast);
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatch(/ECONNREFUSED/);
  });
});

describe('describeEvent and parseNotifyConfig', () => {
  it('keeps the subject on one line', () => {
    expect(describeEvent({ ...failedBackup, shop: 'two\nlines' }).subject).toBe('[Lifeboat] two lines: db backup failed');
  });

  it('validates settings from a file', () => {
    expect(parseNotifyConfig({ webhookUrl: 'https://hooks.example.com/x', smtp: { url: 'smtps://u:p@mail.example.com', from: 'a@example.com', to: 'b@example.com, c@example.com' }, onSuccess: true })).toEqual({
      webhookUrl: 'https://hooks.example.com/x',
      smtp: { url: 'smtps://u:p@mail.example.com', from: 'a@example.com', to: ['b@example.com', 'c@example.com'] },
      onSuccess: true,
    });
    expect(() => parseNotifyConfig({ webhookUrl: 'hooks.example.com' })).toThrow(/webhookUrl must be an http:\/\/ or https:\/\/ URL/);
    expect(() => parseNotifyConfig({ smtp: { url: 'mail.example.com', from: 'a@example.com', to: ['b@example.com'] } })).toThrow(/smtp.url must be/);
    expect(() => parseNotifyConfig({ smtp: { url: 'smtp://mail.example.com', from: 'a@example.com', to: [] } })).toThrow(/smtp.to must list/);
    expect(() => parseNotifyConfig({ webhookHeaders: { Authorization: 1 } })).toThrow(/webhookHeaders/);
  });
});

describe('secrets in notifications', () => {
  it("sends a webhook URL's user and password as Basic authorization", async () => {
    const hook = await webhookServer([204]);
    const withCredentials = hook.url.replace('http://', 'http://lifeboat:hunter2-webhook@');
    expect(await notify({ webhookUrl: withCredentials }, failedBackup, fast)).toEqual([{ channel: 'webhook', ok: true }]);
    expect(hook.requests[0].headers.authorization).toBe(`Basic ${Buffer.from('lifeboat:hunter2-webhook').toString('base64')}`);
    expect(hook.requests[0].url).toBe('/hooks/secret-token');
  });

  it('masks a header token that the server repeats in its refusal', async () => {
    const requests: string[] = [];
    const server = http.createServer((request, response) => {
      requests.push(request.url ?? '');
      response.writeHead(401, { 'content-type': 'text/plain' }).end(`invalid credentials: ${request.headers.authorization}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
    const webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const [result] = await notify({ webhookUrl, webhookHeaders: { Authorization: 'Bearer Zm9vYmFyYmF6cXV4' } }, failedBackup, fast);
    expect(result).toMatchObject({ channel: 'webhook', ok: false });
    expect(result.error).toMatch(/HTTP 401: invalid credentials: \*{8}$/);
    expect(result.error).not.toContain('Zm9vYmFyYmF6cXV4');
  });

  it("masks a URL's password in the error that the webhook and the e-mail carry", async () => {
    const hook = await webhookServer([204]);
    const smtp = await smtpServer();
    const event = { ...failedBackup, error: 'cannot connect to mysql://magento:hunter2-db@db.internal:3306/magento' };
    const results = await notify({ webhookUrl: hook.url, smtp: { url: `smtp://127.0.0.1:${smtp.port}`, from: 'lifeboat@shop.example', to: ['ops@shop.example'] } }, event, fast);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(hook.requests[0].body).toContain('mysql://magento:********@db.internal:3306/magento');
    expect(hook.requests[0].body).not.toContain('hunter2-db');
    expect(parseMail(smtp.mails[0].raw).body).toContain('mysql://magento:********@db.internal:3306/magento');
    expect(smtp.mails[0].raw).not.toContain('hunter2-db');
  });
});
