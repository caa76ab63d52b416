// `lifeboat drill [ID]`: restores a backup into a scratch database beside the shop's and checks that
// every table came back exactly (core/verify/drill.ts); a file backup's tree goes into a scratch folder
// and every file is checked against its file index, or an incremental backup's every entry against its
// listing (core/verify/tree-drill.ts); the shop is never touched.
import type { Command } from 'commander';
import type { DrillResult } from '../core/verify/drill.js';
import { damagedPart } from '../core/verify/archive-damage.js';
import { describeDifference, entryWord } from '../core/verify/file-difference.js';
import { UsageError } from '../shared/errors.js';
import { findBoundBackup, newestBoundBackup } from './find-backup.js';
import { progressBar } from './progress.js';
import { settings, stdio, withInterrupts } from './context.js';
import { log } from '../shared/log.js';

/** What was restored, in words: the tables and rows, and a file backup's files. */
function restoredWords(result: DrillResult): string {
  const rows = result.tables.reduce((sum, t) => sum + t.restoredRows, 0);
  const tables = result.tables.length > 0 || !result.tree ? [`${result.tables.length} tables, ${rows} rows`] : [];
  const files = result.tree ? [`${result.tree.counts.files} files`] : [];
  return `${[...tables, ...files].join(' and ')} restored into the scratch ${result.scratch} (removed) in ${result.seconds.toFixed(1)} s`;
}

/** The verdict: one line when every table and file matches, else a line per table or file that does not. */
function printDrill(result: DrillResult): void {
  const what = restoredWords(result);
  const tree = result.tree;
  if (result.ok) {
    const parts = [...(result.tables.length > 0 || !tree ? ['table'] : []), ...(tree && !tree.notCompared ? ['file'] : [])];
    const checked = `every ${parts.join(' and ')} is as the backup recorded it`;
    stdio.out(`${result.file}: RESTORES: ${what}; ${checked}`);
    if (tree?.notCompared) log.warn(tree.notCompared);
    return;
  }
  if (tree?.damaged) {
    log.error(`${result.file}: DOES NOT RESTORE: ${tree.damaged}; nothing was compared`);
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
  for (const entry of tree?.differing ?? []) log.error(`  ${entryWord(entry)} ${entry.path}: ${describeDifference(entry)}`);
  if (tree?.moreDiffering) log.error(`  and ${tree.moreDiffering} more entries that differ (only the first ${tree.differing.length} are named)`);
}

export function registerDrill(program: Command): void {
  program
    .command('drill')
    .description('restore a backup into a scratch database beside the shop\'s (and a file backup\'s tree into a scratch folder) and check every table and file against the backup (exit 1 when one differs); the shop is not touched')
    .argument('[id]', 'the backup id or archive file name (default: the newest Lifeboat backup of any type)')
    .option('--json', 'print the result as JSON')
    .action(async (id: string | undefined, flags: { json?: boolean }): Promise<void> => {
      const config = settings();
      const { drillBackup, DrillFailedError } = await import('../core/verify/drill-job.js');
      const record = id ? await findBoundBackup(config, id, 'drill it') : await newestBoundBackup(config, (r) => r.origin === 'lifeboat');
      if (!record) throw new UsageError(`no Lifeboat backup in ${config.backupDir} to drill; take one with "lifeboat backup db" or "lifeboat backup system"`);
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
