// One backup or rollback at a time per shop: a lock file in Lifeboat's home, created exclusively,
// holding who owns it. A lock whose process is gone is stale and taken over.
import { randomBytes } from 'node:crypto';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OperationError } from './errors.js';
import { makePrivateHome, PRIVATE_FILE_MODE } from './private-home.js';
import { currentProcess, isDead, type ProcessIdentity } from './process-identity.js';

export interface LockOwner extends ProcessIdentity {
  jobId: string;
  /** e.g. "backup db" */
  description: string;
  since: string;
}

export interface JobLock {
  owner: LockOwner;
  /** Set when a stale lock was taken over: a line saying whose. */
  tookOver?: string;
  /** Fires if the lock is lost while held (a database lock whose connection broke): the job must stop. */
  lost?: AbortSignal;
  release(): Promise<void>;
}

export const lockPath = (home: string) => path.join(home, 'job.lock');

export async function readLock(home: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(lockPath(home), 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

/** Moves a stale lock aside, unless someone replaced it meanwhile (then it is put back). */
async function removeStale(file: string, stale: string): Promise<void> {
  const aside = `${file}.stale-${randomBytes(4).toString('hex')}`;
  try {
    await rename(file, aside);
  } catch {
    return; // already gone
  }
  const moved = await readFile(aside, 'utf8').catch(() => '');
  if (moved !== stale) await link(aside, file).catch(() => undefined); // a live lock: put it back
  await unlink(aside).catch(() => undefined);
}

export async function acquireJobLock(home: string, jobId: string, description: string): Promise<JobLock> {
  makePrivateHome(home);
  const file = lockPath(home);
  const owner: LockOwner = { jobId, description, since: new Date().toISOString(), ...currentProcess() };
  const content = JSON.stringify(owner) + '\n';
  let tookOver: string | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await writeFile(file, content, { flag: 'wx', mode: PRIVATE_FILE_MODE });
      return {
        owner,
        ...(tookOver ? { tookOver } : {}),
        release: async () => {
          if ((await readFile(file, 'utf8').catch(() => '')) === content) await unlink(file).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue; // released meanwhile
    let held: LockOwner | undefined;
    try {
      held = JSON.parse(text) as LockOwner;
    } catch {
      held = undefined; // a torn write by a process that died while creating it
    }
    if (held && !isDead(held)) {
      throw new OperationError(
        `another job is running on this shop: job ${held.jobId} (${held.description}), started ${held.since} by pid ${held.pid} on ${held.host}; wait for it or stop it with "lifeboat cancel ${held.jobId}"`,
      );
    }
    tookOver = held ? `took over the lock of job ${held.jobId} (pid ${held.pid}), whose process is gone` : 'took over an unreadable lock file';
    await removeStale(file, text);
  }
  throw new OperationError(`could not take the job lock ${file}; another process keeps changing it`);
}
