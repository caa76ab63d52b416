// The HTTP server of `lifeboat serve`: health and Prometheus metrics, the JSON API (one module per
// resource under routes/) and the admin page, all under the configured base path.
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { AccountStore } from '../catalog/accounts.js';
import { StateStore } from '../catalog/state.js';
import type { Settings } from '../config.js';
import { listBackups } from '../core/catalog.js';
import { OperationError, UsageError } from '../core/errors.js';
import { METRICS_CONTENT_TYPE, renderMetrics, type BackupTypeMetrics } from '../core/metrics.js';
import { shopName } from '../core/operations.js';
import { redact } from '../core/redact.js';
import { TOOL_VERSION } from '../core/version.js';
import { HttpError, LoginLimiter } from './auth.js';
import { createContext } from './context.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerBackupRoutes } from './routes/backups.js';
import { registerJobRoutes } from './routes/jobs.js';
import { registerOpenApiRoute } from './routes/openapi.js';
import { registerPageRoutes } from './routes/page.js';
import { registerRoleRoutes } from './routes/roles.js';
import { registerSessionRoutes } from './routes/session.js';
import { registerSettingsRoutes } from './routes/settings.js';
import { registerSetupRoutes } from './routes/setup.js';
import { registerUserRoutes } from './routes/users.js';

async function collectMetrics(settings: Settings): Promise<BackupTypeMetrics[]> {
  const store = StateStore.open(settings);
  try {
    const sizes = new Map((await listBackups(settings.backupDir)).map((r) => [r.file, r.size]));
    return (await store.backupStats()).map((stat): BackupTypeMetrics => {
      const last = stat.lastSuccess;
      const ended = last?.endedAt ? Date.parse(last.endedAt) : undefined;
      const started = last?.startedAt ? Date.parse(last.startedAt) : undefined;
      const size = last?.file ? sizes.get(last.file) : undefined;
      return {
        type: stat.type,
        failuresTotal: stat.failures,
        ...(ended ? { lastSuccessTime: ended / 1000 } : {}),
        ...(ended && started ? { lastDurationSeconds: (ended - started) / 1000 } : {}),
        ...(size !== undefined ? { lastSizeBytes: size } : {}),
      };
    });
  } finally {
    await store.close();
  }
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
}

export function buildApp(settings: Settings, options: AppOptions = {}): FastifyInstance {
  const trust = settings.trustProxy;
  // A hop count trusts that many proxies in front of the server.
  const trustProxy = typeof trust === 'number' ? (_address: string, hop: number) => hop < trust : trust;
  // Open event streams must not keep a stopping server alive.
  const app = Fastify({ logger: false, forceCloseConnections: true, ...(trustProxy !== undefined ? { trustProxy } : {}) });
  // Held for the server's life: with LIFEBOAT_STATE_URL it keeps the connection pool that the
  // stores opened per request share.
  const accounts = AccountStore.open(settings);
  app.addHook('onClose', async () => accounts.close());
  const context = createContext(settings, accounts, new LoginLimiter(), options.setupToken);
  // Every error answer is masked: it may quote a setting or a library's message with a password in it.
  app.setErrorHandler((error: FastifyError | Error, _request, reply) => reply.code(errorStatus(error)).send({ error: redact(error.message) }));
  app.register(
    async (scoped) => {
      scoped.get('/healthz', async () => ({ status: 'ok', version: TOOL_VERSION, shop: shopName(settings) }));
      scoped.get('/metrics', async (_request, reply) => {
        reply.type(METRICS_CONTENT_TYPE);
        return redact(renderMetrics(await collectMetrics(settings), { shop: shopName(settings) }));
      });
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
