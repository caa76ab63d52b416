// The admin page: static files from src/web (plain HTML, CSS and a vanilla JS client, no build step),
// found from both src/server/routes (tests) and dist/server/routes (the installed command).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';

export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src/web');

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/grid.js': { file: 'grid.js', type: 'text/javascript; charset=utf-8' },
  '/api.js': { file: 'api.js', type: 'text/javascript; charset=utf-8' },
  '/job-row.js': { file: 'job-row.js', type: 'text/javascript; charset=utf-8' },
  '/jobs.js': { file: 'jobs.js', type: 'text/javascript; charset=utf-8' },
  '/users.js': { file: 'users.js', type: 'text/javascript; charset=utf-8' },
  '/settings.js': { file: 'settings.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

export function registerPageRoutes(app: FastifyInstance, context: ServerContext): void {
  for (const [route, { file, type }] of Object.entries(FILES)) {
    app.get(route, async (_request, reply) => {
      let body = await readFile(path.join(WEB_DIR, file), 'utf8');
      if (file === 'index.html') body = body.replace('<base href="/">', `<base href="${context.settings.basePath}/">`);
      reply.header('content-security-policy', "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
      reply.header('x-content-type-options', 'nosniff');
      return reply.type(type).header('cache-control', 'no-cache').send(body);
    });
  }
}
