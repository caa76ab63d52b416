// Who runs a job, precisely enough to tell later whether it is still alive: the host, the pid, and the
// process's start time (so a recycled pid is not mistaken for the original process).
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface ProcessIdentity {
  host: string;
  pid: number;
  /** Kernel start time of the process (Linux /proc/<pid>/stat field 22), when readable. */
  start?: string;
  /** Set for `lifeboat serve`: a signal to it would stop the whole server, not just one of its jobs. */
  server?: true;
}

let serving = false;

/** Marks this process as `lifeboat serve` in the jobs it runs (from the page, the API or its scheduler). */
export function markAsServer(): void {
  serving = true;
}

function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: split after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

export function currentProcess(): ProcessIdentity {
  return { ...processIdentity(process.pid), ...(serving ? { server: true as const } : {}) };
}

/** The identity of a process of this host (a child just started). */
export function processIdentity(pid: number): ProcessIdentity {
  const start = processStart(pid);
  return { host: hostname(), pid, ...(start ? { start } : {}) };
}

/**
 * true when the process is known to be gone: same host, and no such pid (or a different process now
 * has it). A process on another host cannot be checked: it is presumed alive.
 */
export function isDead(identity: ProcessIdentity): boolean {
  if (identity.host !== hostname()) return false;
  try {
    process.kill(identity.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
    return false; // EPERM: it exists, owned by someone else
  }
  if (identity.start !== undefined) {
    const now = processStart(identity.pid);
    if (now !== undefined && now !== identity.start) return true;
  }
  return false;
}
