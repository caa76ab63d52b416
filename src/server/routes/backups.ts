// /api/backups: list, create (a job), download (Range supported), delete, roll back and, for admins,
// restore into another place (the user's password is checked again, as in Magento). Each calls the same core function the CLI calls. With
// off-site storage the list is the backup folder's and the bucket's; a backup only in the bucket is
// downloaded from it (decrypted on the way), deleted from both places and rolled back like in the CLI.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { codecOfFileName } from '../../archive/codec/registry.js';
import { StateStore } from '../../state/state.js';
import type { Settings } from '../../config/settings.js';
import { UsageError } from '../../shared/errors.js';
import { log } from '../../shared/log.js';
import { requireBoundManifest } from '../../repository/manifest-binding.js';
import { isIncrementalFile } from '../../repository/naming.js';
import { Repository } from '../../repository/repository.js';
import { isLocal } from '../../repository/offsite-copy.js';
import { rollBack, takeBackup } from '../../core/operations.js';
import { restoreTo } from '../../core/restore/restore-to.js';
import { recordSummary } from '../../core/record-summary.js';
import { overview } from '../../core/overview.js';
import { loadSchedule } from '../../core/schedule/scheduled.js';
import { keptDrills } from '../../core/verify/drill-record.js';
import { keptVerifies } from '../../core/verify/verify-record.js';
import { verifyAsJob } from '../../core/verify/verify-job.js';
import { interruptedRollbacks } from '../../core/rollback/recover.js';
import { interruptedRestores } from '../../core/restore/restore-journals.js';
import { snapshotDownload } from '../../core/snapshot-source.js';
import { listBackupFolder, normaliseFolder, tablesOf } from '../../core/browse/backup-contents.js';
import { removeDataOfDeleted } from '../../core/incremental-data.js';
import type { BackupRecord, BackupType } from '../../shared/types.js';
import { HttpError } from '../auth.js';
import { field, requirePasswordAgain, type ServerContext } from '../context.js';

async function lookup(repository: Repository, id: string): Promise<BackupRecord> {
  try {
    // A backup in the folder stays reachable while the bucket is down.
    return await repository.find(id, { onStoreUnreachable: () => undefined });
  } catch (error) {
    if (error instanceof UsageError) throw new HttpError(404, `no backup "${id}"`);
    throw error;
  }
}

/**
 * Starts a job in the background and resolves with its id once it runs; rejects when it cannot start
 * (another job holds the lock, bad settings). Its end is reported to `onEnd`, with the job's id.
 */
function startJob<T>(run: (onStart: (jobId: string) => void) => Promise<T>, onEnd: (jobId: string, error: unknown, result?: T) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    let started: string | undefined;
    run((jobId) => {
      started = jobId;
      resolve(jobId);
    }).then(
      (result) => onEnd(started as string, undefined, result),
      (error: unknown) => {
        if (started) onEnd(started, error);
        else reject(error);
      },
    );
  });
}

type AuditJob = (success: boolean | 'cancelled', detail?: string) => Promise<void>;

/**
 * Starts a job on one backup (startJob) and audits it: a refusal to start at once, then its end (succeeded
 * with the backup's `file`; failed or cancelled with its error).
 */
async function startAuditedJob<T>(settings: Settings, file: string, run: (onStart: (jobId: string) => void) => Promise<T>, audit: AuditJob): Promise<string> {
  try {
    return await startJob(run, (id, error) => void (error ? failedOrCancelled(settings, id).then((result) => audit(result, (error as Error).message)) : audit(true, file)).catch(() => undefined));
  } catch (error) {
    await audit(false, (error as Error).message);
    throw error;
  }
}

function jobRecord(settings: Settings, jobId: string) {
  return StateStore.with(settings, (store) => store.getJob(jobId));
}

/**
 * The audit result of a job that threw: 'cancelled' when a user (or a stopping server) cancelled it, as
 * the job's record says; the error alone does not tell (an aborted stream throws its own).
 */
