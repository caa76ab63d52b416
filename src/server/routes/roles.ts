// /api/roles: roles and their resources (backup, rollback, admin), for admins. A role with rollback
// must have backup: saving one without it answers 400 with that reason.
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../auth.js';
import { field, type ServerContext } from '../context.js';

export function registerRoleRoutes(app: FastifyInstance, context: ServerContext): void {
  const { accounts } = context;

  app.get('/api/roles', async (request) => {
    await context.auth(request, 'admin');
    return { roles: await accounts.listRoles() };
  });

  app.post('/api/roles', async (request, reply) => {
    const session = await context.auth(request, 'admin');
    const name = field(request.body, 'name');
    const resources = field(request.body, 'resources');
    if (typeof name !== 'string' || !Array.isArray(resources) || !resources.every((r) => typeof r === 'string')) {
      throw new HttpError(400, 'send {"name": "...", "resources": ["backup", "rollback"]}');
    }
    const role = await accounts.saveRole(name, resources as string[]);
    await context.audit(request, session, 'role save', true, undefined, `${name}: ${role.resources.join(',')}`);
    return reply.code(201).send({ role });
  });

  app.delete('/api/roles/:name', async (request, reply) => {
    const session = await context.auth(request, 'admin');
    const name = (request.params as { name: string }).name;
    if (!(await accounts.getRole(name))) throw new HttpError(404, `no role "${name}"`);
    await accounts.removeRole(name);
    await context.audit(request, session, 'role remove', true, undefined, name);
    return reply.code(204).send();
  });
}
