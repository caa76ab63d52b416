import type { Command } from 'commander';
import { humanBytes, localTime, recordJson, renderTable } from './format.js';
import { incrementalOf } from '../core/record-summary.js';
import { settings, stdio } from './context.js';
import { log } from '../shared/log.js';
import type { BackupRecord } from '../shared/types.js';
import { UsageError } from '../shared/errors.js';

const TYPE_LABELS: Record<string, string> = {
  db: 'Database',
  media: 'Database and Media',
  system: 'System',
  nomedia: 'System (no media)',
  code: 'Code',
};

/** An incremental backup's size is what it added to the content store, and the tree it holds. */
function sizeCell(record: BackupRecord): string {
  const added = incrementalOf(record);
  return added ? `+${humanBytes(added.addedBytes)} of ${humanBytes(added.treeBytes)}` : humanBytes(record.size);
}

/** `lifeboat list ID`: a database backup's tables, or one folder of a tree backup (the top one unless --files names another). */
async function listContents(id: string, flags: { json?: boolean; files?: string | true }): Promise<void> {
  const config = settings();
  const [{ Repository }, { listBackupFolder, normaliseFolder, tablesOf }] = await Promise.all([import('../repository/repository.js'), import('../core/browse/backup-contents.js')]);
  const repository = Repository.open(config);
  try {
    const record = await repository.find(id, { onStoreUnreachable: log.warning });
    if (record.type === 'db') {
      if (flags.files !== undefined) throw new UsageError(`${record.file} is a database backup: it holds tables, not files; list them with "lifeboat list ${id}"`);
      const tables = tablesOf(record);
      if (flags.json) stdio.out(JSON.stringify(tables, null, 2));
      else if (!record.manifest) stdio.out(`${record.file} has no manifest, so its tables are not known without reading the whole dump`);
      else stdio.out(renderTable(['TABLE', 'ROWS', 'SIZE'], tables.map((t) => [t.name, String(t.rows), `${humanBytes(t.bytes)}${t.stripped ? ' (stripped)' : ''}`])));
      return;
    }
    const folder = normaliseFolder(typeof flags.files === 'string' ? flags.files : '', '--files');
    const page = await listBackupFolder(repository, record, folder);
    if (flags.json) {
      stdio.out(JSON.stringify(page, null, 2));
      return;
    }
    const rows = page.entries.map((e) => [e.type === 'dir' ? 'folder' : e.type, humanBytes(e.size), e.mtime ? localTime(Date.parse(e.mtime) / 1000) : '-', e.type === 'dir' ? `${e.name}/` : e.name]);
    stdio.out(rows.length ? renderTable(['TYPE', 'SIZE', 'MODIFIED', `NAME (in ${folder || 'the shop root'})`], rows) : `${folder || 'the shop root'} is empty in ${record.file}`);
  } finally {
    repository.close();
  }
}

export function registerList(program: Command): void {
  program
    .command('list')
    .description('list the backups in the backup folder (and in off-site storage when configured), newest first; with an ID, what that backup holds')
    .argument('[id]', "a backup's id or file name: list its tables (database backups) or its files, one folder at a time")
    .option('--files [folder]', "with an ID: the files in this folder of the backup (relative to the shop root; default: the top folder)")
    .option('--json', 'print an array of JSON objects')
    .action(async (id: string | undefined, flags: { json?: boolean; files?: string | true }) => {
      if (id !== undefined) return listContents(id, flags);
      if (flags.files !== undefined) throw new UsageError('--files needs a backup: lifeboat list ID --files [FOLDER]');
      const config = settings();
      const [{ manifestRemedy }, { whereLabel }, { Repository }, { interruptedRollbacks }, { interruptedRestores }] = await Promise.all([
        import('../repository/manifest-binding.js'),
        import('../repository/offsite-catalog.js'),
        import('../repository/repository.js'),
        import('../core/rollback/recover.js'),
        import('../core/restore/restore-journals.js'),
      ]);
      const repository = Repository.open(config);
      const offsite = repository.offsiteLocation !== undefined;
      const records = await repository.list({ onStoreUnreachable: log.warning }).finally(() => repository.close());
      for (const line of [...(await interruptedRollbacks(config.home)), ...(await interruptedRestores(config.home))]) log.warning(line);
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
