// The core operations every entry point calls (CLI, scheduler, guard, web server): a backup or a
// rollback of any type, run as a job (lock, maintenance, progress, log) and followed by notifications.
// Entry points parse and authorize; they hold no backup logic of their own.
import { requireDatabase, type Settings } from '../config/settings.js';
import type { ProgressListener, RestoreResult } from '../engines/engine.js';
import type { DatabaseTarget } from '../engines/target.js';
import path from 'node:path';
import { StateStore } from '../state/state.js';
import { newJobId, reapDeadJobs, runJob, type JobOutcome } from './jobs/jobs.js';
import { clearStaleFlagsOnAll } from './maintenance/roots.js';
import { recoverInterrupted, type RecoveryPlace } from './rollback/recover.js';
import { jobPlacement } from './jobs/lock-db.js';
import { startedBy } from './jobs/started-by.js';
import { requireBoundManifest } from '../repository/manifest-binding.js';
import { filterBackupName, requireBackupName } from '../repository/naming.js';
import { notify, type JobEvent } from './notify/notify.js';
import { effectiveNotify } from './notify/settings.js';
import { isLocal } from '../repository/offsite-copy.js';
import { Repository } from '../repository/repository.js';
import type { TreeRollbackResult } from './rollback/tree.js';
import type { ShopLayout } from './tree-scope.js';
import { UsageError } from '../shared/errors.js';
import { holdsDatabase, type BackupRecord, type BackupType, type CompressionName } from '../shared/types.js';
import { stripRules } from './backup/strip-rules.js';
import { anonymizedColumns } from './backup/anonymize-columns.js';
import { requireStrippedConsent } from './rollback/stripped-consent.js';
import { effectiveIncremental } from './backup/incremental-setting.js';
import { normaliseChosenPaths } from './rollback/chosen-paths.js';
import { startRollbackThreads } from './rollback/threads-ahead.js';

export interface JobOptions {
  /** Put the shop into maintenance mode for the job (restored afterwards, also on failure). */
  maintenance?: boolean;
  /** What started the job: cli, schedule, guard, api. */
  trigger: string;
  /** Who started it: the page's signed-in user; without it, `schedule` or this process's OS user (started-by.ts). */
  user?: string;
  /** Wait behind a running job instead of refusing (the scheduler queues). */
  waitForLock?: boolean;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  onNotice?: (line: string) => void;
  /** Told the job's id when it starts running. */
  onStart?: (jobId: string) => void;
}

export interface BackupRequest extends JobOptions {
  type: BackupType;
  name?: string;
  /** The codec to write with (default: the setting, LIFEBOAT_COMPRESSION, else gzip). */
  compression?: CompressionName;
  level?: number;
  keepDefiners?: boolean;
  /** `--strip` patterns: tables whose rows the dump leaves out (groups such as @customers, or table globs). */
  strip?: string[];
  /** Personal data replaced by consistent fake values (anonymize-columns.ts; MySQL/MariaDB). */
  anonymize?: boolean;
  /** Database dumps: connections reading tables at once. */
  threads?: number;
  /** Tree backups: into the content store (true) or a full archive (false); default: the setting. */
  incremental?: boolean;
}

export interface RollbackRequest extends JobOptions {
  /** Database rollbacks only: restore just these tables. */
  tables?: string[];
  /** Tree rollbacks only: restore just these files and folders (relative to the shop root), not the database. */
  paths?: string[];
  /** The second confirmation a backup taken with `--strip` needs (stripped-consent.ts). */
  allowStripped?: boolean;
  /** First a backup of what the rollback replaces (of the same type), so that the rollback can be undone. */
  safetyBackup?: boolean;
  /** Tree rollbacks: write every file anew instead of keeping the shop's unchanged ones (TreeRollbackOptions.rewriteAll). */
  rewriteAll?: boolean;
}

/** The name of the backup a rollback takes first (RollbackRequest.safetyBackup). */
export const SAFETY_BACKUP_NAME = 'before rollback';

/**
 * Sends the job's end to the configured notification channels (failures always; successes when asked).
 * `fileOf` names the archive, also of a failed job (no result) when the job read a known one.
 */
