// The MariaDB instances the bench and the tests start (bench/own-server.ts): what a process killed with
// SIGKILL left (a running mariadbd, its folder) is removed by the next start, and the instances of a
// live process are left alone.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OWNER_FILE, removeAbandonedInstances } from '../../bench/abandoned-instances.js';
import { startMariadbInstance, type MariadbInstance } from '../../bench/own-server.js';
import { openConnection } from '../../bench/server.js';

/** Whether the process runs: a zombie (killed, not yet reaped by this process, its parent) does not. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

describe('MariaDB instances left by a killed process', () => {
  let parent: string;
  const started: MariadbInstance[] = [];

  afterAll(async () => {
    for (const instance of started) await instance.stop();
    if (parent) await rm(parent, { recursive: true, force: true });
  });

  it('stops and removes an instance whose owner is gone, and leaves a live owner\'s instance running', async () => {
    parent = await mkdtemp(path.join(tmpdir(), 'lifeboat-abandoned-'));
    const abandoned = await startMariadbInstance({ parent, serverId: 31 });
    const kept = await startMariadbInstance({ parent, serverId: 32 });
    started.push(abandoned, kept);
    const serverPid = Number((await readFile(path.join(abandoned.base, 'mariadbd.pid'), 'utf8')).trim());
    expect(running(serverPid)).toBe(true);
    // As if the process that started it had been killed: its owner is a process that has ended.
    const gone = spawnSync('true').pid;
    await writeFile(path.join(abandoned.base, OWNER_FILE), `${gone}\n`);

    await removeAbandonedInstances(parent);

    expect(running(serverPid)).toBe(false);
    expect(existsSync(abandoned.base)).toBe(false);
    expect(existsSync(kept.base)).toBe(true);
    const conn = await openConnection(kept.server);
    const [rows] = await conn.query('SELECT 1 AS one');
    await conn.end();
    expect(rows).toEqual([{ one: 1 }]);
  });
});