async function failedOrCancelled(settings: Settings, jobId: string): Promise<false | 'cancelled'> {
  return (await jobRecord(settings, jobId))?.state === 'cancelled' ? 'cancelled' : false;
}

/** Parses a single `bytes=` range; undefined for none, 'invalid' when it cannot be satisfied. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'invalid' | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return 'invalid';
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return 'invalid';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return 'invalid';
  return { start, end };
}

function flag(body: unknown, key: string): boolean {
  return field(body, key) === true;
}

/** An optional list of names in the body (`tables`, `paths`): undefined when absent, else strings only. */
function names(body: unknown, key: string): string[] | undefined {
  const value = field(body, key);
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw new HttpError(400, `${key} must be a list of strings`);
  return value as string[];
}

/** A folder page's size: `limit` from the query, at most FOLDER_PAGE_MAX (a folder of 100,000 files comes in pages). */
const FOLDER_PAGE = 200;
const FOLDER_PAGE_MAX = 1000;

function wholeNumber(value: unknown, key: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new HttpError(400, `${key} must be a whole number of 0 or more`);
  return n;
}

export function registerBackupRoutes(app: FastifyInstance, context: ServerContext): void {
  const { settings } = context;
  // One repository for the server's life (the S3 client's connections are reused); each request takes a
  // session of it, which lists the backup folder and the bucket afresh.
  const repository = Repository.open(settings);
  app.addHook('onClose', async () => repository.close());
  const find = (request: FastifyRequest, backups = repository.session()) => lookup(backups, (request.params as { id: string }).id);

  app.get('/api/backups', async (request) => {
    await context.auth(request, 'backup');
    // The CLI's --json shape (with `locations` when off-site storage is set), without server paths.
    // A bucket that cannot be listed does not hide the backup folder: the page shows the warning.
    const warnings: string[] = [];
    const records = await repository.session().list({ onStoreUnreachable: (line) => warnings.push(line) });
    // A rollback that was interrupted and not yet recovered: the shop may be half rolled back.
    const interrupted = await interruptedRollbacks(settings.home);
    // A restore into another place that was interrupted: its copy may be half restored (the shop is not).
    const interruptedRestoreLines = await interruptedRestores(settings.home);
    // Each backup with its last verify (the page's "Verified 2 h ago"), from the page or `lifeboat verify`.
    const verified = (await StateStore.with(settings, keptVerifies)).byBackup;
    const backups = records.map((record) => ({ ...recordSummary(record), ...(verified[record.id] ? { verify: verified[record.id] } : {}) }));
    return { backups, warnings: [...interrupted, ...interruptedRestoreLines, ...warnings], interrupted, interruptedRestores: interruptedRestoreLines };
  });

  // The summary above the grid: freshness against the schedule, space, off-site, the last drill.
  app.get('/api/overview', async (request) => {
    await context.auth(request, 'backup');
    const records = await repository.session().list({ onStoreUnreachable: () => undefined });
    return StateStore.with(settings, async (store) =>
      overview({ records, schedule: await loadSchedule(store), drills: await keptDrills(store), lastVerify: (await keptVerifies(store)).last, backupDir: settings.backupDir, offsiteConfigured: repository.offsiteLocation !== undefined }),
    );
  });

  // Browsing a backup: a database backup's tables (from its manifest), a tree backup's files a folder at a time.
  app.get('/api/backups/:id/tables', async (request) => {
    await context.auth(request, 'backup');
    const record = await find(request);
    return { tables: tablesOf(record), known: record.manifest !== undefined };
  });

  app.get('/api/backups/:id/files', async (request) => {
    await context.auth(request, 'backup');
    const backups = repository.session();
    const record = await find(request, backups);
    requireBoundManifest(record, 'browse it');
    // Each folder would fetch the whole archive from the bucket again: the command line does it once per listing.
    if (!isLocal(record)) throw new HttpError(409, `this backup is only in off-site storage; list its files with "lifeboat list ${record.id} --files FOLDER" on the server, which fetches it`);
    const query = request.query as Record<string, unknown>;
    if (query.folder !== undefined && typeof query.folder !== 'string') throw new HttpError(400, 'folder must be one path');
    const folder = normaliseFolder(query.folder ?? '');
    const offset = wholeNumber(query.offset, 'offset', 0);
    const limit = Math.min(wholeNumber(query.limit, 'limit', FOLDER_PAGE), FOLDER_PAGE_MAX);
    return listBackupFolder(backups, record, folder, { offset, limit });
  });

  app.post('/api/backups', async (request: FastifyRequest, reply) => {
    const session = await context.auth(request, 'backup');
    const kind = field(request.body, 'type');
    const name = field(request.body, 'name') ?? '';
    if (kind !== 'db' && kind !== 'media' && kind !== 'system') throw new HttpError(400, 'type must be db, media or system');
    if (typeof name !== 'string') throw new HttpError(400, 'name must be a string');
    // Tree backups: true or false for this one, absent for the setting (LIFEBOAT_INCREMENTAL).
    const asked = field(request.body, 'incremental');
    if (asked !== undefined && typeof asked !== 'boolean') throw new HttpError(400, 'incremental must be true or false');
    const incremental = asked === undefined || kind === 'db' ? {} : { incremental: asked };
    const type: BackupType = kind === 'system' ? (flag(request.body, 'excludeMedia') ? 'nomedia' : 'system') : kind;
    const strip = field(request.body, 'strip') ?? [];
    if (!Array.isArray(strip) || strip.some((pattern) => typeof pattern !== 'string')) throw new HttpError(400, 'strip must be a list of groups (@customers) or table names');
    const audit = (success: boolean | 'cancelled', backup: string | undefined, detail?: string) => context.audit(request, session, `backup ${type}`, success, backup, detail);
    const auditFailure = async (id: string, error: unknown) => audit(await failedOrCancelled(settings, id), undefined, `${name ? `"${name}": ` : ''}${(error as Error).message}`);
    let jobId: string;
    try {
      jobId = await startJob(
        (onStart) =>
          takeBackup(settings, {
            type,
            name,
            strip: strip as string[],
            anonymize: flag(request.body, 'anonymize'),
            ...incremental,
            maintenance: flag(request.body, 'maintenance'),
            trigger: 'api',
            user: session.user.username,
            onStart,
            onNotice: log.warn,
          }),
        // The job's end is audited after the request was answered: a failed write cannot fail it any more.
        (id, error, done) => void (done ? audit(true, done.record.id, done.record.file) : auditFailure(id, error)).catch(() => undefined),
      );
    } catch (error) {
      await audit(false, undefined, (error as Error).message);
      throw error;
    }
    return reply.code(202).send({ job: await jobRecord(settings, jobId) });
  });

  app.get('/api/backups/:id/download', async (request, reply) => {
    const session = await context.auth(request, 'backup');
    const backups = repository.session();
    const found = await find(request, backups);
    requireBoundManifest(found, 'download it'); // 409: its bytes cannot be checked against a checksum
    if (isIncrementalFile(found.file)) {
      // Made on the fly from the content store: a standard .tgz, whole (its size is known only at the end).
      const made = await snapshotDownload(backups, found);
      reply.header('content-type', made.mediaType).header('content-disposition', `attachment; filename="${made.fileName.replace(/"/g, '')}"`);
      await context.audit(request, session, 'download', true, found.id);
      return reply.header('accept-ranges', 'none').send(made.body);
    }
    const { record, size, open } = await backups.openArchive(found);
    const range = parseRange(request.headers.range, size);
    reply.header('accept-ranges', 'bytes');
    if (range === 'invalid') {
      reply.header('content-range', `bytes */${size}`);
      return reply.code(416).send({ error: `the range does not fit the archive's ${size} bytes` });
    }
    const body = await open(range); // before the headers: a wrong key is a clean error
    reply.header('content-type', codecOfFileName(record.file)?.mediaType ?? 'application/octet-stream');
    reply.header('content-disposition', `attachment; filename="${record.file.replace(/"/g, '')}"`);
    if (record.sha256) reply.header('x-checksum-sha256', record.sha256);
    if (!range || range.start === 0) await context.audit(request, session, 'download', true, record.id);
    if (range) {
      reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`).header('content-length', String(range.end - range.start + 1));
      return reply.send(body);
    }
    reply.header('content-length', String(size));
    return reply.send(body);
  });

  app.delete('/api/backups/:id', async (request, reply) => {
    const session = await context.auth(request, 'backup');
    const backups = repository.session();
    const record = await find(request, backups);
    try {
      await backups.delete(record);
    } catch (error) {
      await context.audit(request, session, 'delete', false, record.id, (error as Error).message);
      throw error;
    }
    await context.audit(request, session, 'delete', true, record.id, record.file);
    await removeDataOfDeleted(settings, [record], log.info, log.warn);
    return reply.code(204).send();
  });

  // Verify: a job (the job lock, progress, the history); its outcome is kept as the backup's last verify.
  app.post('/api/backups/:id/verify', async (request, reply) => {
    const session = await context.auth(request, 'backup');
    const record = await find(request);
    const audit: AuditJob = (success, detail) => context.audit(request, session, 'verify', success, record.id, detail);
    const jobId = await startAuditedJob(settings, record.file, (onStart) => verifyAsJob(settings, record, { trigger: 'api', user: session.user.username, onStart, onNotice: log.warn }), audit);
    return reply.code(202).send({ job: await jobRecord(settings, jobId) });
  });

  app.post('/api/backups/:id/rollback', async (request, reply) => {
    const session = await context.auth(request, 'rollback');
    const record = await find(request);
    await requirePasswordAgain(context, request, session, 'rollback', record.id);
    const tables = names(request.body, 'tables');
    const paths = names(request.body, 'paths');
    const parts = tables?.length ? ` (tables ${tables.join(', ')})` : paths?.length ? ` (paths ${paths.join(', ')})` : '';
    const audit: AuditJob = (success, detail) => context.audit(request, session, 'rollback', success, record.id, detail === undefined ? undefined : `${detail}${parts}`);
    const jobId = await startAuditedJob(
      settings,
      record.file,
      (onStart) =>
        rollBack(settings, record, {
          ...(tables ? { tables } : {}),
          ...(paths ? { paths } : {}),
          maintenance: flag(request.body, 'maintenance'),
          allowStripped: flag(request.body, 'allowStripped'),
          safetyBackup: flag(request.body, 'safetyBackup'),
          trigger: 'api',
          user: session.user.username,
          onStart,
          onNotice: log.warn,
        }),
      audit,
    );
    return reply.code(202).send({ job: await jobRecord(settings, jobId) });
  });

  // A copy for staging: it writes into any database the server reaches, so it is for admins alone.
  app.post('/api/backups/:id/restore-to', async (request, reply) => {
    const session = await context.auth(request, 'admin');
    const record = await find(request);
    await requirePasswordAgain(context, request, session, 'restore', record.id);
    const text = (name: string): string | undefined => {
      const value = field(request.body, name);
      if (value === undefined || value === null || value === '') return undefined;
      if (typeof value !== 'string' || value.length > 2048) throw new HttpError(400, `${name} must be text of up to 2048 characters`);
      return value;
    };
    const toDatabase = text('toDatabase');
    const toRoot = text('toRoot');
    if (!toDatabase && !toRoot) throw new HttpError(400, 'toDatabase is required: the database to restore into, e.g. mysql://user:password@127.0.0.1:3306/staging (a code backup needs only toRoot)');
    const audit: AuditJob = (success, detail) => context.audit(request, session, 'restore', success, record.id, detail);
    const run = (onStart: (jobId: string) => void) => restoreTo(settings, record, { toDatabase, toRoot, baseUrl: text('baseUrl'), trigger: 'api', user: session.user.username, onStart, onNotice: log.warn });
    const jobId = await startAuditedJob(settings, record.file, run, audit);
    return reply.code(202).send({ job: await jobRecord(settings, jobId) });
  });
}
