// /api/session: sign in (a cookie and a CSRF token), who am I, sign out. Past the sign-in limits
// (signin-limit.ts) an attempt is answered 429 without checking the password.
import type { FastifyInstance } from 'fastify';
import { SESSION_HOURS } from '../../state/accounts.js';
import { HttpError, readCookie, SESSION_COOKIE, sessionCookie } from '../auth.js';
import { field, type ServerContext } from '../context.js';
import { noteUser } from '../request-log.js';

export function registerSessionRoutes(app: FastifyInstance, context: ServerContext): void {
  const cookiePath = context.settings.basePath || '/';
  app.post('/api/session', async (request, reply) => {
    const username = field(request.body, 'username');
    const password = field(request.body, 'password');
    if (typeof username !== 'string' || typeof password !== 'string') throw new HttpError(400, 'send {"username": "...", "password": "..."}');
    const user = await context.checkPassword(request, username, password);
    if (!user) {
      await context.accounts.audit({ username, action: 'sign-in', address: request.ip, success: false });
      throw new HttpError(401, 'wrong username or password');
    }
    const session = await context.accounts.createSession(user.username);
    noteUser(request, user.username);
    await context.accounts.audit({ username: user.username, action: 'sign-in', address: request.ip, success: true });
    reply.header('set-cookie', sessionCookie(session.token, { path: cookiePath, secure: request.protocol === 'https', maxAgeSeconds: SESSION_HOURS * 3600 }));
    return { csrfToken: session.csrfToken, user, expiresAt: session.expiresAt };
  });

  app.get('/api/session', async (request) => {
    const session = await context.auth(request);
    return { csrfToken: session.csrfToken, user: session.user, expiresAt: session.expiresAt };
  });

  app.delete('/api/session', async (request, reply) => {
    await context.auth(request);
    const token = readCookie(request, SESSION_COOKIE);
    if (token) await context.accounts.deleteSession(token);
    reply.header('set-cookie', sessionCookie('', { path: cookiePath, secure: request.protocol === 'https', maxAgeSeconds: 0 }));
    return reply.code(204).send();
  });
}
