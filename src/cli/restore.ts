// `lifeboat restore ID --to-database URL [--to-root DIR] [--base-url URL]` (a code backup: `--to-root DIR`
// alone): a backup loaded into another
// database (and folder) than the shop's, as a job; the shop is never touched (core/restore/restore-to.ts).
import type { Command } from 'commander';
import type { RestoreOutcome } from '../core/restore/restore-to.js';
import type { BackupRecord } from '../shared/types.js';
import { confirm } from './confirm.js';
import { findBoundBackup } from './find-backup.js';
import { localTime } from './format.js';
import { progressBar } from './progress.js';
import { settings, stdio, withInterrupts } from './context.js';
import { log } from '../shared/log.js';
import { redactUrl } from '../shared/redact.js';
import { UsageError } from '../shared/errors.js';

interface RestoreFlags {
  toDatabase?: string;
  toRoot?: string;
  baseUrl?: string;
  yes?: boolean;
  json?: boolean;
}

/** The outcome in one line: what went where. */
function describeOutcome(record: BackupRecord, outcome: RestoreOutcome): string {
  const parts: string[] = [];
  if (outcome.tree) parts.push(`${outcome.tree.files} files, ${outcome.tree.dirs} folders, ${outcome.tree.symlinks} symlinks into ${outcome.root}`);
  if (outcome.restored) parts.push(`${outcome.restored.tables} tables, ${outcome.restored.rows} rows into ${outcome.database}`);
  else if (outcome.database) parts.push(`the database ${outcome.database} was not changed (the archive holds none)`);
  if (outcome.baseUrl) parts.push(`base URLs set to ${outcome.baseUrl}`);
  return `restored ${record.file}: ${parts.join('; ')}; the shop was not touched`;
}

export function registerRestore(program: Command): void {
  program
    .command('restore')
    .description('restore a backup into another database (and, for .tgz archives, another folder), atomically, as a rollback does; the shop is not touched')
    .argument('<id>', 'the backup id or archive file name')
    .option('--to-database <url>', 'the database to restore into, e.g. mysql://user:password@127.0.0.1:3306/staging (created if missing; never the shop\'s); a code backup needs none')
    .option('--to-root <dir>', 'the folder to restore the files of a .tgz archive into (created if missing; apart from the shop)')
    .option('--base-url <url>', 'Magento: set web/unsecure/base_url and web/secure/base_url in the copy to this URL (ending with "/")')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, flags: RestoreFlags) => {
      const config = settings();
      const { restoreTo } = await import('../core/restore/restore-to.js');
      const record = await findBoundBackup(config, id, 'restore it');
      const into = [...(flags.toDatabase ? [redactUrl(flags.toDatabase)] : []), ...(flags.toRoot ? [flags.toRoot] : [])].join(' and ');
      if (!into) throw new UsageError('name where to restore: --to-database URL (and --to-root DIR for the files of a file backup; a code backup needs only --to-root)');
      if (!(await confirm(`Replace what ${into} hold with backup ${record.file} from ${localTime(record.time)}?`, flags.yes))) {
        log.info('restore cancelled; nothing was changed');
        process.exitCode = 1;
        return;
      }
      const bar = progressBar(!flags.json);
      const { jobId, outcome } = await withInterrupts((signal) =>
        restoreTo(config, record, {
          toDatabase: flags.toDatabase,
          toRoot: flags.toRoot,
          baseUrl: flags.baseUrl,
          trigger: 'cli',
          signal,
          onProgress: bar.listener,
          onNotice: log.warn,
        }),
      ).finally(() => bar.done());
      if (flags.json) stdio.out(JSON.stringify({ id: record.id, file: record.file, type: record.type, job: jobId, ...outcome }));
      else stdio.out(describeOutcome(record, outcome));
      for (const warning of outcome.warnings) log.warning(warning, { jobId });
    });
}
