// The job lock in the shop's MariaDB server (several app servers): one job at a time across homes,
// a refusal that names the holder, freed when the holding process crashes, and queued jobs that wait.
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbLockName, takeDbLock, type HeldDbLock } from '../../src/engines/mysql/named-lock.js';
import type { JobLock } from '../../src/core/jobs/lock.js';
import { acquireDatabaseJobLock } from '../../src/core/jobs/lock-db.js';
import { runJob } from '../../src/core/jobs/jobs.js';
import type { MysqlTarget } from '../../src/engines/target.js';
import { createTestSchema, withConnection } from '../helpers/mysql.js';

const home = () => mkdtemp(path.join(tmpdir(), 'lifeboat-dblock-'));

/** A separate process holding the lock, as another server would; resolves once it holds it. */
function holdInChild(target: MysqlTarget, name: string): Promise<{ kill: () => Promise<void> }> {
  const script = `
    import mysql from 'mysql2/promise';
    const c = await mysql.createConnection({ host: ${JSON.stringify(target.host)}, port: ${target.port}, user: ${JSON.stringify(target.user)}, password: ${JSON.stringify(target.password)} });
    const [rows] = await c.query('SELECT GET_LOCK(?, 0) AS got', [${JSON.stringify(name)}]);
    console.log(rows[0].got === 1 ? 'held' : 'busy');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (data: Buffer) => {
      if (data.toString().trim() !== 'held') reject(new Error(`the child could not take ${name}`));
      resolve({
        kill: () =>
          new Promise((done) => {
            child.once('exit', () => done());
            child.kill('SIGKILL'); // a crash: no clean release
          }),
      });
    });
    child.once('error', reject);
  });
}

describe('database job lock', () => {
  let target: MysqlTarget;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ target, drop } = await createTestSchema('dblock'));
  });
  afterAll(async () => drop());

  it('lets one job run across servers and names the holder to the others', async () => {
    const [serverA, serverB] = [await home(), await home()];
    const first = await acquireDatabaseJobLock(serverA, target, 'jfirst', 'backup db');
    try {
      const refused = acquireDatabaseJobLock(serverB, target, 'jsecond', 'rollback x');
      await expect(refused).rejects.toThrow(`the database lock "${dbLockName(target.database)}" is held by MySQL connection`);
      await expect(refused).rejects.toThrow(/from (localhost|127\.0\.0\.1)(:\d+)? \(user root\); wait for it/);
      // On the same server the lock file answers first, naming the job.
      await expect(acquireDatabaseJobLock(serverA, target, 'jthird', 'backup db')).rejects.toThrow(/job jfirst \(backup db\).*lifeboat cancel jfirst/);
    } finally {
      await first.release();
    }
    const second = await acquireDatabaseJobLock(serverB, target, 'jsecond', 'rollback x');
    expect(second.owner.jobId).toBe('jsecond');
    await second.release();
  });

  it('is freed by the server when the process holding it crashes', async () => {
    const holder = await holdInChild(target, dbLockName(target.database));
    await expect(acquireDatabaseJobLock(await home(), target, 'jwait', 'backup db')).rejects.toThrow(/another job is running on this shop from another server/);
    await holder.kill();
    // The server notices the closed connection at once; allow it a moment on a loaded machine.
    let lock: JobLock | undefined;
    for (let attempt = 0; attempt < 50 && !lock; attempt++) {
      lock = await acquireDatabaseJobLock(await home(), target, 'jafter', 'backup db').catch(() => undefined);
      if (!lock) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(lock?.owner.jobId).toBe('jafter');
    await lock?.release();
  });

  it('a queued job waits behind another server and runs once it is done', async () => {
    const other = await takeDbLock(target, dbLockName(target.database));
    expect(other).toBeDefined();
    const serverHome = await home();
    const notices: string[] = [];
    let ran = false;
    const queued = runJob({
      home: serverHome,
      root: serverHome,
      lockTaker: (jobId, description) => acquireDatabaseJobLock(serverHome, target, jobId, description),
      kind: 'backup',
      type: 'db',
      description: 'backup db',
      trigger: 'schedule',
      waitForLock: true,
      onNotice: (line) => notices.push(line),
      work: async () => {
        ran = true;
        return 'done';
      },
    });
    while (!notices.some((line) => line.startsWith('queued behind the running job'))) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ran).toBe(false);
    await other?.release();
    expect((await queued).result).toBe('done');
    expect(ran).toBe(true);
  });

  it('takes the lock back when its connection breaks and nobody took it meanwhile', async () => {
    const name = dbLockName(target.database, 'retake');
    const held = await takeDbLock(target, name, 100);
    const before = held?.connectionId;
    await withConnection(target, (conn) => conn.query(`KILL CONNECTION ${Number(before)}`));
    while (held?.connectionId === before) await new Promise((resolve) => setTimeout(resolve, 50));
    const [rows] = await withConnection(target, (conn) => conn.query('SELECT IS_USED_LOCK(?) AS id', [name]));
    expect(Number((rows as { id: string }[])[0].id)).toBe(held?.connectionId);
    expect(held?.lost.aborted).toBe(false);
    await held?.release();
  });

  it('says the lock is lost when another server took it while the connection was broken', async () => {
    const name = dbLockName(target.database, 'lost');
    const held = await takeDbLock(target, name, 500);
    await withConnection(target, (conn) => conn.query(`KILL CONNECTION ${Number(held?.connectionId)}`));
    let other: HeldDbLock | undefined;
    // Free once the server has ended the killed connection.
    while (!other) other = (await takeDbLock(target, name)) ?? (await new Promise<undefined>((resolve) => setTimeout(resolve, 20)));
    while (!held?.lost.aborted) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((held.lost.reason as Error).message).toBe(`lost the database lock "${name}": the connection to the database broke and another server may hold it now`);
    await held.release();
    await other.release();
  });

  it('keeps long names within the server limit', () => {
    const name = dbLockName('x'.repeat(64), 'schedule@2026-11-25T02:00:00Z');
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).not.toBe(dbLockName('x'.repeat(64), 'schedule@2026-11-26T02:00:00Z'));
    expect(dbLockName('shop')).toBe('lifeboat:shop');
  });
});
