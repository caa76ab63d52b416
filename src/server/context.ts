// What every route module gets: the settings, the account store, the one-time setup token (while no
// user exists) and the helpers shared by the routes (sessions, password checks within the sign-in
// limits, the audit log).
import type { FastifyRequest } from 'fastify';
import type { AccountStore, Resource, Session, User } from '../state/accounts.js';
import type { Settings } from '../config/settings.js';
import { redact } from '../shared/redact.js';
import { authorize, HttpError } from './auth.js';
import type { SignInLimiter } from './signin-limit.js';

export interface ServerContext {
  settings: Settings;
  accounts: AccountStore;
  /** The first-run token printed by `lifeboat serve`; undefined once an admin exists. */
  setupToken?: string;
  /** Checks the session, the CSRF header of state-changing requests and the resource. */
  auth(request: FastifyRequest, resource?: Resource): Promise<Session>;
  /** The user when the password is right; within the sign-in limits of the request's address (429 past them). */
  checkPassword(request: FastifyRequest, username: string, password: string): Promise<User | undefined>;
  /** Writes an audit entry for the request ('cancelled' for a job a user stopped). */
  audit(request: FastifyRequest, session: Session | undefined, action: string, success: boolean | 'cancelled', backup?: string, detail?: string): Promise<void>;
}

export function createContext(settings: Settings, accounts: AccountStore, limiter: SignInLimiter, setupToken?: string): ServerContext {
  return {
    settings,
    accounts,
    setupToken,
    auth: (request, resource) => authorize(accounts, request, resource),
    checkPassword: (request, username, password) => limiter.check(request.ip, username, () => accounts.authenticate(username, password)),
    audit: (request, session, action, success, backup, detail) =>
      // The detail often quotes an error (a failed notification test, a refused cancel): masked like every error.
      accounts.audit({ username: session?.user.username, action, backup, address: request.ip, success, detail: detail === undefined ? undefined : redact(detail) }),
  };
}

/** A JSON body's field as a string (or undefined). */
export function field(body: unknown, key: string): unknown {
  return body && typeof body === 'object' ? (body as Record<string, unknown>)[key] : undefined;
}

/**
 * Asks the signed-in user's password again before an action that replaces data (a rollback, a restore):
 * a stolen session must not be enough. Checked within the sign-in limits (a session must not become a way
 * to guess the password either); a wrong one is audited as `action` of `backup` and answered 403.
 */
export async function requirePasswordAgain(context: ServerContext, request: FastifyRequest, session: Session, action: string, backup: string): Promise<void> {
  const password = field(request.body, 'password');
  if (typeof password === 'string' && (await context.checkPassword(request, session.user.username, password))) return;
  await context.audit(request, session, action, false, backup, 'wrong password');
  throw new HttpError(403, 'wrong password');
}
