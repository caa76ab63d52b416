// What every route module gets: the settings, the account store, the sign-in limiter, the one-time
// setup token (while no user exists) and the helpers shared by the routes.
import type { FastifyRequest } from 'fastify';
import type { AccountStore, Resource, Session } from '../catalog/accounts.js';
import type { Settings } from '../config.js';
import { redact } from '../core/redact.js';
import { authorize, type LoginLimiter } from './auth.js';

export interface ServerContext {
  settings: Settings;
  accounts: AccountStore;
  limiter: LoginLimiter;
  /** The first-run token printed by `lifeboat serve`; undefined once an admin exists. */
  setupToken?: string;
  /** Checks the session, the CSRF header of state-changing requests and the resource. */
  auth(request: FastifyRequest, resource?: Resource): Promise<Session>;
  /** Writes an audit entry for the request. */
  audit(request: FastifyRequest, session: Session | undefined, action: string, success: boolean, backup?: string, detail?: string): Promise<void>;
}

export function createContext(settings: Settings, accounts: AccountStore, limiter: LoginLimiter, setupToken?: string): ServerContext {
  return {
    settings,
    accounts,
    limiter,
    setupToken,
    auth: (request, resource) => authorize(accounts, request, resource),
    audit: (request, session, action, success, backup, detail) =>
      // The detail often quotes an error (a failed notification test, a refused cancel): masked like every error.
      accounts.audit({ username: session?.user.username, action, backup, address: request.ip, success, detail: detail === undefined ? undefined : redact(detail) }),
  };
}

/** A JSON body's field as a string (or undefined). */
export function field(body: unknown, key: string): unknown {
  return body && typeof body === 'object' ? (body as Record<string, unknown>)[key] : undefined;
}
