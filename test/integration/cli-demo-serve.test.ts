// `lifeboat demo --serve`, what `npm start` runs: a busy port is one line naming it before anything is
// made; a start prints only the page's address, the demo user and its password (not the CLI's help);
// the first start takes a backup and later ones none; the hint printed for a shop that has users works
// from any folder, and `user list` run elsewhere says where it looked instead of "no users".
import { mkdtemp, readdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { signIn } from '../helpers/server.js';

/** Starts the demo server and resolves with what it printed up to its sign-in line, and a way to stop it. */
async function startDemo(dir: string, cwd: string): Promise<{ stdout: string; stop: () => Promise<number | null> }> {
  const child = startCli(['demo', '--serve', '--port', '0', '--dir', dir], {}, cwd);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  for (let i = 0; i < 600 && !/^Web admin: .*\n/m.test(stdout); i++) await new Promise((r) => setTimeout(r, 50));
  if (!/^Web admin: /m.test(stdout)) throw new Error(`the demo did not start: ${stdout} ${stderr}`);
  return {
    stdout,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('lifeboat demo --serve (npm start)', () => {
  let base: string;
  let dir: string;
  let blocker: Server;

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'lifeboat-demo-serve-'));
    dir = path.join(base, 'demo');
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  });

  afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

  it('refuses a busy port in one line, before making or backing up anything', async () => {
    const port = (blocker.address() as { port: number }).port;
    const result = await runCli(['demo', '--serve', '--port', String(port), '--dir', dir], {}, base);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `lifeboat: port ${port} on 127.0.0.1 is in use by another program (a lifeboat serve or npm start still running?); stop it, or choose another port with --port (npm start -- --port ${port + 1})\n`,
    );
    expect(result.code).toBe(1);
    expect(await readdir(base)).toEqual([]);
    // `lifeboat serve` says the same.
    const serve = await runCli(['serve', '--port', String(port)], { LIFEBOAT_ROOT: base }, base);
    expect(serve.stderr).toMatch(new RegExp(`^lifeboat: port ${port} on 127\\.0\\.0\\.1 is in use by another program`));
    expect(serve.code).toBe(1);
  });

  it('prints the address, user and password; a second start takes no backup and tells where the users are', async () => {
    const first = await startDemo(dir, base);
    const lines = first.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(`Demo shop in ${dir} (database ${path.join(dir, 'var', 'shop.db')}).`);
    expect(lines[1]).toMatch(/^Took backup [0-9a-f]{8}: .*_db_demo\.sql\.gz \(/);
    expect(lines[2]).toMatch(/^lifeboat serve: listening on http:\/\/127\.0\.0\.1:\d+ /);
    const signInLine = /^Web admin: (http:\/\/127\.0\.0\.1:\d+\/) {2}user: demo {2}password: (\S+) {2}\(shown once; /.exec(lines[3]);
    expect(signInLine).not.toBeNull();
    await signIn(signInLine![1].slice(0, -1), 'demo', signInLine![2]);
    expect(await first.stop()).toBe(0);

    const second = await startDemo(dir, base);
    expect(second.stdout).not.toMatch(/Took backup/);
    const hint = /^Web admin: \S+ {2}\(its users: (LIFEBOAT_ROOT=(\S+) node bin\/lifeboat\.js user list);/m.exec(second.stdout);
    expect(hint?.[2]).toBe(dir);
    expect(await second.stop()).toBe(0);
    const backups = (await readdir(path.join(dir, 'var', 'backups'))).filter((f) => f.endsWith('.sql.gz'));
    expect(backups).toHaveLength(1);

    // The hint, run from another folder, lists the demo's users; without LIFEBOAT_ROOT it says where it looked.
    const elsewhere = await mkdtemp(path.join(tmpdir(), 'lifeboat-elsewhere-'));
    const listed = await runCli(['user', 'list'], { LIFEBOAT_ROOT: hint![2] }, elsewhere);
    expect(listed.stdout).toMatch(/^demo +admin /m);
    const lost = await runCli(['user', 'list'], {}, elsewhere);
    expect(lost.stdout).toBe(`no users: no Lifeboat state in ${path.join(elsewhere, 'var', 'lifeboat')}; run this in the shop's root folder, or set LIFEBOAT_ROOT (or LIFEBOAT_HOME) to the shop's\n`);
    expect(await readdir(elsewhere)).toEqual([]);
  }, 120_000);
});
