import type { Command } from 'commander';
import { humanBytes, localTime, recordJson, renderTable } from './format.js';
import { settings, stdio } from './context.js';
import { log } from '../shared/log.js';
import type { BackupRecord } from '../shared/types.js';

const TYPE_LABELS: Record<string, string> = {
  db: 'Database',
  media: 'Database and Media',
  system: 'System',
  nomedia: 'System (no media)',
  code: 'Code',
};

/** An incremental backup's size is what it added to the content store, and the tree it holds. */
function sizeCell(record: BackupRecord): string {
  const added = record.manifest?.incremental;
  return added ? `+${humanBytes(added.addedBytes)} of ${humanBytes(added.treeBytes)}` : humanBytes(record.size);
}

export function registerList(program: Command): void {
  program
    .command('list')
    .description('list the backups in the backup folder (and in off-site storage when configured), newest first')
    .option('--json', 'print an array of JSON objects')
    .action(async (flags: { json?: boolean }) => {
      const config = settings();
      const [{ manifestRemedy }, { whereLabel }, { Repository }, { interruptedRollbacks }] = await Promise.all([
        import('../repository/manifest-binding.js'),
        import('../repository/offsite-catalog.js'),
        import('../repository/repository.js'),
        import('../core/rollback/recover.js'),
      ]);
      const repository = Repository.open(config);
      const offsite = repository.offsiteLocation !== undefined;
      const records = await repository.list({ onStoreUnreachable: log.warning }).finally(() => repository.close());
      for (const line of await interruptedRollbacks(config.home)) log.warning(line);
      if (flags.json) {
        stdio.out(JSON.stringify(records.map((r) => recordJson(r, config.backupDir)), null, 2));
        return;
      }
      if (records.length === 0) {
        stdio.out(`no backups in ${config.backupDir} yet; take one with "lifeboat backup db"`);
        return;
      }
      const rows = records.map((r) => [
        r.origin === 'lifeboat' ? r.id : '-',
        localTime(r.time),
        r.name || '-',
        sizeCell(r),
        `${TYPE_LABELS[r.type] ?? r.type}${r.manifest?.strip ? ' (stripped)' : ''}${r.manifest?.anonymized ? ' (anonymized)' : ''}`,
        r.file,
        ...(offsite ? [whereLabel(r)] : []),
      ]);
      stdio.out(renderTable(['ID', 'TIME', 'NAME', 'SIZE', 'TYPE', 'FILE', ...(offsite ? ['WHERE'] : [])], rows));
      // After the table, where they are seen: the archives that nothing will use until this is fixed.
      for (const r of records) if (r.problem) log.warning(`${r.file}: ${r.problem}; ${manifestRemedy(r)}`);
    });
}
