import type { Command } from 'commander';
import { parseRetentionPolicy, type RetentionPolicy } from '../core/schedule/retention.js';
import { machineTimeZone, type Schedule } from '../core/schedule/schedule.js';
import { UsageError } from '../shared/errors.js';
import { confirm } from './confirm.js';
import { humanBytes, localTime, renderTable } from './format.js';
import { log } from '../shared/log.js';
import { openExistingState, openState, settings, stdio } from './context.js';

interface PruneFlags {
  keepLast?: string;
  keepDaily?: string;
  keepWeekly?: string;
  keepMonthly?: string;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
}

/** The policy given on the command line, else the one saved with the schedule. */
function policyFrom(flags: PruneFlags, saved: RetentionPolicy | undefined): RetentionPolicy {
  const given = { keepLast: flags.keepLast, keepDaily: flags.keepDaily, keepWeekly: flags.keepWeekly, keepMonthly: flags.keepMonthly };
  if (Object.values(given).some((v) => v !== undefined)) return parseRetentionPolicy(Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)));
  if (saved) return saved;
  throw new UsageError('no retention policy: give --keep-last/--keep-daily/--keep-weekly/--keep-monthly, or save one with "lifeboat schedule set --keep-daily 7 ..."');
}

export function registerPrune(program: Command): void {
  program
    .command('prune')
    .description('remove old backups by a retention policy (as restic forget): per backup type, the newest is always kept')
    .option('--keep-last <n>', 'keep the n newest backups')
    .option('--keep-daily <n>', 'keep the newest backup of each of the last n days that have backups')
    .option('--keep-weekly <n>', 'keep the newest backup of each of the last n weeks')
    .option('--keep-monthly <n>', 'keep the newest backup of each of the last n months')
    .option('--dry-run', 'show what would be removed, remove nothing')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the plan as JSON')
    .action(async (flags: PruneFlags) => {
      const config = settings();
      const [{ Repository }, { pruneBackups }, { recoverShop }, { removeDataOfDeleted }] = await Promise.all([
        import('../repository/repository.js'),
        import('../core/schedule/prune.js'),
        import('../core/operations.js'),
        import('../core/incremental-data.js'),
      ]);
      // Like every command that changes things, first settle what dead jobs left; a running job holds the
      // lock and has done so itself.
      if (!flags.dryRun) for (const line of await recoverShop(config).catch((error: Error) => [`warning: recovery not run: ${error.message}`])) log.warn(line);
      // A dry run reads only: where Lifeboat has no state yet, there is no saved policy and no running job.
      const store = flags.dryRun ? await openExistingState(config) : await openState(config);
      const jobs = store ?? { unfinishedJobs: async () => [] };
      const repository = Repository.open(config);
      try {
        const schedule = await store?.getSetting<Schedule>('schedule');
        const policy = policyFrom(flags, schedule?.retention);
        const timezone = schedule?.timezone ?? machineTimeZone();
        const preview = await pruneBackups(repository, jobs, policy, { timezone, dryRun: true });
        const apply = !flags.dryRun && preview.removed.length > 0;
        if (apply && !(await confirm(`Remove ${preview.removed.length} backup(s) and their archives?`, flags.yes || flags.json))) {
          log.info('nothing was removed');
          process.exitCode = 1;
          return;
        }
        const result = apply ? await pruneBackups(repository, jobs, policy, { timezone }) : preview;
        if (apply) await removeDataOfDeleted(config, result.removed, flags.json ? () => undefined : stdio.out, log.warning);
        if (flags.json) {
          stdio.out(
            JSON.stringify({
              dryRun: !apply,
              policy,
              keep: result.plan.keep,
              remove: result.removed.map((r) => ({ id: r.id, file: r.file, time: r.time, size: r.size })),
            }),
          );
          return;
        }
        const reasons = new Map(result.plan.keep.map((k) => [k.id, k.reasons.join(', ')]));
        const rows = [
          ...result.kept.map((r) => ['keep', localTime(r.time), r.type, humanBytes(r.size), r.file, reasons.get(r.id) ?? '']),
          ...result.removed.map((r) => [apply ? 'removed' : 'remove', localTime(r.time), r.type, humanBytes(r.size), r.file, '']),
        ];
        if (rows.length) stdio.out(renderTable(['ACTION', 'TIME', 'TYPE', 'SIZE', 'FILE', 'KEPT BECAUSE'], rows));
        stdio.out(apply ? `removed ${result.removed.length} backup(s)` : `${preview.removed.length} backup(s) would be removed (dry run)`);
      } finally {
        repository.close();
        await store?.close();
      }
    });
}
