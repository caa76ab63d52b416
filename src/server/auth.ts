// Sessions, CSRF and resource checks for the API. The session is an HttpOnly SameSite=Strict cookie
// holding a random token; every state-changing request also needs the session's x-csrf-token header.
import type { FastifyRequest } from 'fastify';
import type { AccountStore, Resource, Session } from '../state/accounts.js';
import { noteUser } from './request-log.js';

export const SESSION_COOKIE = 'lifeboat_session';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) {
      try {
        return decodeURIComponent(rest.join('='));
      } catch {
        return undefined; // not valid percent-encoding: no session (401), not a server error
      }
    }
  }
  return undefined;
}

export function sessionCookie(token: string, options: { path: string; secure: boolean; maxAgeSeconds: number }): string {
  return [`${SESSION_COOKIE}=${token}`, `Path=${options.path || '/'}`, 'HttpOnly', 'SameSite=Strict', `Max-Age=${options.maxAgeSeconds}`, ...(options.secure ? ['Secure'] : [])].join('; ');
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The request's session, checked: 401 without one, 403 when a state-changing request lacks the
 * session's CSRF token, 403 when the user's role lacks the resource.
 */
export async function authorize(accounts: AccountStore, request: FastifyRequest, resource?: Resource): Promise<Session> {
  const token = readCookie(request, SESSION_COOKIE);
  const session = token ? await accounts.getSession(token) : undefined;
  if (!session) throw new HttpError(401, 'sign in first');
  noteUser(request, session.user.username);
  if (!SAFE_METHODS.has(request.method) && request.headers['x-csrf-token'] !== session.csrfToken) {
    throw new HttpError(403, 'missing or wrong x-csrf-token header');
  }
  if (resource && !session.user.resources.includes(resource)) throw new HttpError(403, `your role "${session.user.role}" lacks the ${resource} resource`);
  return session;
}
