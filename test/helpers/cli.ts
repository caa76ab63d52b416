// Runs the real `lifeboat` command (bin/lifeboat.js over the compiled dist/) as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/lifeboat.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** The command runs under this umask (e.g. "000"), as a shell would start it. */
  umask?: string;
  /** Another `lifeboat` to run than bin/lifeboat.js on this node: the single executable. */
  program?: string;
  /** The node that runs bin/lifeboat.js, when not this one. */
  node?: string;
  /** Run as this user and group instead of the test's own (the test must be root): see unprivileged.ts. */
  user?: { uid: number; gid: number };
}

export function startCli(args: string[], env: Record<string, string>, cwd?: string, options: CliOptions = {}): ChildProcess {
  const lifeboat = options.program === undefined ? [options.node ?? process.execPath, BIN] : [options.program];
  const [command, commandArgs] =
    options.umask === undefined ? [lifeboat[0], [...lifeboat.slice(1), ...args]] : ['sh', ['-c', `umask ${options.umask} && exec "$0" "$@"`, ...lifeboat, ...args]];
  return spawn(command, commandArgs, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options.user,
  });
}


export function runCli(args: string[], env: Record<string, string>, cwd?: string, options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = startCli(args, env, cwd, options);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Runs the command with LIFEBOAT_PAUSE_AT=`step`, waits until it says it paused there and kills it with
 * SIGKILL (as a power loss would stop it); its stderr. Fails when the command ended without pausing.
 */
export async function killAtStep(args: string[], env: Record<string, string>, step: string): Promise<string> {
  const child = startCli(args, { ...env, LIFEBOAT_PAUSE_AT: step });
  const ended = new Promise<void>((resolve) => child.on('close', () => resolve()));
  let stderr = '';
  const paused = await new Promise<boolean>((resolve) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes(`paused at ${step}`)) resolve(true);
    });
    void ended.then(() => resolve(false));
  });
  if (!paused) throw new Error(`lifeboat ${args.join(' ')} ended without pausing at ${step}: ${stderr}`);
  child.kill('SIGKILL');
  await ended;
  return stderr;
}
