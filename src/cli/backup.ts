import type { Command } from 'commander';
import { createDatabaseBackup } from '../core/backup.js';
import { requireDatabase } from '../config.js';
import { UsageError } from '../core/errors.js';
import { humanBytes } from './format.js';
import { recordJson } from './format.js';
import { registerTreeBackups } from './backup-tree.js';
import { progressBar } from './progress.js';
import { settings, stdio, withInterrupts } from './context.js';

interface BackupFlags {
  name?: string;
  json?: boolean;
  keepDefiners?: boolean;
  level?: string;
}

export function registerBackup(program: Command): void {
  const backup = program.command('backup').description('take a backup: db, system, media or code (see "lifeboat backup db --help")');
  backup
    .command('db')
    .description('dump the database into <backup dir>/<unix time>_db[_<name>].sql.gz')
    .option('--name <name>', 'a name for the backup (letters, digits and spaces; spaces become _)')
    .option('--keep-definers', 'keep DEFINER clauses of views, triggers and routines (default: strip them)')
    .option('--level <n>', 'gzip level 1-9', '6')
    .option('--json', 'print the new backup as one JSON object')
    .action(async (flags: BackupFlags) => {
      const level = Number(flags.level);
      if (!Number.isInteger(level) || level < 1 || level > 9) throw new UsageError(`--level must be a whole number from 1 to 9, not "${flags.level}"`);
      const config = settings();
      const target = requireDatabase(config);
      const bar = progressBar(!flags.json);
      const record = await withInterrupts((signal) =>
        createDatabaseBackup(target, config.backupDir, { name: flags.name, keepDefiners: flags.keepDefiners, level, onProgress: bar.listener, signal }),
      ).finally(() => bar.done());
      if (flags.json) {
        stdio.out(JSON.stringify(recordJson(record, config.backupDir)));
      } else {
        const m = record.manifest;
        stdio.out(`backup ${record.id} written: ${record.file} (${humanBytes(record.size)}, ${m?.tables.length ?? 0} tables)`);
        for (const warning of m?.warnings ?? []) stdio.err(`warning: ${warning}`);
      }
    });
  registerTreeBackups(backup);
}
