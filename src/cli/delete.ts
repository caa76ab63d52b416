import type { Command } from 'commander';
import { confirm } from './confirm.js';
import { settings, stdio } from './context.js';
import { log } from '../shared/log.js';

export function registerDelete(program: Command): void {
  program
    .command('delete')
    .description('delete backups: the record and its archive (for incremental backups, then the data no other backup uses)')
    .argument('<id...>', 'backup ids or archive file names')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (ids: string[], flags: { yes?: boolean }) => {
      const config = settings();
      const { Repository } = await import('../repository/repository.js');
      // Resolve every id first: one unknown id deletes nothing.
      const repository = Repository.open(config);
      const records = [];
      for (const id of ids) records.push(await repository.find(id));
      const files = records.map((r) => r.file).join(', ');
      if (!(await confirm(`Delete ${records.length} backup(s) and their archives (${files})?`, flags.yes))) {
        log.info('nothing was deleted');
        process.exitCode = 1;
        return;
      }
      for (const record of records) {
        await repository.delete(record);
        stdio.out(`deleted ${record.file}`);
      }
      repository.close();
      const { removeDataOfDeleted } = await import('../core/incremental-data.js');
      await removeDataOfDeleted(config, records, stdio.out, log.warning);
    });
}
