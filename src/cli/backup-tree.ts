// `lifeboat backup system|media|code`: file-tree archives (.tgz), with the database inside for system
// and media backups, in Magento's names (snapshot, nomedia, media, filesystem_code).
import type { Command } from 'commander';
import { requireDatabase, type Settings } from '../config.js';
import { createTreeBackup } from '../core/backup-tree.js';
import { UsageError } from '../core/errors.js';
import { hasDatabase, type ShopLayout, type TreeType } from '../core/tree-scope.js';
import type { DatabaseTarget } from '../engines/target.js';
import { settings, stdio, withInterrupts } from './context.js';
import { humanBytes, recordJson } from './format.js';
import { progressBar } from './progress.js';

interface TreeFlags {
  name?: string;
  json?: boolean;
  excludeMedia?: boolean;
  level?: string;
}

export function shopLayout(config: Settings): ShopLayout {
  return { root: config.root, backupDir: config.backupDir, home: config.home, exclude: config.exclude };
}

/** The database for a tree type: required when the type includes it; used, when set, to leave an SQLite file out. */
export function treeTarget(config: Settings, type: TreeType): DatabaseTarget | undefined {
  if (hasDatabase(type)) return requireDatabase(config);
  return config.databaseUrl ? requireDatabase(config) : undefined;
}

async function run(type: TreeType, flags: TreeFlags): Promise<void> {
  const level = Number(flags.level ?? '6');
  if (!Number.isInteger(level) || level < 1 || level > 9) throw new UsageError(`--level must be a whole number from 1 to 9, not "${flags.level}"`);
  const config = settings();
  const target = treeTarget(config, type);
  const bar = progressBar(!flags.json);
  const record = await withInterrupts((signal) => createTreeBackup(type, shopLayout(config), target, { name: flags.name, level, onProgress: bar.listener, signal })).finally(() =>
    bar.done(),
  );
  if (flags.json) {
    stdio.out(JSON.stringify(recordJson(record, config.backupDir)));
    return;
  }
  const m = record.manifest;
  const tree = m?.tree;
  const parts = [humanBytes(record.size), `${tree?.files ?? 0} files`, `${tree?.dirs ?? 0} folders`];
  if (m?.dump) parts.push(`${m.tables.length} tables`);
  stdio.out(`backup ${record.id} written: ${record.file} (${parts.join(', ')})`);
  for (const followed of tree?.followedSymlinks ?? []) stdio.err(`note: ${followed.path} is a symlink to ${followed.target}; its contents are in the backup`);
  for (const warning of m?.warnings ?? []) stdio.err(`warning: ${warning}`);
}

export function registerTreeBackups(backup: Command): void {
  const common = (command: Command) =>
    command
      .option('--name <name>', 'a name for the backup (letters, digits and spaces; spaces become _)')
      .option('--level <n>', 'gzip level 1-9 for text (already-compressed media are stored as they are)', '6')
      .option('--json', 'print the new backup as one JSON object');
  common(
    backup
      .command('system')
      .description('the database and the whole shop tree: <backup dir>/<unix time>_snapshot[_<name>].tgz')
      .option('--exclude-media', 'leave out pub/media and media: <unix time>_nomedia[_<name>].tgz'),
  ).action((flags: TreeFlags) => run(flags.excludeMedia ? 'nomedia' : 'snapshot', flags));
  common(backup.command('media').description('the database and pub/media: <backup dir>/<unix time>_media[_<name>].tgz')).action((flags: TreeFlags) =>
    run('media', flags),
  );
  common(backup.command('code').description('the code tree without media, no database: <unix time>_filesystem_code[_<name>].tgz')).action((flags: TreeFlags) =>
    run('filesystem_code', flags),
  );
}