export function notifier<T>(settings: Settings, kind: 'backup' | 'rollback' | 'restore' | 'verify', type: string, fileOf: (result: T | undefined) => { file?: string; size?: number }, onNotice?: (line: string) => void) {
  return async (outcome: JobOutcome<T>): Promise<void> => {
    if (outcome.state === 'cancelled') return;
    const config = await effectiveNotify(settings); // stored targets, env/config file winning
    if (!config) return;
    const event: JobEvent = {
      shop: shopName(settings),
      jobId: outcome.jobId,
      kind,
      type,
      state: outcome.state,
      ...(outcome.error ? { error: outcome.error } : {}),
      ...fileOf(outcome.result),
      startedAt: outcome.startedAt,
      finishedAt: outcome.finishedAt,
    };
    for (const result of await notify(config, event)) {
      if (!result.ok) onNotice?.(`notification failed: ${result.error}`);
    }
  };
}

/** A job's notices: shown to whoever started it and kept in its log. */
export function noticeAndLog(request: JobOptions, log: (line: string) => void): (line: string) => void {
  return (line) => {
    request.onNotice?.(line);
    log(line);
  };
}

export function shopName(settings: Settings): string {
  return settings.shopName ?? path.basename(settings.root);
}

export function shopLayout(settings: Settings): ShopLayout {
  return { root: settings.root, backupDir: settings.backupDir, home: settings.home, exclude: settings.exclude };
}

/** The database when the type needs one (a usage error naming the setting if missing), else when set. */
export function databaseFor(settings: Settings, needsDatabase: boolean): DatabaseTarget | undefined {
  if (needsDatabase) return requireDatabase(settings);
  // Set but not needed (a code backup): used to leave an SQLite file inside the tree out.
  return settings.databaseUrl ? requireDatabase(settings) : undefined;
}

/** What recovery needs to know about the shop. */
export function recoveryPlace(settings: Settings): RecoveryPlace {
  return { home: settings.home, root: settings.root, backupDir: settings.backupDir, ...(settings.databaseUrl ? { target: requireDatabase(settings) } : {}) };
}

/**
 * `lifeboat recover` (and what prune and serve do first): under the job lock, settles interrupted
 * rollbacks and restores into other places (lines for those that could not be) and removes dead jobs' leftovers, then clears maintenance flags left by dead jobs. Throws the
 * lock's one-line refusal when a job is running.
 */
export async function recoverShop(settings: Settings): Promise<string[]> {
  const { lockTaker, maintenanceRoots } = jobPlacement(settings);
  const lock = await lockTaker(newJobId(), 'recover');
  try {
    const lines = lock.tookOver ? [lock.tookOver] : [];
    lines.push(...(await StateStore.with(settings, (store) => reapDeadJobs(store))));
    // Restores into other places first: one that cannot be settled is told, and the shop's recovery still runs.
    const { settleInterruptedRestores } = await import('./restore/restore-journals.js');
    const restores = await settleInterruptedRestores({ home: settings.home, stateTarget: settings.stateTarget, secretKeyFile: settings.secretKeyFile });
    lines.push(...restores.settled, ...restores.failed);
    lines.push(...(await recoverInterrupted({ ...recoveryPlace(settings), reportStrays: true })));
    lines.push(...(await clearStaleFlagsOnAll(maintenanceRoots)));
    return lines;
  } finally {
    await lock.release();
  }
}

/** A backup job's work (and a rollback's safety backup): the archive, then its off-site copy. */
async function writeBackup(
  settings: Settings,
  request: Omit<BackupRequest, keyof JobOptions>,
  target: DatabaseTarget | undefined,
  { signal, onProgress }: { signal: AbortSignal; onProgress: ProgressListener },
): Promise<BackupRecord> {
  const compression = request.compression ?? settings.compression;
  const strip = request.strip?.length ? stripRules(request.strip, settings.shop?.tablePrefix) : undefined;
  const anonymize = request.anonymize ? anonymizedColumns(settings.anonymize, settings.shop?.tablePrefix) : undefined;
  const options = { name: request.name, compression, level: request.level, keepDefiners: request.keepDefiners, strip, anonymize, threads: request.threads, onProgress, signal };
  const repository = Repository.open(settings);
  try {
    await repository.secret(); // a bad key file fails before the backup
    // Each kind's code is loaded when it runs: a database backup does not load the file archives'.
    const record =
      request.type === 'db'
        ? await (await import('./backup/database.js')).createDatabaseBackup(target as DatabaseTarget, settings.backupDir, options)
        : request.incremental
          ? await (await import('./backup/incremental.js')).createIncrementalBackup(request.type, shopLayout(settings), target, options)
          : await (await import('./backup/tree.js')).createTreeBackup(request.type, shopLayout(settings), target, options);
    // The second target: the backup is complete when the store holds it too. The local copy is kept
    // (also when the upload fails: it is a good backup; the job still fails and says so).
    if (!repository.offsiteLocation) return record;
    await repository.upload(record, { signal, onProgress });
    return { ...record, locations: ['local', 's3'] } satisfies BackupRecord;
  } finally {
    repository.close();
  }
}

