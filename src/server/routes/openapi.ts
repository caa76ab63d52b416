// GET /api/openapi.json: the API the page uses, as an OpenAPI 3.1 document (written by hand; the
// routes are few). Keep it in step with routes/*.ts: a test checks that every route is listed.
import type { FastifyInstance } from 'fastify';
import { TOOL_VERSION } from '../../shared/version.js';
import type { ServerContext } from '../context.js';

interface Operation {
  summary: string;
  resource?: string;
  body?: Record<string, unknown>;
  responses: Record<string, string>;
}

const obj = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', properties, required });
const str = { type: 'string' };
const bool = { type: 'boolean' };
const AUTH = { '401': 'no session', '403': 'no x-csrf-token header, or the role lacks the resource' };
const AUTH_GET = { '401': 'no session', '403': 'the role lacks the resource' };

export const OPERATIONS: Record<string, Record<string, Operation>> = {
  '/api/session': {
    post: { summary: 'Sign in: sets the session cookie', body: obj({ username: str, password: str }, ['username', 'password']), responses: { '200': '{csrfToken, user, expiresAt}', '400': 'bad body, or username over 64 or password over 1024 characters', '401': 'wrong username or password', '429': 'past the sign-in limits (10 failures of the account from this address, or 100 from this address, within 15 minutes); Retry-After says when to try again' } },
    get: { summary: 'The signed-in user and the CSRF token', responses: { '200': '{csrfToken, user, expiresAt}', '401': 'no session' } },
    delete: { summary: 'Sign out', responses: { '204': 'signed out', ...AUTH } },
  },
  '/api/setup': {
    get: { summary: 'Whether the first admin is still to be created', responses: { '200': '{needed}' } },
    post: { summary: 'Create the first admin with the token lifeboat serve printed', body: obj({ token: str, username: str, password: str }, ['token', 'username', 'password']), responses: { '201': '{user}', '400': 'bad body, password too short, or a field over its limit', '403': 'wrong token, or an admin exists' } },
  },
  '/api/overview': {
    get: { summary: 'The backups at a glance: the last good one and its freshness against the schedule (ok, late, missing, unscheduled), the next run, space used and free, the off-site copy, the last restore drill, the last verify, recent sizes', resource: 'backup', responses: { '200': '{lastBackup, ageSeconds, freshness, schedule, space, offsite, drill, lastVerify, sizes}', ...AUTH_GET } },
  },
  '/api/backups': {
    get: { summary: "All backups, newest first: the backup folder's and, with off-site storage, the bucket's (each with locations: local, s3, and verify: its last verify's outcome)", resource: 'backup', responses: { '200': '{backups}', ...AUTH_GET } },
    post: { summary: 'Start a backup job', resource: 'backup', body: obj({ type: { enum: ['db', 'media', 'system'] }, name: str, maintenance: bool, excludeMedia: bool, strip: { type: 'array', items: str }, anonymize: bool, incremental: bool }, ['type']), responses: { '202': '{job}', '400': 'bad body or settings, or name over 50 characters', '409': 'another job is running', ...AUTH } },
  },
  '/api/backups/{id}/download': {
    get: { summary: 'The archive, byte for byte (Range: bytes=... supported); one only in off-site storage is read from the bucket, decrypted', resource: 'backup', responses: { '200': 'the archive', '206': 'the requested range', '400': 'encrypted off-site and LIFEBOAT_ENCRYPTION_KEY_FILE is not set', '404': 'no such backup', '409': 'the off-site copy cannot be decrypted (wrong key, changed)', '416': 'the range does not fit', ...AUTH_GET } },
  },
  '/api/backups/{id}': {
    delete: { summary: 'Delete the backup: its archive and manifest, from the backup folder and off-site storage', resource: 'backup', responses: { '204': 'deleted', '404': 'no such backup', ...AUTH } },
  },
  '/api/backups/{id}/verify': {
    post: { summary: "Start a verify job: the archive is re-read and checked; the outcome is kept as the backup's last verify (GET /api/backups shows it as verify)", resource: 'backup', responses: { '202': '{job}', '404': 'no such backup', '409': 'another job is running', ...AUTH } },
  },
  '/api/backups/{id}/tables': {
    get: { summary: "A backup's tables from its manifest: name, rows, bytes (of its rows in the dump), stripped; known is false for an archive without a manifest", resource: 'backup', responses: { '200': '{tables, known}', '404': 'no such backup', ...AUTH_GET } },
  },
  '/api/backups/{id}/files': {
    get: { summary: "One folder of a file backup (?folder=app/etc, '' or absent for the top; ?offset=N&limit=N, limit 200 by default, at most 1000): its entries (name, type, size, mtime), folders first, and how many it holds; the archive is read from its start (see the README for times)", resource: 'backup', responses: { '200': '{folder, entries, total, offset}', '400': 'a folder not in the backup, a file, a path with .. ; a database backup; a bad offset or limit', '404': 'no such backup', '409': 'its manifest is not the archive\'s own, or the backup is only in off-site storage', ...AUTH_GET } },
  },
  '/api/backups/{id}/rollback': {
    post: { summary: "Start a rollback job (the current user's password is checked again); a backup only in off-site storage is fetched first. tables (database backups) or paths (file backups, relative to the shop root) restore only those", resource: 'rollback', body: obj({ password: str, maintenance: bool, allowStripped: bool, safetyBackup: bool, tables: { type: 'array', items: str }, paths: { type: 'array', items: str } }, ['password']), responses: { '202': '{job}', '400': 'password over 1024 characters, a backup taken with strip and no allowStripped: true, tables of a file backup or paths of a database backup, a path with .. or absolute', '404': 'no such backup', '409': 'another job is running', ...AUTH, '403': 'wrong password, no x-csrf-token, or no rollback resource', '429': 'past the sign-in limits, which count wrong passwords here too' } },
  },
  '/api/jobs': {
    get: {
      summary: 'The job history, newest first, without logs: a page (?page=N, ?limit=N jobs, at most 100, default 20), narrowed by ?kind= (backup, rollback, verify, drill, restore), ?state= (queued, running, succeeded, failed, cancelled), ?trigger= (api, cli, schedule, guard, demo) and ?user= (who started the job: a username, schedule, cli:<OS user>, or - for jobs that kept none)',
      resource: 'backup',
      responses: { '200': '{jobs, total, page, pages, users}: users is everyone who started a kept job', '400': 'a filter or page that is not one of those listed', ...AUTH_GET },
    },
  },
  '/api/backups/{id}/restore-to': {
    post: { summary: "Start a restore job into another database (and, for a file archive, another folder), as lifeboat restore; the shop is not touched (the current user's password is checked again)", resource: 'admin', body: obj({ password: str, toDatabase: str, toRoot: str, baseUrl: str }, ['password']), responses: { '202': '{job}', '400': 'no toDatabase (a code backup needs only toRoot; any other needs toDatabase), or a target refused in one line: the shop\'s own database or root, a bad URL, a database backup with toRoot, a file archive without it, a malformed baseUrl', '404': 'no such backup', '409': 'another job is running', ...AUTH, '403': 'wrong password, no x-csrf-token, or no admin resource', '429': 'past the sign-in limits, which count wrong passwords here too' } },
  },
  '/api/jobs/{id}': { get: { summary: 'One job: state, progress, log', resource: 'backup', responses: { '200': '{job}', '404': 'no such job', ...AUTH_GET } } },
  '/api/jobs/{id}/cancel': {
    post: { summary: 'Cancel a queued or running job (as lifeboat cancel); waits up to 30 s for it to clean up', resource: 'backup (rollback for rollback jobs, admin for restore jobs)', responses: { '200': '{job} ended (cancelled)', '202': '{job} still stopping', '404': 'no such job', '409': 'the job is not running, or runs on another host (the message names it)', ...AUTH } },
  },
  '/api/jobs/{id}/events': { get: { summary: 'Server-sent events: "job" on every change, "end" when it ends', resource: 'backup', responses: { '200': 'text/event-stream', '404': 'no such job', ...AUTH_GET } } },
  '/api/users': {
    get: { summary: 'Users', resource: 'admin', responses: { '200': '{users}', ...AUTH_GET } },
    post: { summary: 'Add a user (without a role: the least privileged one, operator as shipped)', resource: 'admin', body: obj({ username: str, role: str, password: str }, ['username', 'password']), responses: { '201': '{user}', '400': 'bad body, unknown role, user exists, short password, or a field over its limit (username and role 64, password 1024 characters)', ...AUTH } },
  },
  '/api/users/{name}': {
    patch: { summary: "Change a user's role and/or password", resource: 'admin', body: obj({ role: str, password: str }), responses: { '200': '{user}', '400': 'bad body, or role over 64 or password over 1024 characters', '404': 'no such user', ...AUTH } },
    delete: { summary: 'Remove a user (not the last admin)', resource: 'admin', responses: { '204': 'removed', '400': 'the last admin', '404': 'no such user', ...AUTH } },
  },
  '/api/roles': {
    get: { summary: 'Roles and their resources', resource: 'admin', responses: { '200': '{roles}', ...AUTH_GET } },
    post: { summary: 'Create or change a role (rollback needs backup)', resource: 'admin', body: obj({ name: str, resources: { type: 'array', items: { enum: ['backup', 'rollback', 'admin'] } } }, ['name', 'resources']), responses: { '201': '{role}', '400': 'bad resources (e.g. rollback without backup), or name over 64 characters', ...AUTH } },
  },
  '/api/roles/{name}': { delete: { summary: 'Remove a role without users', resource: 'admin', responses: { '204': 'removed', '400': 'built-in or in use', '404': 'no such role', ...AUTH } } },
  '/api/settings': {
    get: { summary: 'The schedule (as lifeboat schedule show --json), notification targets (secrets masked), whether file backups are incremental by default, and which are fixed by env/config', resource: 'admin', responses: { '200': '{schedule, notify, backups, fixed, machineTimeZone}', ...AUTH_GET } },
    put: {
      summary: 'Change the schedule, notification targets and/or the incremental default (fields not sent keep their value; a masked secret sent back keeps the stored one)',
      resource: 'admin',
      body: obj({
        schedule: obj({ enabled: bool, type: { enum: ['db', 'media', 'system', 'nomedia'] }, frequency: { enum: ['daily', 'weekly', 'monthly'] }, time: str, timezone: str, weekday: { type: 'integer' }, dayOfMonth: { type: 'integer' }, maintenance: bool, retention: { type: ['object', 'null'] }, drill: bool }),
        notify: obj({ webhookUrl: { type: ['string', 'null'] }, smtp: { type: ['object', 'null'] }, onSuccess: bool }),
        backups: obj({ incremental: bool }, ['incremental']),
      }),
      responses: { '200': '{schedule, notify, backups, fixed, machineTimeZone}', '400': 'a bad value, named (e.g. schedule time must be HH:MM), a field over its limit, or a field fixed by env/config', ...AUTH },
    },
  },
  '/api/settings/notify-test': {
    post: { summary: 'Send a test notification to every target in force', resource: 'admin', responses: { '200': '{results: [{channel, ok, error}]}', '400': 'no notification target', ...AUTH } },
  },
  '/api/audit': { get: { summary: 'The audit log, newest first (?limit=N, at most 1000)', resource: 'admin', responses: { '200': '{entries}', ...AUTH_GET } } },
  '/api/openapi.json': { get: { summary: 'This document', responses: { '200': 'OpenAPI 3.1' } } },
  '/healthz': { get: { summary: 'Health: whether the server is up, nothing more', responses: { '200': '{status}' } } },
  '/metrics': {
    get: {
      summary: 'Prometheus metrics: the shop name, backup times, durations, sizes and failures; with LIFEBOAT_METRICS_TOKEN set, only with "Authorization: Bearer TOKEN"',
      responses: { '200': 'text exposition format', '401': 'LIFEBOAT_METRICS_TOKEN is set and the request lacks its bearer token' },
    },
  },
};

export function openApiDocument(basePath: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [route, methods] of Object.entries(OPERATIONS)) {
    paths[route] = {};
    for (const [method, op] of Object.entries(methods)) {
      paths[route][method] = {
        summary: op.summary,
        ...(op.resource ? { 'x-resource': op.resource, security: [{ session: [] }] } : {}),
        ...(route.includes('{') ? { parameters: [...route.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: str })) } : {}),
        ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: op.body } } } } : {}),
        responses: Object.fromEntries(Object.entries(op.responses).map(([code, description]) => [code, { description }])),
      };
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Lifeboat', version: TOOL_VERSION, description: 'State-changing requests need the x-csrf-token header of the session (from POST /api/session).' },
    servers: [{ url: basePath || '/' }],
    components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'lifeboat_session' } } },
    paths,
  };
}

export function registerOpenApiRoute(app: FastifyInstance, context: ServerContext): void {
  app.get('/api/openapi.json', async () => openApiDocument(context.settings.basePath));
}
