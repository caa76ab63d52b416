// The job lock file as `lifeboat serve` and the CLI meet it: one that another process is still writing
// (empty or half-written, and recent) belongs to a job that is starting, so a backup is refused (409,
// exit 1) and the file is left alone; one left unreadable for long is stale and taken over.
import { mkdtemp, readFile, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockPath } from '../../src/core/jobs/lock.js';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { runCli } from '../helpers/cli.js';
import { addAccounts, call, signIn, startServer, waitForJob, type Client, type RunningServer } from '../helpers/server.js';

const PASSWORD = 'job lock test password';

describe('a job lock file being written', () => {
  let server: RunningServer;
  let env: Record<string, string>;
  let home: string;
  let admin: Client;

  beforeAll(async () => {
    const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-lockfile-')), 'shop'));
    env = { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl };
    home = path.join(shop.root, 'var', 'lifeboat');
    await addAccounts(env, PASSWORD, { users: { ada: 'admin' } });
    server = await startServer(env);
    admin = await signIn(server.base, 'ada', PASSWORD);
  });

  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
  });

  it('is not taken over: the backup is refused and the file left as it is', async () => {
    await writeFile(lockPath(home), '');
    const refused = await call(server.base, admin, 'POST', '/api/backups', { type: 'db' });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: string }).error).toMatch(/^another job is starting on this shop: its lock file .*job\.lock is being written; try again in a few seconds$/);
    const cli = await runCli(['backup', 'db'], env);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/another job is starting on this shop/);
    expect(await readFile(lockPath(home), 'utf8')).toBe('');
  });

  it('is taken over once it has stayed unreadable for long, and the job says so', async () => {
    const anHourAgo = new Date(Date.now() - 3600_000);
    await utimes(lockPath(home), anHourAgo, anHourAgo);
    const started = await call(server.base, admin, 'POST', '/api/backups', { type: 'db' });
    expect(started.status).toBe(202);
    const { job } = (await started.json()) as { job: { id: string } };
    expect((await waitForJob(server.base, admin, job.id)).state).toBe('succeeded');
    const { job: done } = (await (await call(server.base, admin, 'GET', `/api/jobs/${job.id}`)).json()) as { job: { log: string[] } };
    expect(done.log.join('\n')).toMatch(/took over an unreadable lock file/);
  });
});
