// Sign-in limits and password hashes over real HTTP against `lifeboat serve`, with its real state
// database (SQLite in LIFEBOAT_HOME). Failures are counted per account and client address (a guessed
// account is slowed down, the others are not), with a looser cap per address alone; a success clears
// only its own account's count; the password re-check of a rollback counts with them. The server
// trusts 127.0.0.1 as its proxy, so each test picks its own client address with X-Forwarded-For.
// Also: the warning when a proxy's X-Forwarded-For arrives at a server that trusts no proxy, and
// scrypt hashes raised to the current parameters at the next sign-in.
import { DatabaseSync as Database } from 'node:sqlite';
import { randomBytes, scryptSync } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { addAccounts, call, startServer, waitForJob, type Client, type RunningServer } from '../helpers/server.js';

const PASSWORD = 'sign-in test password';
const CURRENT_HASH = /^scrypt\$131072\$8\$1\$/;

/** A hash as Lifeboat stored it before the parameters were raised (N=2^14). */
function oldHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N: 16384, r: 8, p: 1 });
  return ['scrypt', 16384, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

describe('sign-in limits', () => {
  let server: RunningServer;
  let env: Record<string, string>;
  let stateFile: string;

  beforeAll(async () => {
    const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-signin-')), 'shop'));
    env = { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl, LIFEBOAT_TRUST_PROXY: '127.0.0.1' };
    stateFile = path.join(shop.root, 'var', 'lifeboat', 'lifeboat.db');
    await addAccounts(env, PASSWORD, { roles: { operator: 'backup,rollback' }, users: { ada: 'admin', olga: 'operator' } });
    server = await startServer(env);
  });

  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
  });

  const signInFrom = (address: string, username: string, password: string) =>
    call(server.base, undefined, 'POST', '/api/session', { username, password }, { headers: { 'x-forwarded-for': address } });

  /** Sends `count` sign-ins one after the other; their statuses. */
  async function statuses(count: number, attempt: (i: number) => Promise<Response>): Promise<number[]> {
    const seen: number[] = [];
    for (let i = 0; i < count; i++) seen.push((await attempt(i)).status);
    return seen;
  }

  async function clientFrom(address: string, username: string): Promise<Client> {
    const response = await signInFrom(address, username, PASSWORD);
    expect(response.status).toBe(200);
    return { cookie: (response.headers.get('set-cookie') ?? '').split(';')[0], csrf: ((await response.json()) as { csrfToken: string }).csrfToken };
  }

  const storedHash = (username: string) => {
    const db = new Database(stateFile, { readOnly: true });
    try {
      return (db.prepare('SELECT password_hash FROM user WHERE username = ?').get(username) as { password_hash: string }).password_hash;
    } finally {
      db.close();
    }
  };

  it("keeps counting a guessed account while another account signs in from the same address", async () => {
    const address = '203.0.113.1';
    const guesses: number[] = [];
    for (let round = 0; round < 5; round++) {
      guesses.push(...(await statuses(9, (i) => signInFrom(address, 'ada', `guess ${round}.${i}`))));
      expect((await signInFrom(address, 'olga', PASSWORD)).status).toBe(200);
    }
    expect(guesses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(guesses.slice(10)).toEqual(Array(35).fill(429));
  });

  it('slows down only the guessed account: the others, the admin too, still sign in from that address', async () => {
    const address = '203.0.113.2';
    expect(await statuses(15, (i) => signInFrom(address, 'olga', `guess ${i}`))).toEqual([...Array(10).fill(401), ...Array(5).fill(429)]);
    const locked = await signInFrom(address, 'olga', PASSWORD);
    expect(locked.status).toBe(429);
    expect(((await locked.json()) as { error: string }).error).toMatch(/^too many failed sign-ins for this account from 203\.0\.113\.2; try again in \d+ s$/);
    const wait = Number(locked.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(14 * 60);
    expect(wait).toBeLessThanOrEqual(15 * 60);
    expect((await signInFrom(address, 'ada', PASSWORD)).status).toBe(200);
    expect((await signInFrom('198.51.100.2', 'olga', PASSWORD)).status).toBe(200);
  });

  it("clears an account's count at its own success", async () => {
    const address = '203.0.113.3';
    expect(await statuses(9, (i) => signInFrom(address, 'olga', `guess ${i}`))).toEqual(Array(9).fill(401));
    expect((await signInFrom(address, 'olga', PASSWORD)).status).toBe(200);
    expect(await statuses(11, (i) => signInFrom(address, 'olga', `again ${i}`))).toEqual([...Array(10).fill(401), 429]);
  });

  it('counts guesses sent in parallel before checking them: at most 10 are checked', async () => {
    const address = '203.0.113.6';
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => signInFrom(address, 'olga', `parallel guess ${i}`)));
    const checked = answers.filter((response) => response.status === 401).length;
    expect(checked).toBeLessThanOrEqual(10);
    expect(answers.filter((response) => response.status === 429)).toHaveLength(30 - checked);
  });

  it('caps an address over all accounts at 100 failures', async () => {
    const address = '203.0.113.4';
    // Each name once, so no account's own limit is reached; four at a time, as many as hash at once.
    const names = Array.from({ length: 100 }, (_, i) => `nobody${i}`);
    for (let i = 0; i < names.length; i += 4) {
      const batch = await Promise.all(names.slice(i, i + 4).map((name) => signInFrom(address, name, 'guess')));
      expect(batch.map((response) => response.status)).toEqual(Array(batch.length).fill(401));
    }
    const capped = await signInFrom(address, 'ada', PASSWORD);
    expect(capped.status).toBe(429);
    expect(((await capped.json()) as { error: string }).error).toMatch(/^too many failed sign-ins from 203\.0\.113\.4; try again in \d+ s$/);
    expect(Number(capped.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await signInFrom('198.51.100.4', 'ada', PASSWORD)).status).toBe(200);
  });

  it("limits a rollback's password re-check with the same counts: 429 after 10 wrong passwords, nothing started", async () => {
    const address = '203.0.113.5';
    const ada = await clientFrom(address, 'ada');
    const headers = { 'x-forwarded-for': address };
    const started = await call(server.base, ada, 'POST', '/api/backups', { type: 'db', name: 'before guesses' }, { headers });
    expect(started.status).toBe(202);
    const { job } = (await started.json()) as { job: { id: string } };
    const { backupId } = await waitForJob(server.base, ada, job.id);
    const rollBack = (password: string) => call(server.base, ada, 'POST', `/api/backups/${backupId}/rollback`, { password }, { headers });
    expect(await statuses(10, (i) => rollBack(`guess ${i}`))).toEqual(Array(10).fill(403));
    const limited = await rollBack(PASSWORD);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const { jobs } = (await (await call(server.base, ada, 'GET', '/api/jobs')).json()) as { jobs: { kind: string }[] };
    expect(jobs.filter((j) => j.kind === 'rollback')).toEqual([]);
    expect((await signInFrom(address, 'ada', PASSWORD)).status).toBe(429);
    expect((await signInFrom('198.51.100.5', 'ada', PASSWORD)).status).toBe(200);
  });

  it('records the failures in the audit log, not the refused attempts', async () => {
    const ada = await clientFrom('198.51.100.6', 'ada');
    const { entries } = (await (await call(server.base, ada, 'GET', '/api/audit?limit=1000')).json()) as {
      entries: { username: string; action: string; address: string; success: boolean; detail: string | null }[];
    };
    const failures = (action: string, username: string, address: string) =>
      entries.filter((e) => e.action === action && e.username === username && e.address === address && !e.success).length;
    expect(failures('sign-in', 'olga', '203.0.113.2')).toBe(10);
    expect(failures('sign-in', 'ada', '203.0.113.1')).toBe(10);
    expect(failures('rollback', 'ada', '203.0.113.5')).toBe(10);
  });

  it('stores new passwords with scrypt N=2^17, r=8, p=1', () => {
    expect(storedHash('ada')).toMatch(CURRENT_HASH);
  });

  it('raises an old hash to the current parameters at the next sign-in', async () => {
    await addAccounts(env, PASSWORD, { users: { otto: 'operator' } });
    const db = new Database(stateFile);
    db.prepare('UPDATE user SET password_hash = ? WHERE username = ?').run(oldHash(PASSWORD), 'otto');
    db.close();
    expect(storedHash('otto')).toMatch(/^scrypt\$16384\$/);
    expect((await signInFrom('198.51.100.8', 'otto', 'not the password')).status).toBe(401);
    expect(storedHash('otto')).toMatch(/^scrypt\$16384\$/);
    expect((await signInFrom('198.51.100.8', 'otto', PASSWORD)).status).toBe(200);
    expect(storedHash('otto')).toMatch(CURRENT_HASH);
    expect((await signInFrom('198.51.100.8', 'otto', PASSWORD)).status).toBe(200);
  });

  it('spends the same work on a user that does not exist as on a wrong password', async () => {
    const timed = async (username: string, address: string) => {
      const start = performance.now();
      expect((await signInFrom(address, username, 'wrong password')).status).toBe(401);
      return performance.now() - start;
    };
    const existing: number[] = [];
    const missing: number[] = [];
    for (let i = 0; i < 5; i++) {
      existing.push(await timed('ada', '198.51.100.9'));
      missing.push(await timed('nosuchuser', '198.51.100.10'));
    }
    expect(median(missing)).toBeGreaterThan(0.6 * median(existing));
    expect(median(existing)).toBeLessThan(2 * median(missing));
  });
});

describe('a server that trusts no proxy', () => {
  it('warns once when requests come with X-Forwarded-For', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'lifeboat-untrusted-proxy-'));
    const server = await startServer({ LIFEBOAT_ROOT: root });
    try {
      expect((await fetch(`${server.base}/healthz`)).status).toBe(200);
      expect(server.stderr()).not.toMatch(/X-Forwarded-For/);
      for (let i = 0; i < 2; i++) expect((await fetch(`${server.base}/healthz`, { headers: { 'x-forwarded-for': '192.0.2.7' } })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const warnings = server.stderr().split('\n').filter((line) => line.includes('X-Forwarded-For'));
      expect(warnings).toEqual([
        'lifeboat serve: requests come with an X-Forwarded-For header from 127.0.0.1, but no proxy is trusted: every client behind that proxy counts as 127.0.0.1 for the sign-in limits and the audit log; set LIFEBOAT_TRUST_PROXY to its address',
      ]);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
