import type { Command } from 'commander';
import { confirm } from './confirm.js';
import { settings, stdio } from './context.js';
import { log } from '../shared/log.js';

export function registerDelete(program: Command): void {
  program
    .command('delete')
    .description('delete backups: the record and its archive')
    .argument('<id...>', 'backup ids or archive file names')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (ids: string[], flags: { yes?: boolean }) => {
      const config = settings();
      const [{ deleteBackupEverywhere }, { findAnyBackup }, { openOffsiteStore }] = await Promise.all([
        import('../repository/delete.js'),
        import('../repository/offsite-catalog.js'),
        import('../repository/offsite-copy.js'),
      ]);
      // Resolve every id first: one unknown id deletes nothing.
      const store = openOffsiteStore(config.storage);
      const records = [];
      for (const id of ids) records.push(await findAnyBackup(config.backupDir, store, id));
      const files = records.map((r) => r.file).join(', ');
      if (!(await confirm(`Delete ${records.length} backup(s) and their archives (${files})?`, flags.yes))) {
        log.info('nothing was deleted');
        process.exitCode = 1;
        return;
      }
      for (const record of records) {
        await deleteBackupEverywhere(config.backupDir, store, record);
        stdio.out(`deleted ${record.file}`);
      }
      store?.close();
    });
}
