import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import type { Settings } from '../config/settings.js';
import { UsageError } from '../shared/errors.js';
import { log } from '../shared/log.js';
import { settings, withAccounts } from './context.js';
import { portProblem, requireFreePort } from './port.js';

export const DEFAULT_PORT = 8480;

/** How long a stopping server waits for its aborted jobs to settle (systemd's default stop timeout is 90 s). */
const STOP_GRACE_MS = 30_000;

export interface ServeOptions {
  port: number;
  host: string;
  scheduler: boolean;
  /** Told the page's address once the server listens (the demo prints its sign-in there). */
  onListening?: (url: string) => void;
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, not "${value}"`);
  return port;
}

/** Serves the page, the API, health and metrics (and runs the schedule) until SIGINT/SIGTERM. */
export async function serveShop(config: Settings, options: ServeOptions): Promise<void> {
  const [{ markAsServer }, { recoverShop }, { StateStore }, { sealPlainStoredNotify }, { buildApp }, { startSchedulerLoop }, { abortOwnJobs, ownJobsEnded }] = await Promise.all([
    import('../shared/process-identity.js'),
    import('../core/operations.js'),
    import('../state/state.js'),
    import('../core/notify/settings.js'),
    import('../server/app.js'),
    import('../server/scheduler-loop.js'),
    import('../core/jobs/jobs.js'),
  ]);
  markAsServer();
  // A busy port is said before recovery or anything else runs.
  await requireFreePort(options.host, options.port);
  // What dead jobs left is settled before serving (an interrupted rollback first); a job running from the
  // command line meanwhile keeps the lock, and the next job settles it instead.
  const recovered = await recoverShop(config).catch((error: Error) => [`recovery not run: ${error.message}`]);
  for (const line of recovered) log.warn(line);
  // Passwords and tokens an older version saved in plain text are sealed now (see stored-secrets.ts).
  const sealed = await StateStore.with(config, (store) => sealPlainStoredNotify(store, config)).catch((error: Error) => [`warning: stored secrets not checked: ${error.message}`]);
  for (const line of sealed) log.warn(line);
  const needsSetup = (await withAccounts(config, (accounts) => accounts.countUsers())) === 0;
  // No users yet: only whoever reads this console can create the first admin.
  const setupToken = needsSetup ? randomBytes(24).toString('base64url') : undefined;
  const app = buildApp(config, { setupToken, warn: log.warn });
  await app.listen({ port: options.port, host: options.host }).catch((error: NodeJS.ErrnoException) => {
    throw portProblem(error, options.host, options.port) ?? error;
  });
  const address = app.server.address();
  const shown = typeof address === 'object' && address ? `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}` : String(address);
  log.status('info', `lifeboat serve: listening on http://${shown}${config.basePath} (admin page /, API /api, health /healthz, metrics /metrics${config.metricsToken ? ' with the bearer token' : ''})`);
  if (setupToken) {
    log.status('info', `No users yet. Create the first admin with this one-time link: http://${shown}${config.basePath}/#setup=${setupToken}`);
    log.status('info', '  (or from the command line: lifeboat user add NAME --role admin --password-stdin)');
  }
  options.onListening?.(`http://${shown}${config.basePath}/`);
  const scheduler = options.scheduler ? startSchedulerLoop(config) : undefined;
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log.info('lifeboat serve: stopping');
  // Jobs started from the page stop as a cancelled job does (a rollback puts the shop back), like the
  // scheduled one; what a job that does not end in time leaves, the next job's recovery settles.
  abortOwnJobs(new Error('lifeboat serve is stopping'));
  await scheduler?.stop();
  await app.close();
  if (!(await ownJobsEnded(STOP_GRACE_MS))) log.warn(`lifeboat serve: a job did not end within ${STOP_GRACE_MS / 1000} s of the stop; exiting anyway`);
  // Nothing may keep a stopped server alive (a worker thread that never ends): exit a moment after.
  setTimeout(() => process.exit(), 1000).unref();
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(`serve the web admin, its API, health and metrics, and run the schedule in-process (default 127.0.0.1:${DEFAULT_PORT})`)
    .option('--port <n>', 'port to listen on', String(DEFAULT_PORT))
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--no-scheduler', 'do not run the schedule in this process')
    .action(async (flags: { port: string; host: string; scheduler: boolean }) => {
      await serveShop(settings(), { port: parsePort(flags.port), host: flags.host, scheduler: flags.scheduler });
    });
}
