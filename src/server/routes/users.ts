// /api/users: the user list and its changes, for admins.
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../auth.js';
import { field, type ServerContext } from '../context.js';

export function registerUserRoutes(app: FastifyInstance, context: ServerContext): void {
  const { accounts } = context;

  app.get('/api/users', async (request) => {
    await context.auth(request, 'admin');
    return { users: await accounts.listUsers() };
  });

  app.post('/api/users', async (request, reply) => {
    const session = await context.auth(request, 'admin');
    const username = field(request.body, 'username');
    // Without a role, the least privilege (as `lifeboat user add`): a missed field never makes an admin.
    const role = field(request.body, 'role') ?? (await accounts.defaultRole());
    const password = field(request.body, 'password');
    if (typeof username !== 'string' || typeof role !== 'string' || typeof password !== 'string') throw new HttpError(400, 'send {"username", "role", "password"}');
    const user = await accounts.addUser(username, role, password);
    await context.audit(request, session, 'user add', true, undefined, `${username} (${role})`);
    return reply.code(201).send({ user });
  });

  app.patch('/api/users/:name', async (request) => {
    const session = await context.auth(request, 'admin');
    const name = (request.params as { name: string }).name;
    const role = field(request.body, 'role');
    const password = field(request.body, 'password');
    if (role === undefined && password === undefined) throw new HttpError(400, 'send {"role"} and/or {"password"}');
    if (role !== undefined && typeof role !== 'string') throw new HttpError(400, 'role must be a string');
    if (password !== undefined && typeof password !== 'string') throw new HttpError(400, 'password must be a string');
    const user = await accounts.getUser(name);
    if (!user) throw new HttpError(404, `no user "${name}"`);
    // As removing does: the last admin keeps the role, or nobody could manage users and settings again.
    if (user.role === 'admin' && role !== undefined && role !== 'admin' && (await accounts.listUsers()).filter((u) => u.role === 'admin').length === 1) {
      throw new HttpError(400, `"${name}" is the last admin; make another user admin first`);
    }
    if (typeof role === 'string') await accounts.setRole(name, role);
    if (typeof password === 'string') await accounts.setPassword(name, password);
    await context.audit(request, session, 'user change', true, undefined, name);
    return { user: await accounts.getUser(name) };
  });

  app.delete('/api/users/:name', async (request, reply) => {
    const session = await context.auth(request, 'admin');
    const name = (request.params as { name: string }).name;
    if (!(await accounts.getUser(name))) throw new HttpError(404, `no user "${name}"`);
    await accounts.removeUser(name);
    await context.audit(request, session, 'user remove', true, undefined, name);
    return reply.code(204).send();
  });
}
