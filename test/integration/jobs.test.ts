// Jobs on real files and processes: the maintenance flag before, during and after a job (also after a
// failure and after the process died), the one-job-at-a-time lock and its stale-lock takeover.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateStore } from '../../src/state/state.js';
import { acquireJobLock, lockPath, type JobLock } from '../../src/core/jobs/lock.js';
import { runJob } from '../../src/core/jobs/jobs.js';
import { clearStaleFlag, enterMaintenance, flagPath, maintenanceStatus } from '../../src/core/maintenance/maintenance.js';
import { runCli } from '../helpers/cli.js';

async function shopRoot(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'lifeboat-jobs-'));
  await mkdir(path.join(root, 'var'));
  return root;
}

/** The pid of a process that has exited: as dead as a process gets. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)']);
  return Number(child.stdout.toString().trim());
}

describe('maintenance flag', () => {
  it('is created for the job, records who set it, and is removed afterwards', async () => {
    const root = await shopRoot();
    const lease = await enterMaintenance(root, 'j1');
    expect(lease.wasOn).toBe(false);
    const owner = JSON.parse(await readFile(flagPath(root), 'utf8'));
    expect(owner).toMatchObject({ setBy: 'lifeboat', jobId: 'j1', pid: process.pid, host: hostname() });
    await lease.release();
    expect(existsSync(flagPath(root))).toBe(false);
  });

  it('stays on after the job when it was on before', async () => {
    const root = await shopRoot();
    await writeFile(flagPath(root), ''); // set by hand, as bin/magento maintenance:enable does
    const lease = await enterMaintenance(root, 'j2');
    expect(lease.wasOn).toBe(true);
    await lease.release();
    expect(await readFile(flagPath(root), 'utf8')).toBe('');
  });

  it('a flag left by a dead job is cleared; one set by hand never is', async () => {
    const root = await shopRoot();
    await writeFile(flagPath(root), JSON.stringify({ setBy: 'lifeboat', jobId: 'jdead', pid: deadPid(), host: hostname(), since: 'x' }));
    expect(await clearStaleFlag(root)).toMatch(/cleared the maintenance flag left by job jdead/);
    expect(existsSync(flagPath(root))).toBe(false);
    await writeFile(flagPath(root), '');
    expect(await clearStaleFlag(root)).toBeUndefined();
    expect(existsSync(flagPath(root))).toBe(true);
    await writeFile(flagPath(root), JSON.stringify({ setBy: 'lifeboat', jobId: 'jlive', pid: process.pid, host: hostname(), since: 'x' }));
    expect(await clearStaleFlag(root)).toBeUndefined();
  });

  it('is restored by a job that fails, and the failure is recorded', async () => {
    const root = await shopRoot();
    const home = path.join(root, 'var', 'lifeboat');
    let seenDuring = false;
    await expect(
      runJob({
        home,
        root,
        kind: 'backup',
        type: 'db',
        description: 'backup db',
        trigger: 'test',
        maintenance: true,
        work: async () => {
          seenDuring = (await maintenanceStatus(root)).on;
          throw new Error('disk full');
        },
      }),
    ).rejects.toThrow('disk full');
    expect(seenDuring).toBe(true);
    expect(existsSync(flagPath(root))).toBe(false);
    const store = StateStore.open({ home });
    const [job] = await store.listJobs();
    await store.close();
    expect(job).toMatchObject({ state: 'failed', error: 'disk full', kind: 'backup', description: 'backup db' });
    expect(job.log.join('\n')).toMatch(/maintenance mode on[\s\S]*failed: disk full[\s\S]*maintenance mode off/);
    expect(existsSync(lockPath(home))).toBe(false);
  });

  it('an aborted job is recorded as cancelled and restores maintenance', async () => {
    const root = await shopRoot();
    const home = path.join(root, 'var', 'lifeboat');
    const controller = new AbortController();
    const run = runJob({
      home,
      root,
      kind: 'backup',
      type: 'db',
      description: 'backup db',
      trigger: 'test',
      maintenance: true,
      signal: controller.signal,
      work: ({ signal }) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true })),
    });
    await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await expect(run).rejects.toThrow('stopped');
    const store = StateStore.open({ home });
    expect((await store.listJobs())[0].state).toBe('cancelled');
    await store.close();
    expect(existsSync(flagPath(root))).toBe(false);
  });
});

describe('job lock', () => {
  it('refuses a second job, naming the running one', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'lifeboat-lock-'));
    const first = await acquireJobLock(home, 'jfirst', 'backup db');
    await expect(acquireJobLock(home, 'jsecond', 'rollback x')).rejects.toThrow(/job jfirst \(backup db\).*lifeboat cancel jfirst/);
    await first.release();
    const second = await acquireJobLock(home, 'jsecond', 'rollback x');
    await second.release();
  });

  it('takes over a lock whose process is gone', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'lifeboat-lock-'));
    await writeFile(lockPath(home), JSON.stringify({ jobId: 'jold', description: 'backup db', since: 'x', pid: deadPid(), host: hostname() }));
    const lock = await acquireJobLock(home, 'jnew', 'backup db');
    expect(lock.tookOver).toMatch(/took over the lock of job jold/);
    expect(JSON.parse(await readFile(lockPath(home), 'utf8')).jobId).toBe('jnew');
    await lock.release();
  });

  it('does not take over a lock file still being written: empty or half-written and recent', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'lifeboat-lock-'));
    for (const partial of ['', '{"jobId":"jwriting","descr']) {
      await writeFile(lockPath(home), partial);
      await expect(acquireJobLock(home, 'jnew', 'backup db')).rejects.toThrow(/another job is starting on this shop: its lock file .*job\.lock is being written; try again in a few seconds/);
      expect(await readFile(lockPath(home), 'utf8')).toBe(partial);
    }
    // Unreadable for longer than any write takes: what a crash or a hand left, taken over.
    const anHourAgo = new Date(Date.now() - 3600_000);
    await utimes(lockPath(home), anHourAgo, anHourAgo);
    const lock = await acquireJobLock(home, 'jnew', 'backup db');
    expect(lock.tookOver).toBe('took over an unreadable lock file');
    expect(JSON.parse(await readFile(lockPath(home), 'utf8')).jobId).toBe('jnew');
    await lock.release();
  });

  it('gives the lock to exactly one of many takers at once, and is never seen empty', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'lifeboat-lock-'));
    for (let round = 0; round < 20; round++) {
      const takers = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => acquireJobLock(home, `jtaker${i}`, 'backup db')));
      const held = takers.filter((taker): taker is PromiseFulfilledResult<JobLock> => taker.status === 'fulfilled').map((taker) => taker.value);
      expect(held.map((lock) => lock.tookOver)).toEqual([undefined]);
      for (const refused of takers.filter((taker) => taker.status === 'rejected')) expect(String(refused.reason)).toMatch(/another job is running on this shop: job jtaker\d/);
      await held[0].release();
      expect(existsSync(lockPath(home))).toBe(false);
    }
    expect((await readdir(home)).filter((file) => file !== 'job.lock')).toEqual([]); // no temp files left behind
  });
});

describe('scheduled jobs queue', () => {
  it('wait as a queued job behind a running one, then run', async () => {
    const root = await shopRoot();
    const home = path.join(root, 'var', 'lifeboat');
    const running = await acquireJobLock(home, 'jrunning', 'backup db');
    const notices: string[] = [];
    const queued = runJob({
      home,
      root,
      kind: 'backup',
      type: 'db',
      description: 'backup db (scheduled)',
      trigger: 'schedule',
      waitForLock: true,
      onNotice: (line) => notices.push(line),
      work: async () => 'done',
    });
    let state: string | undefined;
    for (let i = 0; i < 100 && state !== 'queued'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const store = StateStore.open({ home });
      state = (await store.listJobs())[0]?.state;
      await store.close();
    }
    expect(state).toBe('queued');
    expect(notices.join('\n')).toMatch(/queued behind the running job: .*job jrunning/);
    await running.release();
    const { jobId, result } = await queued;
    expect(result).toBe('done');
    const store = StateStore.open({ home });
    expect(await store.getJob(jobId)).toMatchObject({ state: 'succeeded', trigger: 'schedule' });
    await store.close();
  });
});

describe('lifeboat maintenance', () => {
  it('turns the flag and the allow-list on and off', async () => {
    const root = await shopRoot();
    const env = { LIFEBOAT_ROOT: root };
    const on = await runCli(['maintenance', 'on', '--allow', '203.0.113.7, 10.0.0.0/8,::1'], env);
    expect(on.code).toBe(0);
    expect(on.stdout).toMatch(/maintenance mode is ON/);
    expect(await readFile(path.join(root, 'var', '.maintenance.ip'), 'utf8')).toBe('203.0.113.7,10.0.0.0/8,::1');
    const status = JSON.parse((await runCli(['maintenance', 'status', '--json'], env)).stdout);
    expect(status).toEqual({ on: true, allow: ['203.0.113.7', '10.0.0.0/8', '::1'] });
    const bad = await runCli(['maintenance', 'on', '--allow', '10.0.0.300'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"10.0.0.300" is not an IP address/);
    expect((await runCli(['maintenance', 'off'], env)).code).toBe(0);
    expect(existsSync(flagPath(root))).toBe(false);
    expect((await runCli(['maintenance', 'sideways'], env)).code).toBe(2);
  });
});

describe('missed scheduled runs', () => {
  it('are reported once when late by more than the grace, and not once the run happened', async () => {
    const { findMissedOccurrence } = await import('../../src/core/schedule/scheduled.js');
    const home = await mkdtemp(path.join(tmpdir(), 'lifeboat-missed-'));
    const store = StateStore.open({ home });
    try {
      await store.setSetting('schedule', {
        enabled: true, type: 'db', frequency: 'daily', time: '02:00:00', timezone: 'UTC', weekday: 1, dayOfMonth: 1, maintenance: false,
        savedAt: '2026-01-01T00:00:00Z',
      });
      const hour = 3600 * 1000;
      await store.claimOccurrence('db@2026-03-09T02:00:00Z', 'j0'); // yesterday's run happened
      // 02:30: within the hour's grace, not missed yet.
      expect(await findMissedOccurrence(store, new Date('2026-03-10T02:30:00Z'), hour)).toBeUndefined();
      // 04:00: missed, reported once.
      expect(await findMissedOccurrence(store, new Date('2026-03-10T04:00:00Z'), hour)).toBe('2026-03-10T02:00:00Z');
      expect(await findMissedOccurrence(store, new Date('2026-03-10T05:00:00Z'), hour)).toBeUndefined();
      // The next day's run happened in time: nothing to report.
      expect(await store.claimOccurrence('db@2026-03-11T02:00:00Z', 'j1')).toBe(true);
      expect(await findMissedOccurrence(store, new Date('2026-03-11T06:00:00Z'), hour)).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