/**
 * What every job of the shop shares, from the settings and the request: where its state, lock and
 * maintenance flags are, who started it, and its signal and listeners; and it settles what dead jobs
 * left before it starts.
 */
export function shopJob(settings: Settings, request: JobOptions) {
  return { ...readingJob(settings, request), recover: () => recoverInterrupted(recoveryPlace(settings)) };
}

/**
 * A job that only reads (a verify): shopJob without the recovery first. Settling an interrupted rollback
 * finishes or undoes it in the live shop, and clearing a dead job's maintenance flag puts the shop back
 * online: neither is what someone checking an archive asked for, and a verify needs neither (it reads
 * the backup folder, not the shop). The next job that writes, `lifeboat recover` or `lifeboat serve`'s
 * start settles it; `list` and the page warn meanwhile.
 */
export function readingJob(settings: Settings, request: JobOptions) {
  return {
    home: settings.home,
    stateTarget: settings.stateTarget,
    root: settings.root,
    ...jobPlacement(settings),
    trigger: request.trigger,
    user: startedBy(request.trigger, request.user),
    maintenance: request.maintenance,
    waitForLock: request.waitForLock,
    signal: request.signal,
    onProgress: request.onProgress,
    onNotice: request.onNotice,
    onStart: request.onStart,
  };
}

export async function takeBackup(settings: Settings, request: BackupRequest): Promise<{ jobId: string; record: BackupRecord }> {
  requireBackupName(request.name); // before the job: its description quotes the name
  if (request.strip?.length) {
    if (!holdsDatabase(request.type)) throw new UsageError(`--strip leaves out rows of database tables, and a ${request.type} backup holds no database`);
    stripRules(request.strip); // a wrong group or pattern is refused before the job
  }
  const target = databaseFor(settings, holdsDatabase(request.type));
  if (request.anonymize && target?.kind !== 'mysql') {
    throw new UsageError(`--anonymize works on MySQL and MariaDB databases${target ? '; this shop runs on SQLite: use --strip to leave personal data out' : `, and a ${request.type} backup holds none`}`);
  }
  // The default is the environment's or the config file's, else the Settings page's (incremental-setting.ts).
  const incremental = request.type !== 'db' && (request.incremental ?? (await effectiveIncremental(settings)));
  const { jobId, result } = await runJob({
    ...shopJob(settings, request),
    kind: 'backup',
    type: request.type,
    name: filterBackupName(request.name ?? ''),
    description: `backup ${request.type}${incremental ? ' (incremental)' : ''}${request.name ? ` "${request.name}"` : ''}`,
    summarize: (record: BackupRecord) => ({ backupId: record.id, file: record.file, bytes: record.size }),
    onDone: notifier<BackupRecord>(settings, 'backup', request.type, (record) => (record ? { file: record.file, size: record.size } : {}), request.onNotice),
    work: ({ signal, onProgress }) => writeBackup(settings, { ...request, incremental }, target, { signal, onProgress }),
  });
  return { jobId, record: result };
}

/** Tables are chosen in database backups, paths in tree backups: the other way round is refused before the job. */
function requirePartsOf(record: BackupRecord, tables: string[] | undefined, paths: string[] | undefined): void {
  if (tables?.length && paths) throw new UsageError('choose tables or paths to restore, not both');
  if (tables?.length && record.type !== 'db') throw new UsageError(`--table works with database backups only; ${record.file} is a ${record.type} archive`);
  if (paths && record.type === 'db') throw new UsageError(`--path works with file backups only; ${record.file} is a database backup (restore tables with --table)`);
}

export type RollbackResult = { kind: 'database'; result: RestoreResult } | { kind: 'tree'; result: TreeRollbackResult };

