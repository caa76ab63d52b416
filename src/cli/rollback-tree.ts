// `lifeboat rollback ID` for file-tree archives: confirms what will be replaced, then runs the
// atomic tree (and database) rollback.
import type { Settings } from '../config.js';
import { UsageError } from '../core/errors.js';
import { rollbackTree } from '../core/rollback-tree.js';
import { hasDatabase, scopeOf, type TreeType } from '../core/tree-scope.js';
import type { BackupRecord } from '../core/types.js';
import { describeTarget } from '../engines/target.js';
import { shopLayout, treeTarget } from './backup-tree.js';
import { confirm } from './confirm.js';
import { localTime } from './format.js';
import { progressBar } from './progress.js';
import { stdio, withInterrupts } from './context.js';

const SCOPE_WORDS = { all: 'all files', nomedia: 'all files but pub/media and media', media: 'the files in pub/media and media' };

export async function rollbackTreeCommand(config: Settings, record: BackupRecord, flags: { yes?: boolean; json?: boolean; table?: string[] }): Promise<void> {
  if (flags.table?.length) throw new UsageError(`--table works with database backups only; ${record.file} is a ${record.type} archive`);
  const type = record.type as TreeType;
  const target = treeTarget(config, type);
  const scope = record.manifest?.tree?.scope ?? scopeOf(type);
  const what = [`${SCOPE_WORDS[scope]} of ${config.root} (ignored paths stay as they are)`];
  if (hasDatabase(type) && target) what.push(`the database ${describeTarget(target)}`);
  if (!(await confirm(`Replace ${what.join(' and ')} with backup ${record.file} from ${localTime(record.time)}?`, flags.yes))) {
    stdio.err('rollback cancelled; nothing was changed');
    process.exitCode = 1;
    return;
  }
  const bar = progressBar(!flags.json);
  const result = await withInterrupts((signal) => rollbackTree(record, shopLayout(config), target, { onProgress: bar.listener, signal })).finally(() => bar.done());
  if (flags.json) stdio.out(JSON.stringify({ id: record.id, file: record.file, type: record.type, ...result }));
  else {
    const t = result.tree;
    const db = result.database ? `; database: ${result.database.tables} tables, ${result.database.rows} rows` : '';
    stdio.out(`rolled back to ${record.file}: ${t.files} files, ${t.dirs} folders, ${t.symlinks} symlinks${db}`);
  }
  for (const warning of [...result.warnings, ...(result.database?.warnings ?? [])]) stdio.err(`warning: ${warning}`);
}
