// `lifeboat serve` logs each request once answered: its method, its route as declared (the pattern,
// never the URL itself: ids, tokens and query strings stay out), the status, the time taken and the user
// it was signed in as. No header, cookie, body or password is ever part of it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { log } from '../shared/log.js';

const signedIn = new WeakMap<FastifyRequest, string>();

/** Notes the user a request is signed in as (its session checked, or its sign-in accepted). */
export function noteUser(request: FastifyRequest, username: string): void {
  signedIn.set(request, username);
}

export function logRequests(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    // No route matched (a 404): its URL is whatever the client sent, and is left out too.
    const route = request.routeOptions.url ?? '(no route)';
    const status = reply.statusCode;
    const responseTime = Math.round(reply.elapsedTime * 10) / 10;
    const user = signedIn.get(request) ?? null;
    const fields = { method: request.method, route, status, responseTime, user };
    const line = `${request.method} ${route} ${status} ${responseTime}ms ${user ?? '-'}`;
    if (status >= 500) log.error(line, fields);
    else log.info(line, fields);
  });
}
