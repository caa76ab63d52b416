// /api/audit: who created, downloaded, deleted or rolled back what, when, from where, and whether it
// succeeded (also sign-ins and account changes), newest first; for admins.
import type { FastifyInstance } from 'fastify';
import type { AuditEntry } from '../../state/accounts.js';
import { redact } from '../../shared/redact.js';
import type { ServerContext } from '../context.js';

/** Details are masked when written (context.audit); entries of earlier versions may still quote a password. */
function maskDetails(entries: AuditEntry[]): AuditEntry[] {
  return entries.map((entry) => (entry.detail === null ? entry : { ...entry, detail: redact(entry.detail) }));
}

export function registerAuditRoutes(app: FastifyInstance, context: ServerContext): void {
  app.get('/api/audit', async (request) => {
    await context.auth(request, 'admin');
    const limit = Number((request.query as { limit?: string }).limit ?? 200);
    return { entries: maskDetails(await context.accounts.listAudit(Number.isInteger(limit) && limit > 0 && limit <= 1000 ? limit : 200)) };
  });
}
