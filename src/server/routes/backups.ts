// /api/backups: list, create (a job), download (Range supported), delete, roll back (the user's
// password is checked again, as in Magento). Each calls the same core function the CLI calls.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { StateStore } from '../../catalog/state.js';
import { findBackup, listBackups } from '../../core/catalog.js';
import { deleteBackup } from '../../core/delete.js';
import { UsageError } from '../../core/errors.js';
import { rollBack, takeBackup } from '../../core/operations.js';
import { recordSummary } from '../../core/record-summary.js';
import type { BackupRecord, BackupType } from '../../core/types.js';
import { HttpError } from '../auth.js';
import { field, type ServerContext } from '../context.js';


async function lookup(backupDir: string, id: string): Promise<BackupRecord> {
  try {
    return await findBackup(backupDir, id);
  } catch (error) {
    if (error instanceof UsageError) throw new HttpError(404, `no backup "${id}"`);
    throw error;
  }
}

/**
 * Starts a job in the background and resolves with its id once it runs; rejects when it cannot start
 * (another job holds the lock, bad settings). Its end is reported to `onEnd`.
 */
function startJob<T>(run: (onStart: (jobId: string) => void) => Promise<T>, onEnd: (error: unknown, result?: T) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    let started = false;
    run((jobId) => {
      started = true;
      resolve(jobId);
    }).then(
      (result) => onEnd(undefined, result),
      (error: unknown) => {
        if (started) onEnd(error);
        else reject(error);
      },
    );
  });
}

function jobRecord(home: string, jobId: string) {
  const store = StateStore.open(home);
  try {
    return store.getJob(jobId);
  } finally {
    store.close();
  }
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

export function registerBackupRoutes(app: FastifyInstance, context: ServerContext): void {
  const { settings } = context;

  app.get('/api/backups', async (request) => {
    context.auth(request, 'backup');
    return { backups: (await listBackups(settings.backupDir)).map(recordSummary) /* the CLI's --json shape, without server paths */ };
  });

  app.post('/api/backups', async (request: FastifyRequest, reply) => {
    const session = context.auth(request, 'backup');
    const kind = field(request.body, 'type');
    const name = field(request.body, 'name') ?? '';
    if (kind !== 'db' && kind !== 'media' && kind !== 'system') throw new HttpError(400, 'type must be db, media or system');
    if (typeof name !== 'string') throw new HttpError(400, 'name must be a string');
    const type: BackupType = kind === 'system' ? (flag(request.body, 'excludeMedia') ? 'nomedia' : 'snapshot') : kind;
    const audit = (success: boolean, backup: string | undefined, detail?: string) => context.audit(request, session, `backup ${type}`, success, backup, detail);
    let jobId: string;
    try {
      jobId = await startJob(
        (onStart) => takeBackup(settings, { type, name, maintenance: flag(request.body, 'maintenance'), trigger: 'api', onStart }),
        (error, done) => (done ? audit(true, done.record.id, done.record.file) : audit(false, undefined, `${name ? `"${name}": ` : ''}${(error as Error).message}`)),
      );
    } catch (error) {
      audit(false, undefined, (error as Error).message);
      throw error;
    }
    return reply.code(202).send({ job: jobRecord(settings.home, jobId) });
  });

  app.get('/api/backups/:id/download', async (request, reply) => {
    const session = context.auth(request, 'backup');
    const record = await lookup(settings.backupDir, (request.params as { id: string }).id);
    const file = path.join(settings.backupDir, record.file);
    const size = (await stat(file)).size;
    const range = parseRange(request.headers.range, size);
    reply.header('accept-ranges', 'bytes');
    if (range === 'invalid') {
      reply.header('content-range', `bytes */${size}`);
      return reply.code(416).send({ error: `the range does not fit the archive's ${size} bytes` });
    }
    reply.header('content-type', record.file.endsWith('.gz') || record.file.endsWith('.tgz') ? 'application/gzip' : 'application/octet-stream');
    reply.header('content-disposition', `attachment; filename="${record.file.replace(/"/g, '')}"`);
    if (record.sha256) reply.header('x-checksum-sha256', record.sha256);
    if (!range || range.start === 0) context.audit(request, session, 'download', true, record.id);
    if (range) {
      reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`).header('content-length', String(range.end - range.start + 1));
      return reply.send(createReadStream(file, { start: range.start, end: range.end }));
    }
    reply.header('content-length', String(size));
    return reply.send(createReadStream(file));
  });

  app.delete('/api/backups/:id', async (request, reply) => {
    const session = context.auth(request, 'backup');
    const record = await lookup(settings.backupDir, (request.params as { id: string }).id);
    try {
      await deleteBackup(settings.backupDir, record);
    } catch (error) {
      context.audit(request, session, 'delete', false, record.id, (error as Error).message);
      throw error;
    }
    context.audit(request, session, 'delete', true, record.id, record.file);
    return reply.code(204).send();
  });

  app.post('/api/backups/:id/rollback', async (request, reply) => {
    const session = context.auth(request, 'rollback');
    const record = await lookup(settings.backupDir, (request.params as { id: string }).id);
    const password = field(request.body, 'password');
    if (typeof password !== 'string' || !(await context.accounts.authenticate(session.user.username, password))) {
      context.audit(request, session, 'rollback', false, record.id, 'wrong password');
      throw new HttpError(403, 'wrong password');
    }
    const audit = (success: boolean, detail?: string) => context.audit(request, session, 'rollback', success, record.id, detail);
    let jobId: string;
    try {
      jobId = await startJob(
        (onStart) => rollBack(settings, record, { maintenance: flag(request.body, 'maintenance'), trigger: 'api', onStart }),
        (error) => audit(!error, error ? (error as Error).message : record.file),
      );
    } catch (error) {
      audit(false, (error as Error).message);
      throw error;
    }
    return reply.code(202).send({ job: jobRecord(settings.home, jobId) });
  });
}
