// /api/setup: the first admin. Only while no user exists, and only with the one-time token that
// `lifeboat serve` printed on its console: whoever reaches a fresh server first cannot take it over.
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../auth.js';
import { field, type ServerContext } from '../context.js';
import { sameSecret } from '../same-secret.js';

export function registerSetupRoutes(app: FastifyInstance, context: ServerContext): void {
  app.get('/api/setup', async () => ({ needed: (await context.accounts.countUsers()) === 0 }));

  app.post('/api/setup', async (request, reply) => {
    const token = field(request.body, 'token');
    const username = field(request.body, 'username');
    const password = field(request.body, 'password');
    if ((await context.accounts.countUsers()) > 0 || !context.setupToken) throw new HttpError(403, 'setup is done: an admin exists already');
    if (typeof token !== 'string' || !sameSecret(token, context.setupToken)) {
      await context.accounts.audit({ action: 'setup', address: request.ip, success: false, detail: 'wrong setup token' });
      throw new HttpError(403, 'wrong setup token: use the link lifeboat serve printed');
    }
    if (typeof username !== 'string' || typeof password !== 'string') throw new HttpError(400, 'send {"token", "username", "password"}');
    const user = await context.accounts.addUser(username, 'admin', password);
    context.setupToken = undefined;
    await context.accounts.audit({ username, action: 'setup', address: request.ip, success: true });
    return reply.code(201).send({ user });
  });
}
