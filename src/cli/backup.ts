// `lifeboat backup db|system|media|code`: every type runs as a job through the same core operation.
import type { Command } from 'commander';
import { DEFAULT_DUMP_THREADS, MAX_DUMP_THREADS } from '../core/backup/dump-threads.js';
import { UsageError } from '../shared/errors.js';
import { COMPRESSIONS, type BackupRecord, type BackupType, type CompressionName } from '../shared/types.js';
import { humanBytes, recordJson } from './format.js';
import { progressBar } from './progress.js';
import { settings, stdio, withInterrupts } from './context.js';
import { log } from '../shared/log.js';

interface BackupFlags {
  name?: string;
  json?: boolean;
  keepDefiners?: boolean;
  compression?: string;
  level?: string;
  threads?: string;
  maintenance?: boolean;
  excludeMedia?: boolean;
  strip?: string[];
  anonymize?: boolean;
  incremental?: boolean;
  full?: boolean;
}

function describe(record: BackupRecord): string {
  const m = record.manifest;
  const added = m?.incremental;
  const parts = added ? [`${humanBytes(added.addedBytes)} added, holds ${humanBytes(added.treeBytes)}`, `${added.unchangedFiles} files unchanged`] : [humanBytes(record.size)];
  if (m?.tree) parts.push(`${m.tree.files} files`, `${m.tree.dirs} folders`);
  if (record.type === 'db' || m?.dump) parts.push(`${m?.tables.length ?? 0} tables`);
  return `backup ${record.id} written: ${record.file} (${parts.join(', ')})`;
}

async function runBackup(type: BackupType, flags: BackupFlags): Promise<void> {
  const asked = flags.compression;
  if (asked !== undefined && !COMPRESSIONS.some((name) => name === asked)) {
    throw new UsageError(`--compression must be ${COMPRESSIONS.map((name) => `"${name}"`).join(' or ')}, not "${asked}"`);
  }
  const config = settings();
  const compression = (asked as CompressionName | undefined) ?? config.compression;
  const [{ takeBackup }, { codecNamed, DEFAULT_CODEC }] = await Promise.all([import('../core/operations.js'), import('../archive/codec/registry.js')]);
  const codec = compression ? codecNamed(compression) : DEFAULT_CODEC;
  const level = flags.level === undefined ? undefined : Number(flags.level);
  if (level !== undefined && (!Number.isInteger(level) || level < 1 || level > codec.levels.max)) {
    throw new UsageError(`--level must be a whole number from 1 to ${codec.levels.max} for ${codec.name}, not "${flags.level}"`);
  }
  if (flags.incremental && flags.full) throw new UsageError('--incremental and --full exclude each other; give one');
  const incremental = flags.incremental ? true : flags.full ? false : undefined;
  const threads = flags.threads === undefined ? undefined : Number(flags.threads);
  if (threads !== undefined && (!/^\d+$/.test(flags.threads ?? '') || threads < 1 || threads > MAX_DUMP_THREADS)) {
    throw new UsageError(`--threads must be a whole number from 1 to ${MAX_DUMP_THREADS}, not "${flags.threads}"`);
  }
  const bar = progressBar(!flags.json);
  const { jobId, record } = await withInterrupts((signal) =>
    takeBackup(config, {
      type,
      name: flags.name,
      compression,
      level,
      threads,
      keepDefiners: flags.keepDefiners,
      ...(flags.strip?.length ? { strip: flags.strip } : {}),
      ...(flags.anonymize ? { anonymize: true } : {}),
      incremental,
      maintenance: flags.maintenance,
      trigger: 'cli',
      signal,
      onProgress: bar.listener,
      onNotice: log.warn,
    }),
  ).finally(() => bar.done());
  if (flags.json) {
    stdio.out(JSON.stringify(recordJson(record, config.backupDir)));
    return;
  }
  stdio.out(describe(record));
  for (const followed of record.manifest?.tree?.followedSymlinks ?? []) {
    log.info(`note: ${followed.path} is a symlink to ${followed.target}; its contents are in the backup`, { jobId });
  }
  for (const warning of record.manifest?.warnings ?? []) log.warning(warning, { jobId });
}

/** `--strip` may be given several times, and each may hold several patterns separated by spaces or commas. */
function collectPatterns(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(/[\s,]+/).filter(Boolean)];
}

/** The database backups' `--strip` and `--anonymize`. */
function withPersonalData(command: Command, part = ''): Command {
  return command
    .option(
      '--strip <pattern>',
      `leave out the rows of these tables${part} (structure and triggers stay): a group such as @customers, @sales, @trade, @development, @stripped, or a table name with * and ? (repeatable; see the README)`,
      collectPatterns,
    )
    .option('--anonymize', `replace customers' names, e-mail addresses, street addresses, phone numbers and IP addresses${part} with consistent fake ones (MySQL/MariaDB)`);
}

/** The options every backup type takes. */
function common(command: Command, levelHelp: string): Command {
  return command
    .option('--name <name>', 'a name for the backup (letters, digits and spaces; spaces become _)')
    .option('--maintenance', 'put the shop into maintenance mode while the backup runs (the state before is restored afterwards)')
    .option('--compression <name>', 'gzip (.sql.gz, .tgz) or zstd (.sql.zst, .tar.zst); default: LIFEBOAT_COMPRESSION, else gzip')
    .option('--level <n>', levelHelp)
    .option('--json', 'print the new backup as one JSON object');
}

export function registerBackup(program: Command): void {
  const backup = program.command('backup').description('take a backup: db, system, media or code (see "lifeboat backup db --help")');
  common(
    withPersonalData(backup.command('db').description('dump the database into <backup dir>/<unix time>_db[_<name>].sql.gz (.sql.zst with zstd)')),
    'compression level: gzip 1-9 (default 4: about 4% larger than gzip -6), zstd 1-19 (default 3)',
  )
    .option('--keep-definers', 'keep DEFINER clauses of views, triggers and routines (default: strip them)')
    .option('--threads <n>', `connections reading tables at once, sharing one snapshot (default ${DEFAULT_DUMP_THREADS}; MariaDB only, else 1)`)
    .action((flags: BackupFlags) => runBackup('db', flags));
  const textLevel = 'compression level for text: gzip 1-9 (default 4), zstd 1-19 (default 3); already-compressed media are stored as they are';
  const tree = (command: Command, withDatabase: boolean) =>
    common(withDatabase ? withPersonalData(command, ' in the database part') : command, textLevel)
      .option('--incremental', 'store the tree in the backup folder\'s content store, deduplicated: only what changed since the last one is written (<unix time>_<type>[_<name>].incremental.json)')
      .option('--full', 'write a full archive even when LIFEBOAT_INCREMENTAL is set');
  tree(
    backup
      .command('system')
      .description('the database and the whole shop tree: <backup dir>/<unix time>_snapshot[_<name>].tgz (.tar.zst with zstd)')
      .option('--exclude-media', 'leave out pub/media and media: <unix time>_nomedia[_<name>].tgz'),
    true,
  ).action((flags: BackupFlags) => runBackup(flags.excludeMedia ? 'nomedia' : 'system', flags));
  tree(backup.command('media').description('the database and pub/media: <backup dir>/<unix time>_media[_<name>].tgz'), true).action((flags: BackupFlags) => runBackup('media', flags));
  tree(backup.command('code').description('the code tree without media, no database: <unix time>_filesystem_code[_<name>].tgz'), false).action((flags: BackupFlags) =>
    runBackup('code', flags),
  );
}
