import type { Command } from 'commander';
import { UsageError } from '../shared/errors.js';
import { log } from '../shared/log.js';
import { openState, settings, stdio, withInterrupts } from './context.js';

export function registerCron(program: Command): void {
  program
    .command('cron')
    .description('run the most recent due scheduled backup that has not run yet, once, then exit (for system cron or a Kubernetes CronJob)')
    .option('--at <iso-time>', 'act as if it were this time (for testing a schedule)')
    .option('--json', 'print the outcome as JSON')
    .action(async (flags: { at?: string; json?: boolean }) => {
      const now = flags.at === undefined ? new Date() : new Date(flags.at);
      if (Number.isNaN(now.getTime())) throw new UsageError(`--at must be an ISO 8601 time such as 2026-11-24T02:00:00Z, not "${flags.at}"`);
      const config = settings();
      const store = await openState(config);
      const { runScheduledOnce } = await import('../core/schedule/scheduler.js');
      try {
        const outcome = await withInterrupts((signal) =>
          runScheduledOnce(config, store, now, { signal, onNotice: log.warn }),
        );
        // The outcome is a log line (stdout for people, stderr in the json log); --json prints it as data too.
        const level = outcome.status === 'failed' ? 'error' : 'info';
        const fields = { status: outcome.status, occurrence: outcome.occurrence, file: outcome.file };
        if (flags.json) {
          stdio.out(JSON.stringify(outcome));
          log.event(level, outcome.message, fields);
        } else log.status(level, outcome.message, fields);
        if (outcome.status === 'failed') process.exitCode = 1;
      } finally {
        await store.close();
      }
    });
}
