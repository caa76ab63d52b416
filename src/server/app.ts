// The HTTP server of `lifeboat serve`. For now: health and Prometheus metrics; the web admin and its
// API build on this app.
import Fastify, { type FastifyInstance } from 'fastify';
import { StateStore } from '../catalog/state.js';
import type { Settings } from '../config.js';
import { listBackups } from '../core/catalog.js';
import { METRICS_CONTENT_TYPE, renderMetrics, type BackupTypeMetrics } from '../core/metrics.js';
import { shopName } from '../core/operations.js';
import { TOOL_VERSION } from '../core/version.js';

async function collectMetrics(settings: Settings): Promise<BackupTypeMetrics[]> {
  const store = StateStore.open(settings.home);
  try {
    const sizes = new Map((await listBackups(settings.backupDir)).map((r) => [r.file, r.size]));
    return store.backupStats().map((stat): BackupTypeMetrics => {
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
    store.close();
  }
}

export function buildApp(settings: Settings): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/healthz', async () => ({ status: 'ok', version: TOOL_VERSION, shop: shopName(settings) }));
  app.get('/metrics', async (_request, reply) => {
    reply.type(METRICS_CONTENT_TYPE);
    return renderMetrics(await collectMetrics(settings), { shop: shopName(settings) });
  });
  return app;
}
