// The admin page: static files from src/web (plain HTML, CSS and a vanilla JS client, no build step),
// shipped in the npm package and built into the single executable (shipped-files.ts).
import type { FastifyInstance } from 'fastify';
import { shippedFile } from '../../shared/shipped-files.js';
import type { ServerContext } from '../context.js';

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/grid.js': { file: 'grid.js', type: 'text/javascript; charset=utf-8' },
  '/api.js': { file: 'api.js', type: 'text/javascript; charset=utf-8' },
  '/job-row.js': { file: 'job-row.js', type: 'text/javascript; charset=utf-8' },
  '/labels.js': { file: 'labels.js', type: 'text/javascript; charset=utf-8' },
  '/errors.js': { file: 'errors.js', type: 'text/javascript; charset=utf-8' },
  '/name-rule.js': { file: 'name-rule.js', type: 'text/javascript; charset=utf-8' },
  '/recent-jobs.js': { file: 'recent-jobs.js', type: 'text/javascript; charset=utf-8' },
  '/audit-view.js': { file: 'audit-view.js', type: 'text/javascript; charset=utf-8' },
  '/jobs.js': { file: 'jobs.js', type: 'text/javascript; charset=utf-8' },
  '/users.js': { file: 'users.js', type: 'text/javascript; charset=utf-8' },
  '/settings.js': { file: 'settings.js', type: 'text/javascript; charset=utf-8' },
  '/account-name-rule.js': { file: 'account-name-rule.js', type: 'text/javascript; charset=utf-8' },
  '/live-jobs.js': { file: 'live-jobs.js', type: 'text/javascript; charset=utf-8' },
  '/restore-dialog.js': { file: 'restore-dialog.js', type: 'text/javascript; charset=utf-8' },
  '/glance.js': { file: 'glance.js', type: 'text/javascript; charset=utf-8' },
  '/history.js': { file: 'history.js', type: 'text/javascript; charset=utf-8' },
  '/row-actions.js': { file: 'row-actions.js', type: 'text/javascript; charset=utf-8' },
  '/browse.js': { file: 'browse.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml; charset=utf-8' },
};

export function registerPageRoutes(app: FastifyInstance, context: ServerContext): void {
  for (const [route, { file, type }] of Object.entries(FILES)) {
    app.get(route, async (_request, reply) => {
      let body = await shippedFile(`src/web/${file}`);
      if (file === 'index.html') body = body.replace('<base href="/">', `<base href="${context.settings.basePath}/">`);
      reply.header('content-security-policy', "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
      reply.header('x-content-type-options', 'nosniff');
      return reply.type(type).header('cache-control', 'no-cache').send(body);
    });
  }
}
