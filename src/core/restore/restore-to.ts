// `lifeboat restore ID --to-database URL [--to-root DIR] [--base-url URL]`: a backup loaded into another
// database (and, for file archives, another folder), never the shop's. It is a rollback aimed elsewhere:
// the same checks of the archive, the same staging and atomic swap (the target is wholly as it was or
// wholly the backup's), the same job (lock, progress, `lifeboat jobs`, cancel). Its journal lives apart
// from the rollbacks' (journal.ts, RestoreMark) so that a copy that cannot be settled never stands in the
// way of the shop's own backups and rollbacks.
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import type { Settings } from '../../config/settings.js';
import type { RestoreResult } from '../../engines/engine.js';
import { describeTarget, type DatabaseTarget } from '../../engines/target.js';
import { requireBoundManifest } from '../../repository/manifest-binding.js';
import { Repository } from '../../repository/repository.js';
import { rememberSecret } from '../../shared/redact.js';
import { UsageError } from '../../shared/errors.js';
import { holdsDatabase, type BackupRecord } from '../../shared/types.js';
import type { TreeCounts } from '../../archive/pack-tree.js';
import { runJob } from '../jobs/jobs.js';
import { requireSameEngine } from '../rollback/database.js';
import { baseUrlStatements, checkBaseUrl, configTableOf } from './base-url.js';
import { restoreRoot, restoreTarget } from './restore-place.js';
import { markOf, settleInterruptedRestores } from './restore-journals.js';
import { noticeAndLog, notifier, shopJob, type JobOptions } from '../operations.js';

/** The shop is not touched, so it is never put into maintenance for a restore. */
export interface RestoreRequest extends Omit<JobOptions, 'maintenance'> {
  /** `--to-database`: the database to restore into (created if missing), as a URL; a code backup needs none. */
  toDatabase?: string;
  /** `--to-root`: the folder to restore a file archive into (created if missing). */
  toRoot?: string;
  /** `--base-url`: Magento's base URLs in the copy (checked: http(s), ending with "/"). */
  baseUrl?: string;
}

export interface RestoreOutcome {
  /** The database restored into, without its password (none for a code backup restored without one). */
  database?: string;
  /** The folder restored into, when the archive's files were. */
  root?: string;
  /** The database part, when the backup holds one. */
  restored?: RestoreResult;
  /** The files, when restored into `root`. */
  tree?: TreeCounts;
  /** Whether the base URLs were set. */
  baseUrl?: string;
  warnings: string[];
}

/** A restore checked before any work: where to, and what it will do there. */
interface RestorePlan {
  target?: DatabaseTarget;
  root?: string;
  stagedStatements?: string[];
}

/** Everything that can be refused before the job starts, each in one line. */
async function planRestore(settings: Settings, record: BackupRecord, request: RestoreRequest): Promise<RestorePlan> {
  requireBoundManifest(record, 'restore it');
  const baseUrl = request.baseUrl === undefined ? undefined : checkBaseUrl(request.baseUrl);
  const { requireDatabase } = await import('../../config/settings.js');
  const shop = { root: settings.root, backupDir: settings.backupDir, home: settings.home, ...(settings.databaseUrl ? { target: requireDatabase(settings) } : {}) };
  const target = request.toDatabase === undefined ? undefined : restoreTarget(request.toDatabase, shop);
  if (target?.kind === 'mysql') rememberSecret(target.password);
  if (target) requireSameEngine(record, target, '--to-database');
  else if (holdsDatabase(record.type)) throw new UsageError(`${record.file} holds a database: give --to-database URL, the database to restore it into (created if missing)`);
  else if (baseUrl !== undefined) throw new UsageError(`--base-url sets the base URLs in the copy's database, and ${record.file} holds none: leave --base-url out`);
  const isTree = record.type !== 'db';
  if (!isTree && request.toRoot !== undefined) throw new UsageError(`--to-root restores files, and ${record.file} is a database backup; leave --to-root out`);
  // Without a folder, a file archive gives its database alone; one that holds none would give nothing.
  if (isTree && request.toRoot === undefined && !holdsDatabase(record.type)) {
    throw new UsageError(`${record.file} is a ${record.type} archive without a database: give --to-root DIR, the folder to restore its files into`);
  }
  const root = request.toRoot === undefined ? undefined : await restoreRoot(request.toRoot, shop);
  const stagedStatements = baseUrl === undefined ? undefined : baseUrlStatements(configTableOf(settings.shop, record), baseUrl);
  return { ...(target ? { target } : {}), ...(root ? { root } : {}), ...(stagedStatements ? { stagedStatements } : {}) };
}

