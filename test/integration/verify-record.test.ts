// The last verify of each backup, kept in Lifeboat's state, and the job history's names and filters, on
// the SQLite demo shop with the real command and the real `lifeboat serve`: `lifeboat verify` and the
// page's Verify (a job) keep their outcome alike, a damaged archive's verify fails with what is wrong,
// and both survive a restart of the server, and a failed one is told to the notification channels. Each
// job carries the name of its backup and who started it as fields.
import { appendFile, mkdtemp } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { runCli } from '../helpers/cli.js';
import { addAccounts, call, signIn, startServer, waitForJob, type Client, type RunningServer } from '../helpers/server.js';
import { startWebhookReceiver } from '../helpers/webhook.js';

const PASSWORD = 'verify record password';

interface Row {
  id: string;
  file: string;
  verify?: { ok: boolean; finishedAt: string; problems: string[]; checked: string[] };
}

describe('kept verifies and named jobs', () => {
  let env: Record<string, string>;
  let backupDir: string;
  let server: RunningServer;
  let ada: Client;

  const rows = async () => ((await (await call(server.base, ada, 'GET', '/api/backups')).json()) as { backups: Row[] }).backups;
  const restart = async () => {
    expect(await server.stop()).toBe(0);
    server = await startServer(env);
    ada = await signIn(server.base, 'ada', PASSWORD);
  };

  beforeAll(async () => {
    const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-verify-record-')), 'shop'));
    env = { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl };
    backupDir = path.join(shop.root, 'var', 'backups');
    await addAccounts(env, PASSWORD, { users: { ada: 'admin' } });
    for (const args of [['backup', 'db', '--name', 'before the upgrade'], ['backup', 'db', '--name', 'second one']]) expect((await runCli(args, env)).code).toBe(0);
    server = await startServer(env);
    ada = await signIn(server.base, 'ada', PASSWORD);
  });

  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
  });

  it('names each job by its backup, in the API and in `lifeboat jobs`', async () => {
    const jobs = JSON.parse((await runCli(['jobs', '--json'], env)).stdout) as { kind: string; name?: string; description: string }[];
    expect(jobs.map((j) => j.name)).toEqual(['second_one', 'before_the_upgrade']);
    const table = (await runCli(['jobs'], env)).stdout.split('\n');
    expect(table[0]).toMatch(/^JOB +STARTED +STATE +WHAT +NAME +BY/);
    expect(table[1]).toMatch(/backup db "second one" +second_one +cli/);
  });

  it('keeps what `lifeboat verify` found, shown with the backup by the server', async () => {
    const [, older] = await rows();
    const verified = await runCli(['verify', older.id], env);
    expect(verified.code, verified.stderr).toBe(0);
    const row = (await rows()).find((r) => r.id === older.id)!;
    expect(row.verify).toMatchObject({ ok: true, problems: [] });
    expect(row.verify!.checked).toContain('sha256');
    const overview = (await (await call(server.base, ada, 'GET', '/api/overview')).json()) as { lastVerify: { backupId: string; ok: boolean } };
    expect(overview.lastVerify).toMatchObject({ backupId: older.id, ok: true });
  });

  it("runs the page's verify as a job that fails on a damaged archive, and keeps it over a restart", async () => {
    const [newest] = await rows();
    const good = await call(server.base, ada, 'POST', `/api/backups/${newest.id}/verify`);
    expect(good.status).toBe(202);
    const { job } = (await good.json()) as { job: { id: string; kind: string; name: string } };
    expect(job).toMatchObject({ kind: 'verify', name: 'second_one' });
    expect(await waitForJob(server.base, ada, job.id)).toMatchObject({ state: 'succeeded' });

    await appendFile(path.join(backupDir, newest.file), Buffer.from('not gzip'));
    const bad = (await (await call(server.base, ada, 'POST', `/api/backups/${newest.id}/verify`)).json()) as { job: { id: string } };
    const ended = await waitForJob(server.base, ada, bad.job.id);
    expect(ended).toMatchObject({ state: 'failed', error: expect.stringMatching(/^damaged: size is \d+ bytes, the manifest says \d+/) });
    const { job: withLog } = (await (await call(server.base, ada, 'GET', `/api/jobs/${bad.job.id}`)).json()) as { job: { log: string[] } };
    expect(withLog.log.some((line) => / failed: damaged: /.test(line))).toBe(true);

    await restart();
    const kept = (await rows()).find((r) => r.id === newest.id)!;
    expect(kept.verify).toMatchObject({ ok: false });
    expect(kept.verify!.problems[0]).toMatch(/^size is \d+ bytes, the manifest says \d+$/);
    const overview = (await (await call(server.base, ada, 'GET', '/api/overview')).json()) as { lastVerify: { backupId: string; ok: boolean } };
    expect(overview.lastVerify).toMatchObject({ backupId: newest.id, ok: false });
  });

  it('pages and narrows the job history, and refuses a filter it does not know', async () => {
    const history = async (query: string) => (await (await call(server.base, ada, 'GET', `/api/jobs${query}`)).json()) as { jobs: { kind: string; state: string; log: string[] }[]; total: number; pages: number };
    expect((await history('?kind=verify')).jobs.map((j) => j.state)).toEqual(['failed', 'succeeded']);
    expect((await history('?kind=verify&state=failed')).total).toBe(1);
    expect((await history('?trigger=cli')).jobs.map((j) => j.kind)).toEqual(['backup', 'backup']);
    const firstPage = await history('?limit=1');
    expect([firstPage.total, firstPage.pages, firstPage.jobs.length, firstPage.jobs[0].log]).toEqual([4, 4, 1, []]);
    expect((await history('?limit=1&page=4')).jobs[0].kind).toBe('backup');
    const refused = await call(server.base, ada, 'GET', '/api/jobs?kind=drills');
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toBe('kind must be one of backup, rollback, verify, drill, restore, not "drills"');
  });

  it("records who started each job (the page's user, the command line's OS user) and narrows the history by it", async () => {
    const history = async (query: string) => (await (await call(server.base, ada, 'GET', `/api/jobs${query}`)).json()) as { jobs: { kind: string; user?: string }[]; total: number; users: string[] };
    const me = `cli:${userInfo().username}`;
    const all = await history('');
    expect(all.jobs.map((j) => [j.kind, j.user])).toEqual([['verify', 'ada'], ['verify', 'ada'], ['backup', me], ['backup', me]]);
    expect(all.users).toEqual(['ada', me].sort());
    expect((await history('?user=ada')).jobs.map((j) => j.kind)).toEqual(['verify', 'verify']);
    expect((await history(`?user=${encodeURIComponent(me)}&kind=backup`)).total).toBe(2);
    expect((await history('?user=grace')).total).toBe(0);
    expect((await history('?user=-')).total).toBe(0);
    expect((await history('?trigger=demo')).total).toBe(0); // lifeboat demo's first backup is a trigger of its own
    const tooLong = await call(server.base, ada, 'GET', `/api/jobs?user=${'x'.repeat(256)}`);
    expect(tooLong.status).toBe(400);
  });

  it('tells the notification channels of a failed verify, from the page and from the command line', async () => {
    const hook = await startWebhookReceiver();
    try {
      const stored = await call(server.base, ada, 'PUT', '/api/settings', { notify: { webhookUrl: hook.url } });
      expect(stored.status).toBe(200);
      const damaged = (await rows()).find((r) => r.verify && !r.verify.ok)!;
      const started = (await (await call(server.base, ada, 'POST', `/api/backups/${damaged.id}/verify`)).json()) as { job: { id: string } };
      expect(await waitForJob(server.base, ada, started.job.id)).toMatchObject({ state: 'failed' });
      await expect.poll(() => hook.received.length).toBe(1);
      expect(hook.received[0]).toMatchObject({ kind: 'verify', type: 'db', state: 'failed', jobId: started.job.id, file: damaged.file, error: expect.stringMatching(/^damaged: size is \d+ bytes/) });
      expect(String(hook.received[0].text)).toMatch(/What to do: Do not roll back to /);

      const cli = await runCli(['verify', damaged.id], env);
      expect(cli.code).toBe(1);
      expect(hook.received).toHaveLength(2);
      expect(hook.received[1]).toMatchObject({ kind: 'verify', state: 'failed', jobId: `verify of ${damaged.id}`, file: damaged.file });
      // A verify that passes tells nobody (successes only with "on success").
      const [, good] = await rows();
      expect((await runCli(['verify', good.id], env)).code).toBe(0);
      expect(hook.received).toHaveLength(2);
    } finally {
      await call(server.base, ada, 'PUT', '/api/settings', { notify: { webhookUrl: '' } });
      await hook.close();
    }
  });
});
