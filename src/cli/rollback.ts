// `lifeboat rollback ID`: confirms what will be replaced, then runs the rollback as a job.
import type { Command } from 'commander';
import type { Settings } from '../config/settings.js';
import { UsageError } from '../shared/errors.js';
import { holdsDatabase, type BackupRecord } from '../shared/types.js';
import { describeTarget } from '../engines/target.js';
import { confirm } from './confirm.js';
import { findBoundBackup } from './find-backup.js';
import { localTime } from './format.js';
import { progressBar } from './progress.js';
import { settings, stdio, withInterrupts } from './context.js';
import { log } from '../shared/log.js';

interface RollbackFlags {
  yes?: boolean;
  table?: string[];
  path?: string[];
  json?: boolean;
  maintenance?: boolean;
  allowStripped?: boolean;
  safetyBackup?: boolean;
  rewriteAll?: boolean;
}

const SCOPE_WORDS = { all: 'all files', nomedia: 'all files but pub/media and media', media: 'the files in pub/media and media' };

/** What the rollback will replace, in words, for the confirmation question. */
async function whatIsReplaced(config: Settings, record: BackupRecord, tables: string[] | undefined, paths: string[] | undefined): Promise<string> {
  if (paths?.length) {
    if (record.type === 'db') throw new UsageError(`--path works with file backups only; ${record.file} is a database backup (restore tables with --table)`);
    const { normaliseChosenPaths } = await import('../core/rollback/chosen-paths.js');
    return `${normaliseChosenPaths(paths).join(', ')} in ${config.root} (a folder as a whole: what the backup's folder lacks goes)`;
  }
  const [{ databaseFor }, { scopeOf }] = await Promise.all([import('../core/operations.js'), import('../core/tree-scope.js')]);
  const target = databaseFor(config, holdsDatabase(record.type));
  if (record.type === 'db') {
    if (tables?.length) return `table(s) ${tables.join(', ')} of ${describeTarget(target!)}`;
    return describeTarget(target!);
  }
  if (tables?.length) throw new UsageError(`--table works with database backups only; ${record.file} is a ${record.type} archive`);
  const scope = record.manifest?.tree?.scope ?? scopeOf(record.type);
  const what = [`${SCOPE_WORDS[scope]} of ${config.root} (ignored paths stay as they are)`];
  if (holdsDatabase(record.type) && target) what.push(`the database ${describeTarget(target)}`);
  return what.join(' and ');
}

/**
 * The second question for a backup taken with --strip, asked on a terminal when --allow-stripped was not
 * given; with --yes there is no question, and the rollback refuses unless --allow-stripped was given.
 */
async function confirmStripped(record: BackupRecord, flags: RollbackFlags): Promise<boolean> {
  if (flags.allowStripped || flags.yes) return true;
  const { alteredBy, strippedTablesIn } = await import('../core/rollback/stripped-consent.js');
  const altered = strippedTablesIn(record, flags.table);
  if (altered.length === 0) return true;
  const question = `This backup was taken with ${alteredBy(record)}: ${altered.length} table(s) in it have no rows or fake personal data (${altered.slice(0, 5).join(', ')}${altered.length > 5 ? ', ...' : ''}), and the rollback puts them so into the live shop. Go on?`;
  if (!(await confirm(question, false))) return false;
  flags.allowStripped = true;
  return true;
}

export function registerRollback(program: Command): void {
  program
    .command('rollback')
    .description('restore the database (and, for .tgz archives, the files) from a backup, atomically (verifies the archive first)')
    .argument('<id>', 'the backup id or archive file name')
    .option('--table <name...>', 'restore only these tables (repeatable; database backups)')
    .option('--path <path...>', 'restore only these files or folders, relative to the shop root (repeatable; file backups; the database is left alone)')
    .option('--maintenance', 'put the shop into maintenance mode while the rollback runs (the state before is restored afterwards)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--safety-backup', 'first take a backup of what the rollback replaces (named "before rollback"), so that the rollback can be undone')
    .option('--rewrite-all', 'write every file of a file backup anew (by default the files the shop has exactly as the backup has them are kept, hard-linked, not written again)')
    .option('--allow-stripped', 'roll back to a backup taken with --strip or --anonymize, although it empties or fills with fake data those tables of the live shop')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, flags: RollbackFlags) => {
      const config = settings();
      const { rollBack } = await import('../core/operations.js');
      const record = await findBoundBackup(config, id, 'roll it back');
      const question = `Replace ${await whatIsReplaced(config, record, flags.table, flags.path)} with backup ${record.file} from ${localTime(record.time)}?`;
      if (!(await confirm(question, flags.yes)) || !(await confirmStripped(record, flags))) {
        log.info('rollback cancelled; nothing was changed');
        process.exitCode = 1;
        return;
      }
      const bar = progressBar(!flags.json);
      const { jobId, outcome, safetyBackup } = await withInterrupts((signal) =>
        rollBack(config, record, {
          tables: flags.table,
          paths: flags.path,
          maintenance: flags.maintenance,
          allowStripped: flags.allowStripped,
          safetyBackup: flags.safetyBackup,
          rewriteAll: flags.rewriteAll,
          trigger: 'cli',
          signal,
          onProgress: bar.listener,
          onNotice: log.warn,
        }),
      ).finally(() => bar.done());
      if (flags.json) {
        stdio.out(JSON.stringify({ id: record.id, file: record.file, type: record.type, job: jobId, ...outcome.result, ...(safetyBackup ? { safetyBackup: { id: safetyBackup.id, file: safetyBackup.file } } : {}) }));
      } else if (outcome.kind === 'database') {
        const { tables, objects, rows } = outcome.result;
        const sequences = objects.sequences > 0 ? `, ${objects.sequences} sequence${objects.sequences === 1 ? '' : 's'}` : '';
        stdio.out(`rolled back to ${record.file}: ${tables} tables${sequences}, ${rows} rows restored`);
      } else {
        const { tree, database, reused } = outcome.result;
        const db = database ? `; database: ${database.tables} tables, ${database.rows} rows` : '';
        const what = flags.path?.length ? `restored ${flags.path.join(', ')} from` : 'rolled back to';
        const kept = reused.files > 0 ? ` (${reused.files} of them unchanged in the shop: kept, not written again)` : '';
        stdio.out(`${what} ${record.file}: ${tree.files} files${kept}, ${tree.dirs} folders, ${tree.symlinks} symlinks${db}`);
      }
      if (safetyBackup && !flags.json) stdio.out(`the shop as it was is backup ${safetyBackup.id} (${safetyBackup.file}); to undo this rollback: lifeboat rollback ${safetyBackup.id} --yes`);
      const warnings = outcome.kind === 'database' ? outcome.result.warnings : [...outcome.result.warnings, ...(outcome.result.database?.warnings ?? [])];
      for (const warning of warnings) log.warning(warning, { jobId });
    });
}
