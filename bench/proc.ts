// Running one measured command: wall time (from here), and through GNU time the peak RSS and the CPU
// seconds of the process and the children it waited for (a shell pipeline's CPU is the sum of its
// commands'). Without /usr/bin/time, /proc is polled instead (peak RSS and CPU of the process itself).
// Every child runs in its own process group, so that an interrupted bench stops the whole pipeline.
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface RunResult {
  seconds: number;
  code: number;
  stdout: string;
  stderr: string;
  /** Peak resident set size in bytes (the largest single process when a pipeline ran). */
  peakRss?: number;
  /** User + system CPU seconds of the command (and the children it waited for). */
  cpuSeconds?: number;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** GNU time's path, when installed; without it /proc is polled. */
  timeBin?: string;
  /** Where GNU time writes its report (the bench's temp folder). */
  tmpDir?: string;
  /**
   * Only the wall time: no GNU time around the command and no /proc polling. For commands of a few tens
   * of milliseconds, where starting GNU time first would weigh in the figure.
   */
  wallOnly?: boolean;
}

const running = new Set<number>();

/** Stops every command still running (called on Ctrl-C). */
export function killAll(): void {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

/** A bash pipeline with pipefail: its status is the first failing command's. */
export function shell(script: string): string[] {
  return ['bash', '-o', 'pipefail', '-c', script];
}

function readProcStatus(pid: number): { hwm?: number; cpu?: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { ...(hwm ? { hwm: Number(hwm[1]) * 1024 } : {}), cpu: ticks / clockTicks() };
  } catch {
    return {};
  }
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export async function run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  const dir = options.timeBin && !options.wallOnly ? await mkdtemp(path.join(options.tmpDir ?? os.tmpdir(), 'time-')) : undefined;
  const timeFile = dir ? path.join(dir, 'time') : undefined;
  const command = timeFile && options.timeBin ? [options.timeBin, '-f', '%U %S %M', '-o', timeFile, ...argv] : argv;
  const started = performance.now();
  const child = spawn(command[0], command.slice(1), {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const pid = child.pid;
  if (pid !== undefined) running.add(pid);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  let polled: { hwm?: number; cpu?: number } = {};
  const poll = !timeFile && !options.wallOnly && pid !== undefined ? setInterval(() => (polled = { ...polled, ...readProcStatus(pid) }), 50) : undefined;
  const code = await new Promise<number>((resolve) => {
    child.on('error', (error) => {
      err.push(Buffer.from(String(error)));
      resolve(127);
    });
    child.on('close', (status, signal) => resolve(status ?? (signal ? 128 : 1)));
  });
  const seconds = (performance.now() - started) / 1000;
  if (poll) clearInterval(poll);
  if (pid !== undefined) running.delete(pid);
  const result: RunResult = { seconds, code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
  if (timeFile && dir) {
    const text = await readFile(timeFile, 'utf8').catch(() => '');
    // GNU time may write "Command exited with non-zero status N" before the format line.
    const m = /(\d+\.\d+) (\d+\.\d+) (\d+)\s*$/.exec(text.trim());
    if (m) {
      result.cpuSeconds = Number(m[1]) + Number(m[2]);
      result.peakRss = Number(m[3]) * 1024;
    }
    await rm(dir, { recursive: true, force: true });
  } else {
    if (polled.hwm !== undefined) result.peakRss = polled.hwm;
    if (polled.cpu !== undefined) result.cpuSeconds = polled.cpu;
  }
  return result;
}

/** The first line of a failed command's stderr (or stdout), for a one-line note. */
export function failureLine(result: RunResult): string {
  const text = (result.stderr.trim() || result.stdout.trim()).split('\n').filter((l) => l.trim() !== '');
  return `exit ${result.code}: ${(text[text.length - 1] ?? '').slice(0, 200)}`;
}

/** CPU seconds the local database server has used so far (undefined when it is not local or not found). */
export class ServerCpu {
  private readonly pid: number | undefined;

  /** `pid`: the server's process when known (the bench's own server); else the first local mariadbd. */
  constructor(host: string, pid?: number) {
    this.pid = pid ?? (['127.0.0.1', 'localhost', '::1'].includes(host) ? findServerPid() : undefined);
  }

  get available(): boolean {
    return this.pid !== undefined;
  }

  read(): number | undefined {
    return this.pid === undefined ? undefined : readProcStatus(this.pid).cpu;
  }
}

function findServerPid(): number | undefined {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
        if (comm === 'mariadbd' || comm === 'mysqld') return Number(entry);
      } catch {
        // the process ended meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return undefined;
}
