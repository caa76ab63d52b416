// Cancelling a job of another process on this host: a job of `lifeboat serve` (from its page, API or
// scheduler) lives inside the server, and signalling it would stop the whole server, so the request is
// written to the state for the server to see (and the process is left alone); any other job's process
// gets SIGTERM. A real child process stands in.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../src/state/state.js';
import { requestCancel } from '../../src/core/jobs/cancel.js';
import { currentProcess } from '../../src/shared/process-identity.js';

/** A process that runs until it is signalled. */
function sleeper(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
}

describe('requestCancel for a job of another process', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });

  async function jobIn(trigger: string, server: boolean): Promise<{ store: StateStore; id: string; child: ChildProcess }> {
    const home = await mkdtemp(path.join(tmpdir(), 'lifeboat-job-cancel-'));
    const child = sleeper();
    children.push(child);
    await new Promise((resolve) => child.once('spawn', resolve));
    const store = StateStore.open({ home });
    const id = `job-${trigger}`;
    const { host } = currentProcess();
    // The child's start time is not needed to tell that it is alive.
    const process = { host, pid: child.pid as number, ...(server ? { server: true as const } : {}) };
    await store.createJob({ id, kind: 'backup', type: 'db', description: 'backup db', trigger, state: 'running', process });
    return { store, id, child };
  }

  it('asks a job of lifeboat serve (here its scheduler) through the state, and leaves the server running', async () => {
    const { store, id, child } = await jobIn('schedule', true);
    try {
      expect(await requestCancel(store, id, 'lifeboat cancel')).toEqual({ status: 'requested', how: 'asked' });
      expect(await store.cancelRequestOf(id)).toBe('lifeboat cancel');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(child.exitCode).toBe(null);
      expect(child.signalCode).toBe(null);
    } finally {
      await store.close();
    }
  });

  it('signals the process of a job started from the command line', async () => {
    const { store, id, child } = await jobIn('cli', false);
    try {
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
      expect(await requestCancel(store, id, 'test')).toEqual({ status: 'requested', how: 'signalled' });
      expect(await exited).toBe('SIGTERM');
    } finally {
      await store.close();
    }
  });
});