export async function rollBack(
  settings: Settings,
  record: BackupRecord,
  request: RollbackRequest,
): Promise<{ jobId: string; outcome: RollbackResult; safetyBackup?: BackupRecord }> {
  // Before the job: a refusal that starts nothing (the web admin answers it at once).
  requireBoundManifest(record, 'roll it back');
  const paths = request.paths?.length ? normaliseChosenPaths(request.paths) : undefined;
  requirePartsOf(record, request.tables, paths);
  // Chosen files leave the database alone: a stripped backup's tables do not matter then.
  if (!paths) requireStrippedConsent(record, request.tables, request.allowStripped);
  let safety: BackupRecord | undefined;
  const isDatabase = record.type === 'db';
  const target = databaseFor(settings, holdsDatabase(record.type));
  const stopUnusedThreads = startRollbackThreads(record, paths !== undefined);
  const { jobId, result } = await runJob({
    ...shopJob(settings, request),
    kind: 'rollback',
    type: record.type,
    name: record.name,
    description: `rollback ${record.file}${request.tables?.length ? ` (tables ${request.tables.join(', ')})` : ''}${paths ? ` (paths ${paths.join(', ')})` : ''}`,
    file: record.file,
    summarize: () => ({ backupId: record.id, file: record.file, bytes: record.size }),
    onDone: notifier<RollbackResult>(settings, 'rollback', record.type, () => ({ file: record.file }), request.onNotice),
    work: async ({ jobId, signal, onProgress, log }): Promise<RollbackResult> => {
      const journal = { home: settings.home, jobId };
      const onNotice = noticeAndLog(request, log);
      // First, in the same job, a backup of what the rollback replaces: if it fails, nothing is rolled back.
      if (request.safetyBackup) {
        safety = await writeBackup(settings, { type: record.type, name: SAFETY_BACKUP_NAME }, target, { signal, onProgress });
        log(`took backup ${safety.id} of the shop as it was (${safety.file}): roll back to it to undo this rollback`);
      }
      // A backup that is only off-site is fetched first (into the backup folder, removed afterwards).
      const repository = Repository.open(settings);
      try {
        await repository.secret(); // a bad key file fails before anything is read
        // Some tables of a database backup that is only off-site: read just their part of the archive.
        if (isDatabase && request.tables?.length && repository.offsiteLocation && !isLocal(record)) {
          const { rollbackTablesFromStore } = await import('./rollback/offsite.js');
          const restored = await rollbackTablesFromStore(target as DatabaseTarget, repository, record, request.tables, { onProgress, signal, onNotice, journal });
          if (restored) return { kind: 'database', result: restored };
        }
        // Chosen files of a file backup that is only off-site: read each from its place in the bucket's copy.
        if (!isDatabase && paths && repository.offsiteLocation && !isLocal(record)) {
          const { rollbackPathsFromStore } = await import('./rollback/offsite-paths.js');
          const restored = await rollbackPathsFromStore(repository, record, shopLayout(settings), target, paths, { onProgress, signal, onNotice, jobId, cleanUpInBackground: true, rewriteAll: request.rewriteAll });
          if (restored) return { kind: 'tree', result: restored };
        }
        return await repository.withLocalCopy(
          record,
          // `whole`: the record with its whole manifest (a sealed off-site manifest opened with the key).
          async (archiveDir, whole): Promise<RollbackResult> => {
            if (isDatabase) {
              const { rollbackDatabase } = await import('./rollback/database.js');
              return { kind: 'database', result: await rollbackDatabase(target as DatabaseTarget, archiveDir, whole, { tables: request.tables, onProgress, signal, onNotice, journal, cleanUpInBackground: true }) };
            }
            const { rollbackTree } = await import('./rollback/tree.js');
            return { kind: 'tree', result: await rollbackTree(whole, shopLayout(settings), target, { onProgress, signal, archiveDir, onNotice, jobId, cleanUpInBackground: true, rewriteAll: request.rewriteAll, ...(paths ? { paths } : {}) }) };
          },
          { signal, onProgress },
        );
      } finally {
        repository.close();
        await stopUnusedThreads();
      }
    },
  }).catch(async (error: unknown) => {
    await stopUnusedThreads(); // refused before its work began
    throw error;
  });
  return { jobId, outcome: result, ...(safety ? { safetyBackup: safety } : {}) };
}
