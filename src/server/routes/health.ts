// /healthz and /metrics. Health says only that the server is up, to anyone (load balancers, uptime
// checks). Metrics tell the shop's name and its backups' times, sizes and failures: with
// LIFEBOAT_METRICS_TOKEN (metricsToken in the config file) they need "Authorization: Bearer TOKEN", as
// Prometheus' `authorization` setting sends it; without it they answer whoever reaches the server.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StateStore } from '../../state/state.js';
import type { Settings } from '../../config/settings.js';
import { Repository } from '../../repository/repository.js';
import { METRICS_CONTENT_TYPE, renderDrillMetrics, renderMetrics, type BackupTypeMetrics, type DrillMetrics } from '../../core/metrics.js';
import { keptDrills } from '../../core/verify/drill-record.js';
import { shopName } from '../../core/operations.js';
import { redact } from '../../shared/redact.js';
import { HttpError } from '../auth.js';
import type { ServerContext } from '../context.js';
import { sameSecret } from '../same-secret.js';

async function collectMetrics(settings: Settings): Promise<{ backups: BackupTypeMetrics[]; drills: DrillMetrics }> {
  const store = StateStore.open(settings);
  try {
    const kept = await keptDrills(store);
    const seconds = (iso: string | undefined) => (iso ? Date.parse(iso) / 1000 : undefined);
    const drills: DrillMetrics = { lastTime: seconds(kept.last?.finishedAt), lastOk: kept.last?.ok, lastSuccessTime: seconds(kept.lastOk?.finishedAt) };
    // The backup folder only: metrics never wait for a bucket.
    const sizes = new Map((await Repository.open({ backupDir: settings.backupDir }).listFolder()).map((r) => [r.file, r.size]));
    const backups = (await store.backupStats()).map((stat): BackupTypeMetrics => {
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
    return { backups, drills };
  } finally {
    await store.close();
  }
}

/** 401 unless the request carries "Authorization: Bearer <token>" with the configured token. */
function requireMetricsToken(request: FastifyRequest, reply: FastifyReply, token: string): void {
  const given = /^Bearer +(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  if (given !== undefined && sameSecret(given, token)) return;
  reply.header('www-authenticate', 'Bearer realm="lifeboat metrics"');
  throw new HttpError(401, 'send the metrics token as "Authorization: Bearer TOKEN" (LIFEBOAT_METRICS_TOKEN)');
}

export function registerHealthRoutes(app: FastifyInstance, context: ServerContext): void {
  const { settings } = context;
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/metrics', async (request, reply) => {
    if (settings.metricsToken) requireMetricsToken(request, reply, settings.metricsToken);
    reply.type(METRICS_CONTENT_TYPE);
    // Masked like every answer: the shop's name is a setting, and settings may hold a password.
    const { backups, drills } = await collectMetrics(settings);
    const labels = { shop: shopName(settings) };
    return redact(renderMetrics(backups, labels) + renderDrillMetrics(drills, labels));
  });
}
