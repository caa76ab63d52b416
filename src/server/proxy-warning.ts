// Behind a reverse proxy that Lifeboat does not trust, every client has the proxy's address: the
// sign-in limits then count all of them as one client, and the audit log names the proxy. Requests
// carrying X-Forwarded-For show such a proxy; the first of them gets a warning, once per server.
import type { FastifyInstance } from 'fastify';

export function warnOfUntrustedProxy(app: FastifyInstance, warn: (line: string) => void): void {
  let warned = false;
  app.addHook('onRequest', async (request) => {
    if (warned || request.headers['x-forwarded-for'] === undefined) return;
    warned = true;
    warn(
      `lifeboat serve: requests come with an X-Forwarded-For header from ${request.ip}, but no proxy is trusted: every client behind that proxy counts as ${request.ip} for the sign-in limits and the audit log; set LIFEBOAT_TRUST_PROXY to its address`,
    );
  });
}
