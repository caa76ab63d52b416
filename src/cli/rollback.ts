import type { Command } from 'commander';
import { requireDatabase } from '../config.js';
import { findBackup } from '../core/catalog.js';
import { rollbackDatabase } from '../core/rollback.js';
import { describeTarget } from '../engines/target.js';
import { confirm } from './confirm.js';
import { localTime } from './format.js';
import { progressBar } from './progress.js';
import { rollbackTreeCommand } from './rollback-tree.js';
import { settings, stdio, withInterrupts } from './context.js';

interface RollbackFlags {
  yes?: boolean;
  table?: string[];
  json?: boolean;
}

export function registerRollback(program: Command): void {
  program
    .command('rollback')
    .description('restore the database (and, for .tgz archives, the files) from a backup, atomically (verifies the archive first)')
    .argument('<id>', 'the backup id or archive file name')
    .option('--table <name...>', 'restore only these tables (repeatable)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, flags: RollbackFlags) => {
      const config = settings();
      const record = await findBackup(config.backupDir, id);
      if (record.type !== 'db') {
        await rollbackTreeCommand(config, record, flags);
        return;
      }
      const target = requireDatabase(config);
      const what = flags.table?.length ? `table(s) ${flags.table.join(', ')} of ${describeTarget(target)}` : describeTarget(target);
      const question = `Replace ${what} with backup ${record.file} from ${localTime(record.time)}?`;
      if (!(await confirm(question, flags.yes))) {
        stdio.err('rollback cancelled; nothing was changed');
        process.exitCode = 1;
        return;
      }
      const bar = progressBar(!flags.json);
      const result = await withInterrupts((signal) =>
        rollbackDatabase(target, config.backupDir, record, { tables: flags.table, onProgress: bar.listener, signal }),
      ).finally(() => bar.done());
      if (flags.json) stdio.out(JSON.stringify({ id: record.id, file: record.file, ...result }));
      else stdio.out(`rolled back to ${record.file}: ${result.tables} tables, ${result.rows} rows restored`);
      for (const warning of result.warnings) stdio.err(`warning: ${warning}`);
    });
}
