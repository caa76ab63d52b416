// One backup or rollback at a time per shop: a lock file in Lifeboat's home holding who owns it. It is
// written whole into a file of its own and then linked into place, which fails when a lock exists: the
// lock file is never seen empty or half-written. A lock whose process is gone is stale and taken over;
// so is one left unreadable for longer than any write takes (a crash of the machine, a hand).
import { randomBytes } from 'node:crypto';
import { link, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OperationError } from '../../shared/errors.js';
import { makePrivateHome, PRIVATE_FILE_MODE } from '../../shared/private-home.js';
import { currentProcess, isDead, type ProcessIdentity } from '../../shared/process-identity.js';

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

/**
 * An unreadable lock younger than this may be one that an older Lifeboat, which wrote the file in
 * place, is still writing: its owner is alive, so it is not taken over.
 */
const UNREADABLE_LOCK_GRACE_MS = 10_000;

/** Filesystems without hard links (some network and FUSE mounts) answer link(2) with these. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Puts the lock in place with `content`; false when a lock exists. The content is complete in a file of
 * its own before link(2) gives it the lock's name, atomically and only if that name is free.
 */
async function placeLock(file: string, content: string): Promise<boolean> {
  const written = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(written, content, { flag: 'wx', mode: PRIVATE_FILE_MODE });
  try {
    await link(written, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (NO_HARD_LINKS.has(code)) return placeLockInPlace(file, content);
    throw error;
  } finally {
    await unlink(written).catch(() => undefined);
  }
}

/** Without hard links: created exclusively and written in place (briefly empty: see the grace above). */
async function placeLockInPlace(file: string, content: string): Promise<boolean> {
  try {
    await writeFile(file, content, { flag: 'wx', mode: PRIVATE_FILE_MODE });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Whether an unreadable lock file is recent enough to be still in writing; undefined when it is gone. */
async function mayBeInWriting(file: string): Promise<boolean | undefined> {
  const modified = await stat(file).then((info) => info.mtimeMs, () => undefined);
  return modified === undefined ? undefined : Date.now() - modified < UNREADABLE_LOCK_GRACE_MS;
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    return JSON.parse(text) as LockOwner;
  } catch {
    return undefined; // being written in place, or left torn by a crash
  }
}

/**
 * Judges the lock `file` holds (read as `text`): throws the refusal when its job is alive or it is still
 * being written, else returns the line saying whose stale lock is taken over; undefined when it is gone.
 */
async function staleLock(file: string, text: string): Promise<string | undefined> {
  const held = parseOwner(text);
  if (held) {
    if (!isDead(held)) {
      throw new OperationError(
        `another job is running on this shop: job ${held.jobId} (${held.description}), started ${held.since} by pid ${held.pid} on ${held.host}; wait for it or stop it with "lifeboat cancel ${held.jobId}"`,
      );
    }
    return `took over the lock of job ${held.jobId} (pid ${held.pid}), whose process is gone`;
  }
  const inWriting = await mayBeInWriting(file);
  if (inWriting) throw new OperationError(`another job is starting on this shop: its lock file ${file} is being written; try again in a few seconds`);
  return inWriting === undefined ? undefined : 'took over an unreadable lock file';
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
    if (await placeLock(file, content)) {
      return {
        owner,
        ...(tookOver ? { tookOver } : {}),
        release: async () => {
          if ((await readFile(file, 'utf8').catch(() => '')) === content) await unlink(file).catch(() => undefined);
        },
      };
    }
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue; // released meanwhile
    const stale = await staleLock(file, text);
    if (stale === undefined) continue; // released meanwhile
    tookOver = stale;
    await removeStale(file, text);
  }
  throw new OperationError(`could not take the job lock ${file}; another process keeps changing it`);
}
