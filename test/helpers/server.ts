// Starts the real `lifeboat serve` on 127.0.0.1 (a free port) and talks HTTP to it with a cookie jar.
import { spawn } from 'node:child_process';
import { startCli, BIN, type CliOptions, type CliResult } from './cli.js';

export interface RunningServer {
  base: string;
  stdout: () => string;
  stderr: () => string;
  /** The token of the first-run setup link, when one was printed. */
  setupToken?: string;
  stop: () => Promise<number | null>;
}

export async function startServer(env: Record<string, string>, args: string[] = [], options: CliOptions = {}): Promise<RunningServer> {
  const child = startCli(['serve', '--port', '0', '--no-scheduler', ...args], env, undefined, options);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  // On stdout, or on stderr with LIFEBOAT_LOG_FORMAT=json (where the URL ends at a space too).
  const printed = () => stdout + stderr;
  for (let i = 0; i < 400 && !/listening on/.test(printed()); i++) await new Promise((r) => setTimeout(r, 25));
  const base = /listening on (http:\/\/\S+)/.exec(printed())?.[1];
  if (!base) {
    child.kill('SIGTERM');
    throw new Error(`lifeboat serve did not start: ${stdout} ${stderr}`);
  }
  await new Promise((r) => setTimeout(r, 50)); // the setup line follows the listening line
  return {
    base,
    stdout: () => stdout,
    stderr: () => stderr,
    setupToken: /#setup=([A-Za-z0-9_-]+)/.exec(printed())?.[1],
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs `lifeboat ARGS` with `input` on stdin. */
export function runCliWithStdin(args: string[], env: Record<string, string>, input: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** A signed-in client: the session cookie and the CSRF token. */
export interface Client {
  cookie: string;
  csrf: string;
}

export async function signIn(base: string, username: string, password: string): Promise<Client> {
  const response = await fetch(`${base}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (response.status !== 200) throw new Error(`sign-in of ${username} answered ${response.status}`);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0];
  const body = (await response.json()) as { csrfToken: string };
  return { cookie, csrf: body.csrfToken };
}

/** A request as `client` (with its CSRF token unless csrf is false). */
export function call(base: string, client: Client | undefined, method: string, url: string, body?: unknown, options: { csrf?: boolean; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (client) headers.cookie = client.cookie;
  if (client && options.csrf !== false) headers['x-csrf-token'] = client.csrf;
  return fetch(`${base}${url}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** Polls GET /api/jobs/:id until the job ends. */
export async function waitForJob(base: string, client: Client, jobId: string): Promise<{ state: string; error?: string; backupId?: string }> {
  for (let i = 0; i < 600; i++) {
    const { job } = (await (await call(base, client, 'GET', `/api/jobs/${jobId}`)).json()) as { job: { state: string; error?: string; backupId?: string } };
    if (job.state !== 'running' && job.state !== 'queued') return job;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${jobId} did not end`);
}

/**
 * Creates roles, then users (all with `password`), through the real CLI; throws on the first refusal.
 * `roles`: name -> resources ("backup,rollback"); `users`: name -> role.
 */
export async function addAccounts(env: Record<string, string>, password: string, accounts: { roles?: Record<string, string>; users: Record<string, string> }): Promise<void> {
  const steps: [string[], string][] = [
    ...Object.entries(accounts.roles ?? {}).map(([name, resources]): [string[], string] => [['role', 'add', name, '--resources', resources], '']),
    ...Object.entries(accounts.users).map(([name, role]): [string[], string] => [['user', 'add', name, '--role', role, '--password-stdin'], password]),
  ];
  for (const [args, input] of steps) {
    const result = await runCliWithStdin(args, env, input);
    if (result.code !== 0) throw new Error(`lifeboat ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  }
}
