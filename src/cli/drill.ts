// `lifeboat drill [ID]`: restores a database backup into a scratch database beside the shop's and checks
// that every table came back exactly (core/verify/drill.ts); the shop is never touched.
import type { Command } from 'commander';
import type { DrillResult } from '../core/verify/drill.js';
import { damagedPart } from '../core/verify/archive-damage.js';
import { UsageError } from '../shared/errors.js';
import { findBoundBackup, newestBoundBackup } from './find-backup.js';
import { progressBar } from './progress.js';
import { settings, stdio, withInterrupts } from './context.js';
import { log } from '../shared/log.js';

/** The verdict: one line when every table matches, else a line per table that does not. */
function printDrill(result: DrillResult): void {
  const rows = result.tables.reduce((sum, t) => sum + t.restoredRows, 0);
  const what = `${result.tables.length} tables, ${rows} rows restored into the scratch ${result.scratch} (removed) in ${result.seconds.toFixed(1)} s`;
  if (result.ok) {
    stdio.out(`${result.file}: RESTORES: ${what}; every table is as the backup recorded it`);
    return;
  }
  if (result.damaged) {
    log.error(`${result.file}: DOES NOT RESTORE: its archive is damaged in ${damagedPart(result.damaged)} (${result.damaged.problem}); nothing was restored`);
    return;
  }
  log.error(`${result.file}: DOES NOT RESTORE AS RECORDED: ${what}`);
  for (const t of result.tables.filter((table) => !table.same)) {
    log.error(`  table ${t.name}: ${t.rows === t.restoredRows ? `${t.rows} rows, but their values differ` : `${t.rows} rows in the backup, ${t.restoredRows} restored`}`);
  }
  for (const name of result.missing) log.error(`  table ${name}: in the backup, missing after the restore`);
  for (const name of result.extra) log.error(`  table ${name}: restored, but not in the backup's manifest`);
}

export function registerDrill(program: Command): void {
  program
    .command('drill')
    .description('restore a database backup into a scratch database beside the shop\'s and check every table against the backup (exit 1 when one differs); the shop is not touched')
    .argument('[id]', 'the backup id or archive file name (default: the newest database backup)')
    .option('--json', 'print the result as JSON')
    .action(async (id: string | undefined, flags: { json?: boolean }): Promise<void> => {
      const config = settings();
      const { drillBackup, DrillFailedError } = await import('../core/verify/drill-job.js');
      const record = id ? await findBoundBackup(config, id, 'drill it') : await newestBoundBackup(config, (r) => r.type === 'db' && r.origin === 'lifeboat');
      if (!record) throw new UsageError(`no database backup in ${config.backupDir} to drill; take one with "lifeboat backup db"`);
      const found = record;
      const bar = progressBar(!flags.json);
      // A drill that ran and found tables not as recorded fails its job (DrillFailedError) and exits 1.
      const result = await withInterrupts((signal) => drillBackup(config, found, { trigger: 'cli', signal, onProgress: bar.listener, onNotice: log.warn }))
        .then(({ result }) => result)
        .catch((error: unknown) => {
          if (error instanceof DrillFailedError) return error.result;
          throw error;
        })
        .finally(() => bar.done());
      if (flags.json) stdio.out(JSON.stringify(result));
      else printDrill(result);
      if (!result.ok) process.exitCode = 1;
    });
}