/** The folders to make so that `dir` exists, outermost first (none when it does). */
async function missingFolders(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let at = path.resolve(dir); !(await lstat(at).catch(() => undefined)) && path.dirname(at) !== at; at = path.dirname(at)) missing.unshift(at);
  return missing;
}

/** Restores `record` into another place as a job; refuses in one line, before the job, what cannot be done. */
export async function restoreTo(settings: Settings, record: BackupRecord, request: RestoreRequest): Promise<{ jobId: string; outcome: RestoreOutcome }> {
  const plan = await planRestore(settings, record, request);
  const secrets = { home: settings.home, stateTarget: settings.stateTarget, secretKeyFile: settings.secretKeyFile };
  const database = plan.target ? describeTarget(plan.target) : undefined;
  const { jobId, result } = await runJob({
    ...shopJob(settings, request),
    kind: 'restore',
    type: record.type,
    description: `restore ${record.file} into ${[database, plan.root].filter((place) => place !== undefined).join(' and ')}`,
    file: record.file,
    summarize: () => ({ backupId: record.id, file: record.file, bytes: record.size }),
    onDone: notifier<RestoreOutcome>(settings, 'restore', record.type, () => ({ file: record.file }), request.onNotice),
    // What dead jobs left, as every job; then earlier restores, which must be settled before another
    // one may write into a copy they may have left half-swapped.
    recover: async () => {
      const lines = await shopJob(settings, request).recover();
      const { settled, failed } = await settleInterruptedRestores(secrets);
      if (failed.length) throw new UsageError(failed.join('; '));
      return [...lines, ...settled];
    },
    work: async ({ jobId, signal, onProgress, log }): Promise<RestoreOutcome> => {
      const onNotice = noticeAndLog(request, log);
      // "Created if missing": a server makes a missing database itself; an SQLite file needs its folder.
      // The journal records the folders before they are made (RollbackJournal.begin), so that a restore
      // that ends with the target as it was, also after a crash, removes them again.
      const folders = [...(plan.target?.kind === 'sqlite' ? await missingFolders(path.dirname(plan.target.path)) : []), ...(plan.root ? await missingFolders(plan.root) : [])];
      const restore = { ...(plan.target ? await markOf(secrets, plan.target) : {}), ...(folders.length ? { folders } : {}) };
      const repository = Repository.open(settings);
      try {
        await repository.secret(); // a bad key file fails before anything is read
        return await repository.withLocalCopy(
          record,
          async (archiveDir, whole): Promise<RestoreOutcome> => {
            const common = { onProgress, signal, onNotice, stagedStatements: plan.stagedStatements };
            const outcome = { ...(database ? { database } : {}), ...(request.baseUrl && plan.stagedStatements ? { baseUrl: request.baseUrl } : {}) };
            const journal = { home: settings.home, jobId, restore };
            // Without a folder, only a backup that holds a database is restored, and planRestore required one for it.
            if (!plan.root && whole.type === 'db') {
              const { rollbackDatabase } = await import('../rollback/database.js');
              const restored = await rollbackDatabase(plan.target!, archiveDir, whole, { ...common, journal });
              return { ...outcome, restored, warnings: restored.warnings };
            }
            if (!plan.root) {
              onNotice(`${whole.file} is a ${whole.type} archive and no --to-root was given: only its database is restored`);
              const { restoreTreeDump } = await import('./tree-dump.js');
              const restored = await restoreTreeDump(plan.target!, archiveDir, whole, journal, common);
              return { ...outcome, restored, warnings: restored.warnings };
            }
            const { rollbackTree } = await import('../rollback/tree.js');
            const layout = { root: plan.root, backupDir: settings.backupDir, home: settings.home, exclude: settings.exclude };
            const done = await rollbackTree(whole, layout, holdsDatabase(whole.type) ? plan.target : undefined, { ...common, archiveDir, jobId, restore });
            return { ...outcome, root: plan.root, tree: done.tree, ...(done.database ? { restored: done.database } : {}), warnings: [...done.warnings, ...(done.database?.warnings ?? [])] };
          },
          { signal, onProgress },
        );
      } finally {
        repository.close();
      }
    },
  });
  return { jobId, outcome: result };
}
