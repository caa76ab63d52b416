// What a killed run left of its MariaDB instances (startMariadbInstance): a bench or a test process that
// died by SIGKILL ran no cleanup, so its mariadbd goes on running and its folder stays. Each instance's
// folder names the process that started it (`owner`); the next start removes the folders whose owner
// is gone, stopping their server first. Folders of live processes (a test run alongside) are left alone.
import { readFileSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

export const INSTANCE_PREFIX = 'lifeboat-mariadb-';
export const OWNER_FILE = 'owner';

/** Whether `pid` runs: a killed process not yet reaped by its parent (a zombie) does not. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // The state follows the command name in parentheses, which may itself hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust the signal
  }
}

async function readPid(file: string): Promise<number | undefined> {
  const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Whether `dir` names the process that made it (OWNER_FILE) and that process has ended. */
export async function ownerGone(dir: string): Promise<boolean> {
  const owner = await readPid(path.join(dir, OWNER_FILE));
  return owner !== undefined && !alive(owner);
}

/** Kills the folder's mariadbd when it still runs (checked by its command line naming the folder). */
async function stopServerOf(base: string): Promise<void> {
  const pid = await readPid(path.join(base, 'mariadbd.pid'));
  if (pid === undefined) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes(base)) return;
  process.kill(pid, 'SIGKILL');
  for (let waited = 0; alive(pid) && waited < 10_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
}

/** Removes the instances under `parent` whose owner process has ended. */
export async function removeAbandonedInstances(parent: string): Promise<void> {
  const names = await readdir(parent).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.startsWith(INSTANCE_PREFIX))) {
    const base = path.join(parent, name);
    if (!(await ownerGone(base))) continue; // not one of ours, or still in use
    await stopServerOf(base).catch(() => undefined);
    await rm(base, { recursive: true, force: true }).catch(() => undefined);
  }
}
