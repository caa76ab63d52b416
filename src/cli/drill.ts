// `lifeboat drill [ID]`: restores a database backup into a scratch database beside the shop's and checks
// that every table came back exactly (core/verify/drill.ts); the shop is never touched.
import type { Command } from 'commander';
import type { DrillResult } from '../core/verify/drill.js';
import { UsageError } from '../shared/errors.js';
import type { BackupRecord } from '../shared/types.js';
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
      const [{ Repository }, { requireDatabase }, { drillDatabase }, { drillRecord, keepDrill }] = await Promise.all([
        import('../repository/repository.js'),
        import('../config/settings.js'),
        import('../core/verify/drill.js'),
        import('../core/verify/drill-record.js'),
      ]);
      const target = requireDatabase(config);
      const repository = Repository.open(config);
      try {
        const record: BackupRecord | undefined = id
          ? await repository.find(id, { onStoreUnreachable: log.warning })
          : (await repository.list({ onStoreUnreachable: log.warning })).find((r) => r.type === 'db' && r.origin === 'lifeboat' && !r.problem);
        if (!record) throw new UsageError(`no database backup in ${config.backupDir} to drill; take one with "lifeboat backup db"`);
        await repository.secret(); // a bad key file fails before anything is read
        const bar = progressBar(!flags.json);
        const startedAt = new Date();
        const result = await withInterrupts((signal) =>
          repository.withLocalCopy(record, (archiveDir, whole) => drillDatabase(target, archiveDir, whole, { signal, onProgress: bar.listener, onNotice: log.warn }), {
            signal,
            onProgress: bar.listener,
          }),
        ).finally(() => bar.done());
        // Kept for /metrics and the notification channels (a failed drill is told as a failed backup is).
        await keepDrill(config, drillRecord(record, result), startedAt, log.warn);
        if (flags.json) stdio.out(JSON.stringify(result));
        else printDrill(result);
        if (!result.ok) process.exitCode = 1;
      } finally {
        repository.close();
      }
    });
}
