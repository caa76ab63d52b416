// The Settings API over real HTTP against `lifeboat serve` with real sessions: the schedule is the one
// `lifeboat schedule set/show` uses (both directions), notification targets are stored with secrets
// masked, the environment wins over them, and the test button reaches a real webhook and SMTP server.
import http from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { runCli } from '../helpers/cli.js';
import { addAccounts, call, signIn, startServer, type Client, type RunningServer } from '../helpers/server.js';

const PASSWORD = 'settings test password';
const SMTP_PASSWORD = 'p@ss:word-42';

interface Hook {
  url: string;
  received: { url: string; body: Record<string, unknown> }[];
  close: () => Promise<void>;
}

async function webhookReceiver(): Promise<Hook> {
  const received: Hook['received'] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (d: Buffer) => (body += d.toString()));
    request.on('end', () => {
      received.push({ url: request.url ?? '', body: JSON.parse(body) as Record<string, unknown> });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/secret-token`,
    received,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** An SMTP server that accepts only user "lifeboat" with SMTP_PASSWORD. */
async function smtpReceiver(): Promise<{ port: number; mails: string[]; close: () => Promise<void> }> {
  const mails: string[] = [];
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    disableReverseLookup: true,
    onAuth: (credentials, _session, callback) =>
      credentials.username === 'lifeboat' && credentials.password === SMTP_PASSWORD ? callback(null, { user: 'lifeboat' }) : callback(new Error('bad credentials')),
    onData(stream, _session, callback) {
      let raw = '';
      stream.on('data', (d: Buffer) => (raw += d.toString()));
      stream.on('end', () => (mails.push(raw), callback()));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.server.address() as AddressInfo).port, mails, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('settings API', () => {
  let server: RunningServer;
  let env: Record<string, string>;
  let admin: Client;
  let operator: Client;
  let hook: Hook;
  let smtp: Awaited<ReturnType<typeof smtpReceiver>>;

  beforeAll(async () => {
    const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-settings-')), 'shop'));
    env = { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl, LIFEBOAT_SHOP_NAME: 'Settings Shop' };
    await addAccounts(env, PASSWORD, { roles: { operator: 'backup,rollback' }, users: { ada: 'admin', olga: 'operator' } });
    server = await startServer(env);
    admin = await signIn(server.base, 'ada', PASSWORD);
    operator = await signIn(server.base, 'olga', PASSWORD);
    hook = await webhookReceiver();
    smtp = await smtpReceiver();
  });

  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
    await hook?.close();
    await smtp?.close();
  });

  const errorOf = async (response: Response) => ((await response.json()) as { error: string }).error;

  it('needs a session (401), the admin resource (403) and the CSRF header (403)', async () => {
    expect((await call(server.base, undefined, 'GET', '/api/settings')).status).toBe(401);
    expect((await call(server.base, undefined, 'PUT', '/api/settings', { schedule: { time: '03:00' } })).status).toBe(401);
    expect((await call(server.base, undefined, 'POST', '/api/settings/notify-test')).status).toBe(401);
    expect((await call(server.base, operator, 'GET', '/api/settings')).status).toBe(403);
    expect((await call(server.base, operator, 'PUT', '/api/settings', { schedule: { time: '03:00' } })).status).toBe(403);
    expect((await call(server.base, operator, 'POST', '/api/settings/notify-test')).status).toBe(403);
    expect((await call(server.base, admin, 'PUT', '/api/settings', { schedule: { time: '03:00' } }, { csrf: false })).status).toBe(403);
    expect((await call(server.base, admin, 'POST', '/api/settings/notify-test', undefined, { csrf: false })).status).toBe(403);
    // Nothing was saved by the refused requests.
    expect(JSON.parse((await runCli(['schedule', 'show', '--json'], env)).stdout)).toBeNull();
  });

  it('refuses bad values with a one-line reason and saves nothing', async () => {
    const cases: [unknown, RegExp][] = [
      [{ schedule: { time: '25:00' } }, /^schedule time must be HH:MM/],
      [{ schedule: { frequency: 'hourly' } }, /^schedule frequency must be daily, weekly or monthly, got "hourly"$/],
      [{ schedule: { timezone: 'Mars/Olympus' } }, /^unknown time zone "Mars\/Olympus"/],
      [{ schedule: { retention: { keepLast: 0 } } }, /refusing to remove every backup/],
      [{ schedule: { startAt: '02:00' } }, /^unknown schedule setting "startAt"; known: enabled, type/],
      [{ notify: { webhookUrl: 'ftp://example.com/x' } }, /^notify webhookUrl must be an http:\/\/ or https:\/\/ URL/],
      [{ notify: { smtp: { url: 'smtp://127.0.0.1:25', from: 'nobody', to: 'ops@shop.example' } } }, /^notify smtp\.from must be an e-mail address/],
      [{ notify: { onSuccess: 'yes' } }, /^notify onSuccess must be true or false$/],
      [{ schedule: { time: '02:00' }, notify: { webhookUrl: 'not a url' } }, /^notify webhookUrl must be/],
      ['schedule', /^send a JSON object/],
    ];
    for (const [body, reason] of cases) {
      const response = await call(server.base, admin, 'PUT', '/api/settings', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const error = await errorOf(response);
      expect(error).toMatch(reason);
      expect(error).not.toContain('\n');
    }
    expect(JSON.parse((await runCli(['schedule', 'show', '--json'], env)).stdout)).toBeNull();
    expect((await call(server.base, admin, 'POST', '/api/settings/notify-test')).status).toBe(400);
  });

  it('saves the schedule the CLI reads, and shows what the CLI saved', async () => {
    const put = await call(server.base, admin, 'PUT', '/api/settings', {
      schedule: { enabled: true, type: 'system', frequency: 'weekly', weekday: 3, time: '01:30', timezone: 'Europe/Amsterdam', maintenance: true, retention: { keepDaily: 7, keepWeekly: 4 } },
    });
    expect(put.status).toBe(200);
    const shown = JSON.parse((await runCli(['schedule', 'show', '--json'], env)).stdout);
    expect(shown).toMatchObject({ enabled: true, type: 'system', frequency: 'weekly', weekday: 3, time: '01:30:00', timezone: 'Europe/Amsterdam', maintenance: true, retention: { keepDaily: 7, keepWeekly: 4 } });
    expect(((await put.json()) as { schedule: unknown }).schedule).toEqual(shown);

    const set = await runCli(['schedule', 'set', '--frequency', 'monthly', '--day-of-month', '31', '--time', '04:15', '--no-maintenance', '--keep-last', '3', '--json'], env);
    expect(set.code, set.stderr).toBe(0);
    const { schedule } = (await (await call(server.base, admin, 'GET', '/api/settings')).json()) as { schedule: Record<string, unknown> };
    expect(schedule).toEqual(JSON.parse(set.stdout));
    expect(schedule).toMatchObject({ type: 'system', frequency: 'monthly', dayOfMonth: 31, time: '04:15:00', maintenance: false, retention: { keepLast: 3 } });

    // Disabling from the page keeps the rest; the CLI agrees.
    expect((await call(server.base, admin, 'PUT', '/api/settings', { schedule: { enabled: false, retention: null } })).status).toBe(200);
    expect(JSON.parse((await runCli(['schedule', 'show', '--json'], env)).stdout)).toMatchObject({ enabled: false, frequency: 'monthly', nextRun: null });
    expect(JSON.parse((await runCli(['schedule', 'show', '--json'], env)).stdout).retention).toBeUndefined();
  });

  it('stores notification targets with secrets masked, keeps a masked secret sent back, and sends a test', async () => {
    const smtpUrl = `smtp://lifeboat:${encodeURIComponent(SMTP_PASSWORD)}@127.0.0.1:${smtp.port}`;
    const put = await call(server.base, admin, 'PUT', '/api/settings', { notify: { webhookUrl: hook.url, smtp: { url: smtpUrl, from: 'lifeboat@shop.example', to: 'ops@shop.example, dev@shop.example' }, onSuccess: true } });
    expect(put.status).toBe(200);
    const text = await put.text();
    expect(text).not.toContain('secret-token');
    expect(text).not.toContain(encodeURIComponent(SMTP_PASSWORD));
    const { notify, fixed } = JSON.parse(text) as { notify: { webhookUrl: string; smtp: { url: string; to: string[] }; onSuccess: boolean }; fixed: unknown };
    expect(notify.webhookUrl).toBe(`${new URL(hook.url).origin}/********`);
    expect(notify.smtp.url).toBe(`smtp://lifeboat:********@127.0.0.1:${smtp.port}`);
    expect(notify.smtp.to).toEqual(['ops@shop.example', 'dev@shop.example']);
    expect(fixed).toEqual({ notify: { webhookUrl: false, smtp: false, onSuccess: false }, backups: { incremental: false } });

    // The page sends back what it was shown: the stored secrets stay.
    expect((await call(server.base, admin, 'PUT', '/api/settings', { notify: { ...notify, smtp: { ...notify.smtp, from: 'backups@shop.example' } } })).status).toBe(200);
    const test = await call(server.base, admin, 'POST', '/api/settings/notify-test');
    expect(test.status).toBe(200);
    expect(((await test.json()) as { results: unknown[] }).results).toEqual([
      { channel: 'webhook', ok: true },
      { channel: 'email', ok: true },
    ]);
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0].url).toBe('/hooks/secret-token');
    expect(hook.received[0].body).toMatchObject({ shop: 'Settings Shop', jobId: 'test', state: 'succeeded' });
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]).toMatch(/^From: backups@shop\.example/m);
    expect(smtp.mails[0]).toMatch(/What to do: This is a test sent from the Settings page/);
  });

  it('notifies about a CLI job through the stored targets', async () => {
    expect((await call(server.base, admin, 'PUT', '/api/settings', { notify: { smtp: null } })).status).toBe(200);
    const before = hook.received.length;
    const backup = await runCli(['backup', 'db', '--name', 'notified'], env);
    expect(backup.code, backup.stderr).toBe(0);
    expect(hook.received.slice(before).map((r) => r.body)).toEqual([expect.objectContaining({ kind: 'backup', type: 'db', state: 'succeeded', shop: 'Settings Shop' })]);
    expect(smtp.mails).toHaveLength(1);
  });

  it('shows a target fixed by the environment as fixed and refuses to change it', async () => {
    const fixedServer = await startServer({ ...env, LIFEBOAT_NOTIFY_ON_SUCCESS: 'false' });
    try {
      const client = await signIn(fixedServer.base, 'ada', PASSWORD);
      const view = (await (await call(fixedServer.base, client, 'GET', '/api/settings')).json()) as { notify: { onSuccess: boolean; webhookUrl: string }; fixed: { notify: Record<string, boolean> } };
      expect(view.fixed.notify).toEqual({ webhookUrl: false, smtp: false, onSuccess: true });
      expect(view.notify.onSuccess).toBe(false); // the environment wins over the stored true
      const refused = await call(fixedServer.base, client, 'PUT', '/api/settings', { notify: { onSuccess: true } });
      expect(refused.status).toBe(400);
      expect(await errorOf(refused)).toBe('notify onSuccess is fixed by LIFEBOAT_NOTIFY_ON_SUCCESS or the config file; change it there');
      // Sending back the fixed value unchanged is fine.
      expect((await call(fixedServer.base, client, 'PUT', '/api/settings', { notify: view.notify })).status).toBe(200);
    } finally {
      expect(await fixedServer.stop()).toBe(0);
    }
  });

  it('makes file backups incremental by default from the page, unless the environment fixes it', async () => {
    type View = { backups: { incremental: boolean }; fixed: { backups: { incremental: boolean } } };
    const before = (await (await call(server.base, admin, 'GET', '/api/settings')).json()) as View;
    expect(before).toMatchObject({ backups: { incremental: false }, fixed: { backups: { incremental: false } } });
    const bad = await call(server.base, admin, 'PUT', '/api/settings', { backups: { incremental: 'yes' } });
    expect(bad.status).toBe(400);
    expect(await errorOf(bad)).toBe('backups must be an object with incremental true or false, e.g. {"incremental": true}');
    expect((await call(server.base, operator, 'PUT', '/api/settings', { backups: { incremental: true } })).status).toBe(403);
    const saved = await call(server.base, admin, 'PUT', '/api/settings', { backups: { incremental: true } });
    expect(saved.status).toBe(200);
    expect(((await saved.json()) as View).backups.incremental).toBe(true);
    // The command line's next System backup goes into the incremental store; --full still makes an archive.
    const incremental = await runCli(['backup', 'system', '--json'], env);
    expect(incremental.code, incremental.stderr).toBe(0);
    expect((JSON.parse(incremental.stdout) as { file: string }).file).toMatch(/_snapshot\.incremental\.json$/);
    const full = await runCli(['backup', 'system', '--full', '--json'], env);
    expect((JSON.parse(full.stdout) as { file: string }).file).toMatch(/_snapshot\.tgz$/);
    // The environment wins, and the page may not change it.
    const fixedServer = await startServer({ ...env, LIFEBOAT_INCREMENTAL: '0' });
    try {
      const client = await signIn(fixedServer.base, 'ada', PASSWORD);
      const view = (await (await call(fixedServer.base, client, 'GET', '/api/settings')).json()) as View;
      expect(view).toMatchObject({ backups: { incremental: false }, fixed: { backups: { incremental: true } } });
      const refused = await call(fixedServer.base, client, 'PUT', '/api/settings', { backups: { incremental: true } });
      expect(refused.status).toBe(400);
      expect(await errorOf(refused)).toBe('incremental backups are fixed by LIFEBOAT_INCREMENTAL or the config file; change it there');
    } finally {
      expect(await fixedServer.stop()).toBe(0);
    }
    expect((await call(server.base, admin, 'PUT', '/api/settings', { backups: { incremental: false } })).status).toBe(200);
  });

  it('records setting changes and tests in the audit log', async () => {
    const { entries } = (await (await call(server.base, admin, 'GET', '/api/audit')).json()) as { entries: { username: string; action: string; success: boolean }[] };
    const seen = entries.map((e) => `${e.username} ${e.action} ${e.success}`);
    expect(seen).toContain('ada settings change true');
    expect(seen).toContain('ada notify test true');
  });
});
