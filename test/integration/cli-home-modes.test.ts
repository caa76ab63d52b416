// Lifeboat's home holds password hashes, sessions, notification settings, the job lock and rollback
// journals: the real commands make it 0700 and everything in it 0600 even under umask 000, tighten a
// home an older version left readable (saying once what changed), and leave the shop's var/ alone.
import { chmod, mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import type { MysqlTarget } from '../../src/engines/target.js';
import { runCli, startCli } from '../helpers/cli.js';
import { createTestSchema } from '../helpers/mysql.js';
import { addAccounts, startServer } from '../helpers/server.js';

const OPEN = { umask: '000' };
const modeOf = async (file: string) => (await stat(file)).mode & 0o777;

async function demoShop(): Promise<{ env: Record<string, string>; home: string }> {
  const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-home-modes-')), 'shop'));
  return { env: { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl }, home: path.join(shop.root, 'var', 'lifeboat') };
}

describe("Lifeboat's home under umask 000", () => {
  it('is made 0700 with the state database, its WAL and shared memory 0600; var/ keeps its mode', async () => {
    const { env, home } = await demoShop();
    const shopVarMode = await modeOf(path.dirname(home));
    await addAccounts(env, 'home modes password', { users: { ada: 'admin' } });
    expect(await modeOf(home)).toBe(0o700);
    const server = await startServer(env, [], OPEN);
    try {
      const backup = await runCli(['backup', 'db'], env, undefined, OPEN);
      expect(backup.code, backup.stderr).toBe(0);
      const names = await readdir(home);
      expect(names).toEqual(expect.arrayContaining(['lifeboat.db', 'lifeboat.db-wal', 'lifeboat.db-shm']));
      for (const name of names) expect([name, await modeOf(path.join(home, name))]).toEqual([name, 0o600]);
      expect(await modeOf(home)).toBe(0o700);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    // The shop's own folder: the web server reads the maintenance flag and Magento's files there.
    expect(await modeOf(path.dirname(home))).toBe(shopVarMode);
  });

  it('makes the job lock and the rollback journal 0600 while a rollback runs', async () => {
    const { env, home } = await demoShop();
    const backup = await runCli(['backup', 'db', '--json'], env);
    expect(backup.code, backup.stderr).toBe(0);
    const { id } = JSON.parse(backup.stdout) as { id: string };
    const child = startCli(['rollback', id, '--yes'], { ...env, LIFEBOAT_PAUSE_AT: 'database-staged' }, undefined, OPEN);
    try {
      await new Promise<void>((resolve) => child.stderr?.on('data', (chunk: Buffer) => chunk.toString().includes('paused at') && resolve()));
      const names = await readdir(home);
      expect(names).toEqual(expect.arrayContaining(['job.lock', expect.stringMatching(/^rollback-.*\.journal\.json$/)]));
      for (const name of names) expect([name, await modeOf(path.join(home, name))]).toEqual([name, 0o600]);
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.on('close', resolve));
    }
    expect((await runCli(['recover'], env)).code).toBe(0);
  });
});

describe('a home an older version left readable', () => {
  it('is made private by the next command, which says once what it changed', async () => {
    const { env, home } = await demoShop();
    expect((await runCli(['backup', 'db'], env)).code).toBe(0);
    // As the earlier version left it under the usual umask 022.
    await chmod(home, 0o755);
    for (const name of await readdir(home)) await chmod(path.join(home, name), 0o644);
    const first = await runCli(['jobs'], env);
    expect(first.code).toBe(0);
    expect(first.stderr).toBe(
      `warning: Lifeboat's home ${home} was readable by other users; made it private: the folder 0755 -> 0700, lifeboat.db 0644 -> 0600 (it holds password hashes, sessions and settings; no other user, the web server's included, needs it)\n`,
    );
    expect(await modeOf(home)).toBe(0o700);
    expect(await modeOf(path.join(home, 'lifeboat.db'))).toBe(0o600);
    const second = await runCli(['jobs'], env);
    expect(second.stderr).toBe('');
  });

  it('keeps the mode of a shared folder given as LIFEBOAT_HOME, tightening only its own files', async () => {
    const { env } = await demoShop();
    const shared = await mkdtemp(path.join(tmpdir(), 'lifeboat-shared-home-'));
    await writeFile(path.join(shared, 'notes.txt'), 'not Lifeboat\'s');
    await chmod(shared, 0o755);
    const withShared = { ...env, LIFEBOAT_HOME: shared };
    // A command that writes makes the state (one that only reads, such as jobs, would not).
    expect((await runCli(['role', 'add', 'clerk', '--resources', 'backup'], withShared, undefined, { umask: '022' })).code).toBe(0);
    await chmod(path.join(shared, 'lifeboat.db'), 0o644);
    const result = await runCli(['jobs'], withShared);
    expect(result.stderr).toContain(`warning: Lifeboat's home ${shared} was readable by other users; made it private: lifeboat.db 0644 -> 0600`);
    expect(result.stderr).toContain(`warning: Lifeboat's home ${shared} also holds files that are not Lifeboat's (notes.txt) and is readable by other users; its mode was left alone: give LIFEBOAT_HOME a folder of its own`);
    expect(await modeOf(shared)).toBe(0o755);
    expect(await modeOf(path.join(shared, 'notes.txt'))).toBe(0o644);
  });
});

describe('the home with the state in MySQL/MariaDB', () => {
  let state: { target: MysqlTarget; drop: () => Promise<void> };
  beforeAll(async () => {
    state = await createTestSchema('home_state');
  });
  afterAll(async () => state?.drop());

  it('holds only the job lock while a job runs, in a 0700 folder', async () => {
    const { env, home } = await demoShop();
    const { target } = state;
    const withState = { ...env, LIFEBOAT_STATE_URL: `mysql://${target.user}@${target.host}:${target.port}/${target.database}` };
    await mkdir(path.dirname(home), { recursive: true });
    const backup = await runCli(['backup', 'db'], withState, undefined, OPEN);
    expect(backup.code, backup.stderr).toBe(0);
    expect(await modeOf(home)).toBe(0o700);
    expect(await readdir(home)).toEqual([]);
  });
});
