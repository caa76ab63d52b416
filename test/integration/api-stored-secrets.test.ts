// Passwords and tokens saved on the Settings page are encrypted in Lifeboat's state with a key kept in
// another file: the raw `setting` row (SQLite and MySQL/MariaDB) holds neither the SMTP password nor
// the webhook token, a copy of lifeboat.db without the key reveals nothing, values saved in plain text
// before are encrypted when `lifeboat serve` starts, and with a shared state every server opens them
// with the one key file each is given. Against the real `lifeboat serve`, a real webhook and SMTP server.
import http from 'node:http';
import { copyFile, mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DatabaseSync as Database } from 'node:sqlite';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MysqlTarget } from '../../src/engines/target.js';
import { createTestSchema, queryRows } from '../helpers/mysql.js';
import { addAccounts, call, signIn, startServer, type Client, type RunningServer } from '../helpers/server.js';

const PASSWORD = 'stored secrets password';
const SMTP_PASSWORD = 'SmtpS3cret-42';
const HOOK_TOKEN = 'HookT0ken0123456789abcdef';

interface Receivers {
  webhookUrl: string;
  smtpUrl: string;
  hooks: string[];
  mails: number;
  close: () => Promise<void>;
}

/** A webhook receiver and an SMTP server that takes only SMTP_PASSWORD: a wrong secret shows as a failed test. */
async function receivers(): Promise<Receivers> {
  const received: Receivers = { webhookUrl: '', smtpUrl: '', hooks: [], mails: 0, close: async () => undefined };
  const hook = http.createServer((request, response) => {
    received.hooks.push(request.url ?? '');
    request.resume().on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const smtp = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    disableReverseLookup: true,
    onAuth: (credentials, _session, callback) => (credentials.password === SMTP_PASSWORD ? callback(null, { user: 'lifeboat' }) : callback(new Error('bad credentials'))),
    onData: (stream, _session, callback) => stream.resume().on('end', () => (received.mails++, callback())),
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  received.webhookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hooks/${HOOK_TOKEN}`;
  received.smtpUrl = `smtp://lifeboat:${SMTP_PASSWORD}@127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
  received.close = async () => {
    hook.closeAllConnections();
    await new Promise((resolve) => hook.close(resolve));
    await new Promise((resolve) => smtp.close(() => resolve(undefined)));
  };
  return received;
}

const targets = (r: Receivers) => ({ notify: { webhookUrl: r.webhookUrl, smtp: { url: r.smtpUrl, from: 'lifeboat@shop.example', to: 'ops@shop.example' } } });

async function notifyTest(server: RunningServer, client: Client): Promise<unknown> {
  const response = await call(server.base, client, 'POST', '/api/settings/notify-test');
  return ((await response.json()) as { results: unknown }).results;
}

/** Runs `use` against a fresh `lifeboat serve` with ada signed in; the server must stop cleanly. */
async function withSignedIn(env: Record<string, string>, use: (server: RunningServer, admin: Client) => Promise<void>): Promise<void> {
  const server = await startServer(env);
  try {
    await use(server, await signIn(server.base, 'ada', PASSWORD));
  } finally {
    expect(await server.stop()).toBe(0);
  }
}

const BOTH_OK = [
  { channel: 'webhook', ok: true },
  { channel: 'email', ok: true },
];

function expectNoSecret(raw: string | undefined): void {
  expect(raw).toBeDefined();
  for (const secret of [SMTP_PASSWORD, encodeURIComponent(SMTP_PASSWORD), HOOK_TOKEN, '/hooks/']) expect(raw).not.toContain(secret);
  expect(raw).toMatch(/"lbsealed:v1:[0-9a-f]{8}:[A-Za-z0-9_-]+"/);
}

const sqliteRow = (home: string): string | undefined => {
  const db = new Database(path.join(home, 'lifeboat.db'), { readOnly: true });
  try {
    return (db.prepare("SELECT value FROM setting WHERE key = 'notify'").get() as { value: string } | undefined)?.value;
  } finally {
    db.close();
  }
};

async function shopEnv(extra: Record<string, string> = {}): Promise<{ env: Record<string, string>; home: string }> {
  const root = await mkdtemp(path.join(tmpdir(), 'lifeboat-stored-secrets-'));
  return { env: { LIFEBOAT_ROOT: root, LIFEBOAT_SHOP_NAME: 'Sealed Shop', ...extra }, home: path.join(root, 'var', 'lifeboat') };
}

describe('stored secrets with the SQLite state', () => {
  let r: Receivers;
  beforeAll(async () => {
    r = await receivers();
  });
  afterAll(async () => r?.close());

  it('seals them with <home>/secrets.key (0600): the raw row, and a copy of lifeboat.db without the key, reveal nothing', async () => {
    const { env, home } = await shopEnv();
    await addAccounts(env, PASSWORD, { users: { ada: 'admin' } });
    await withSignedIn(env, async (server, admin) => {
      expect((await call(server.base, admin, 'PUT', '/api/settings', targets(r))).status).toBe(200);
      expectNoSecret(sqliteRow(home));
      expect((await stat(path.join(home, 'secrets.key'))).mode & 0o777).toBe(0o600);
      expect((await stat(path.join(home, 'secrets.key'))).size).toBe(32);
      expect(await notifyTest(server, admin)).toEqual(BOTH_OK);
    });

    // lifeboat.db copied elsewhere, without the key: the row is all there is to read.
    const elsewhere = await shopEnv();
    await mkdir(elsewhere.home, { recursive: true });
    await copyFile(path.join(home, 'lifeboat.db'), path.join(elsewhere.home, 'lifeboat.db'));
    expectNoSecret(sqliteRow(elsewhere.home));
    await withSignedIn(elsewhere.env, async (copy, admin) => {
      const shown = await call(copy.base, admin, 'GET', '/api/settings');
      expect(shown.status).toBe(409);
      expect(((await shown.json()) as { error: string }).error).toMatch(/^the key of the stored secrets, .*secrets\.key, is gone: put it back from a copy/);
    });
  });

  it('seals them with LIFEBOAT_SECRET_KEY_FILE (a passphrase) instead, when it is set', async () => {
    const keyDir = await mkdtemp(path.join(tmpdir(), 'lifeboat-secret-key-'));
    const keyFile = path.join(keyDir, 'secrets.key');
    await writeFile(keyFile, 'a long passphrase for the stored secrets\n', { mode: 0o600 });
    const { env, home } = await shopEnv({ LIFEBOAT_SECRET_KEY_FILE: keyFile });
    await addAccounts(env, PASSWORD, { users: { ada: 'admin' } });
    await withSignedIn(env, async (server, admin) => {
      expect((await call(server.base, admin, 'PUT', '/api/settings', targets(r))).status).toBe(200);
      expectNoSecret(sqliteRow(home));
      expect(await readdir(home)).not.toContain('secrets.key');
      expect(await notifyTest(server, admin)).toEqual(BOTH_OK);
    });
  });

  it('seals what an older version saved in plain text when the server starts, and says so', async () => {
    const { env, home } = await shopEnv();
    await addAccounts(env, PASSWORD, { users: { ada: 'admin' } });
    const plain = JSON.stringify({ webhookUrl: r.webhookUrl, smtp: { url: r.smtpUrl, from: 'lifeboat@shop.example', to: ['ops@shop.example'] } });
    const db = new Database(path.join(home, 'lifeboat.db'));
    db.prepare("INSERT INTO setting (key, value) VALUES ('notify', ?)").run(plain);
    db.close();
    await withSignedIn(env, async (server, admin) => {
      expect(server.stderr()).toContain(`the webhook URL and the SMTP server URL saved on the Settings page were in plain text in lifeboat.db; now encrypted with ${path.join(home, 'secrets.key')} (keep a copy of that key away from the state)`);
      expectNoSecret(sqliteRow(home));
      expect(await notifyTest(server, admin)).toEqual(BOTH_OK);
    });
  });
});

describe('stored secrets with the MySQL/MariaDB state', () => {
  let r: Receivers;
  let state: { target: MysqlTarget; drop: () => Promise<void> };
  let stateUrl: string;
  let keyFile: string;
  beforeAll(async () => {
    r = await receivers();
    state = await createTestSchema('sealed_state');
    const { target } = state;
    stateUrl = `mysql://${target.user}@${target.host}:${target.port}/${target.database}`;
    keyFile = path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-shared-key-')), 'secrets.key');
    await writeFile(keyFile, randomBytes(32), { mode: 0o600 });
  });
  afterAll(async () => {
    await r?.close();
    await state?.drop();
  });

  const mysqlRow = async () => (await queryRows<{ value: string }>(state.target, "SELECT value FROM setting WHERE `key` = 'notify'"))[0]?.value;

  it('refuses to save a secret without LIFEBOAT_SECRET_KEY_FILE, saying what to do, and saves nothing', async () => {
    const { env } = await shopEnv({ LIFEBOAT_STATE_URL: stateUrl });
    await addAccounts(env, PASSWORD, { users: { ada: 'admin' } });
    await withSignedIn(env, async (server, admin) => {
      const refused = await call(server.base, admin, 'PUT', '/api/settings', targets(r));
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: string }).error).toMatch(/^with LIFEBOAT_STATE_URL, passwords and tokens saved from the Settings page are encrypted with LIFEBOAT_SECRET_KEY_FILE, which is not set: create a key once/);
      expect(await mysqlRow()).toBeUndefined();
    });
  });

  it('seals them with the key file every server is given: saved on one server, sent from the other', async () => {
    const envs = [await shopEnv({ LIFEBOAT_STATE_URL: stateUrl, LIFEBOAT_SECRET_KEY_FILE: keyFile }), await shopEnv({ LIFEBOAT_STATE_URL: stateUrl, LIFEBOAT_SECRET_KEY_FILE: keyFile })];
    const servers = await Promise.all(envs.map(({ env }) => startServer(env)));
    try {
      const [one, two] = await Promise.all(servers.map((server) => signIn(server.base, 'ada', PASSWORD)));
      expect((await call(servers[0].base, one, 'PUT', '/api/settings', targets(r))).status).toBe(200);
      expectNoSecret(await mysqlRow());
      expect(await notifyTest(servers[1], two)).toEqual(BOTH_OK);
      for (const { home } of envs) expect(await readdir(home).catch(() => [])).not.toContain('secrets.key');
    } finally {
      for (const server of servers) expect(await server.stop()).toBe(0);
    }
  });

  it('warns about plain-text secrets of an older version without the key, and seals them once it is set', async () => {
    const plain = JSON.stringify({ webhookUrl: r.webhookUrl, smtp: { url: r.smtpUrl, from: 'lifeboat@shop.example', to: ['ops@shop.example'] } });
    await queryRows(state.target, "UPDATE setting SET value = ? WHERE `key` = 'notify'", [plain]);
    await withSignedIn((await shopEnv({ LIFEBOAT_STATE_URL: stateUrl })).env, async (withoutKey, admin) => {
      expect(withoutKey.stderr()).toContain('warning: the webhook URL and the SMTP server URL saved on the Settings page are still in plain text in the shared state: with LIFEBOAT_STATE_URL');
      expect(await notifyTest(withoutKey, admin)).toEqual(BOTH_OK); // still working meanwhile
    });
    await withSignedIn((await shopEnv({ LIFEBOAT_STATE_URL: stateUrl, LIFEBOAT_SECRET_KEY_FILE: keyFile })).env, async (withKey) => {
      expect(withKey.stderr()).toContain(`were in plain text in the shared state; now encrypted with ${keyFile}`);
      expectNoSecret(await mysqlRow());
    });
  });
});
