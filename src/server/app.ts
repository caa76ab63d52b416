// The HTTP server of `lifeboat serve`: health and Prometheus metrics, the JSON API (one module per
// resource under routes/) and the admin page, all under the configured base path.
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { AccountStore } from '../state/accounts.js';
import { SignInFailureStore } from '../state/signin-failures.js';
import type { Settings } from '../config/settings.js';
import { OperationError, UsageError } from '../shared/errors.js';
import { redact } from '../shared/redact.js';
import { HttpError } from './auth.js';
import { createContext } from './context.js';
import { warnOfUntrustedProxy } from './proxy-warning.js';
import { logRequests } from './request-log.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerBackupRoutes } from './routes/backups.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerJobRoutes } from './routes/jobs.js';
import { registerOpenApiRoute } from './routes/openapi.js';
import { registerPageRoutes } from './routes/page.js';
import { registerRoleRoutes } from './routes/roles.js';
import { registerSessionRoutes } from './routes/session.js';
import { registerSettingsRoutes } from './routes/settings.js';
import { registerSetupRoutes } from './routes/setup.js';
import { registerUserRoutes } from './routes/users.js';
import { SignInLimiter, TooManyFailures } from './signin-limit.js';

/**
 * JSON bodies as fastify parses them, except that an empty body is no body: clients and scripts send
 * content-type: application/json on every call, also on a DELETE or a POST that has none, which fastify
 * answers 400 "Body cannot be empty". A body that is there must still be valid JSON.
 */
function acceptEmptyJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body.length === 0) done(null, undefined);
    else parseJson(request, body.toString(), done);
  });
}

function errorStatus(error: FastifyError | Error): number {
  if (error instanceof HttpError) return error.statusCode;
  if (error instanceof UsageError) return 400;
  if (error instanceof OperationError) return 409;
  return 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
}

export interface AppOptions {
  /** The one-time first-run token (only while no user exists). */
  setupToken?: string;
  /** Prints a warning for whoever runs the server. */
  warn?: (line: string) => void;
}

export function buildApp(settings: Settings, options: AppOptions = {}): FastifyInstance {
  const trust = settings.trustProxy;
  // A hop count trusts that many proxies in front of the server.
  const trustProxy = typeof trust === 'number' ? (_address: string, hop: number) => hop < trust : trust;
  // Open event streams must not keep a stopping server alive.
  const app = Fastify({ logger: false, forceCloseConnections: true, ...(trustProxy !== undefined ? { trustProxy } : {}) });
  if (trustProxy === undefined && options.warn) warnOfUntrustedProxy(app, options.warn);
  logRequests(app);
  // Held for the server's life: with LIFEBOAT_STATE_URL it keeps the connection pool that the
  // stores opened per request share.
  const accounts = AccountStore.open(settings);
  const signInFailures = SignInFailureStore.open(settings);
  app.addHook('onClose', async () => {
    await accounts.close();
    await signInFailures.close();
  });
  acceptEmptyJsonBodies(app);
  const context = createContext(settings, accounts, new SignInLimiter(signInFailures), options.setupToken);
  // Every error answer is masked: it may quote a setting or a library's message with a password in it.
  app.setErrorHandler((error: FastifyError | Error, _request, reply) => {
    if (error instanceof TooManyFailures) reply.header('retry-after', String(error.retryAfterSeconds));
    return reply.code(errorStatus(error)).send({ error: redact(error.message) });
  });
  app.register(
    async (scoped) => {
      registerHealthRoutes(scoped, context);
      registerSessionRoutes(scoped, context);
      registerSetupRoutes(scoped, context);
      registerBackupRoutes(scoped, context);
      registerJobRoutes(scoped, context);
      registerUserRoutes(scoped, context);
      registerRoleRoutes(scoped, context);
      registerAuditRoutes(scoped, context);
      registerSettingsRoutes(scoped, context);
      registerOpenApiRoute(scoped, context);
      registerPageRoutes(scoped, context);
    },
    { prefix: settings.basePath },
  );
  return app;
}
