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

/** With `umask` (e.g. "000"), the command runs under that umask, as a shell would start it. */
export function startCli(args: string[], env: Record<string, string>, cwd?: string, options: { umask?: string } = {}): ChildProcess {
  const [command, commandArgs] = options.umask === undefined ? [process.execPath, [BIN, ...args]] : ['sh', ['-c', `umask ${options.umask} && exec "$0" "$@"`, process.execPath, BIN, ...args]];
  return spawn(command, commandArgs, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function runCli(args: string[], env: Record<string, string>, cwd?: string, options: { umask?: string } = {}): Promise<CliResult> {
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
