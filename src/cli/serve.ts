import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { clearStaleFlag } from '../core/maintenance.js';
import { buildApp } from '../server/app.js';
import { startSchedulerLoop } from '../server/scheduler-loop.js';
import { settings, stdio } from './context.js';

export const DEFAULT_PORT = 8480;

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(`serve the HTTP endpoints (health, metrics) and run the schedule in-process (default 127.0.0.1:${DEFAULT_PORT})`)
    .option('--port <n>', 'port to listen on', String(DEFAULT_PORT))
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--no-scheduler', 'do not run the schedule in this process')
    .action(async (flags: { port: string; host: string; scheduler: boolean }) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, not "${flags.port}"`);
      const config = settings();
      const cleared = await clearStaleFlag(config.root);
      if (cleared) stdio.err(cleared);
      const app = buildApp(config);
      await app.listen({ port, host: flags.host });
      const address = app.server.address();
      const shown = typeof address === 'object' && address ? `${address.address}:${address.port}` : String(address);
      stdio.out(`lifeboat serve: listening on http://${shown} (health /healthz, metrics /metrics)`);
      const scheduler = flags.scheduler ? startSchedulerLoop(config, (line) => stdio.err(line)) : undefined;
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      stdio.err('lifeboat serve: stopping');
      await scheduler?.stop();
      await app.close();
    });
}
