// Sign-in limits and password hashes over real HTTP against `lifeboat serve`, with its real state
// database (SQLite in LIFEBOAT_HOME). Failures are counted per account and client address (a guessed
// account is slowed down, the others are not), with a looser cap per address alone; a success clears
// only its own account's count; the password re-check of a rollback counts with them. The server
// trusts 127.0.0.1 as its proxy, so each test picks its own client address with X-Forwarded-For.
// Also: the warning when a proxy's X-Forwarded-For arrives at a server that trusts no proxy, and
// scrypt hashes raised to the current parameters at the next sign-in.
import Database from 'better-sqlite3';
import { randomBytes, scryptSync } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { addAccounts, call, startServer, type RunningServer } from '../helpers/server.js';

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

  const storedHash = (username: string) => {
    const db = new Database(stateFile, { readonly: true });
    try {
      return (db.prepare('SELECT password_hash FROM user WHERE username = ?').get(username) as { password_hash: string }).password_hash;
    } finally {
      db.close();
    }
  };

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
