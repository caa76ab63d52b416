// The limits on password guessing, for sign-ins and the password re-check of a rollback alike.
// Failures are counted per account and client address together: whoever guesses one account's
// password is slowed down on that account only, and everyone else, from the same address too (all
// the clients behind a proxy that is not trusted have one), still signs in. A looser cap per address
// alone stops one address from trying many accounts. A success clears its own account's failures from
// that address, nobody else's. The failures live in the state database (signin-failures.ts), so
// several servers sharing one state count them together.
import { isPossibleUsername } from '../state/accounts.js';
import type { SignInFailure, SignInFailureStore } from '../state/signin-failures.js';
import { HttpError } from './auth.js';

export const SIGN_IN_LIMITS = {
  /** Failures of one account from one address within the window; the next attempt is refused. */
  perAccount: 10,
  /** Failures from one address within the window, all accounts together. */
  perAddress: 100,
  windowSeconds: 15 * 60,
};

export type SignInLimits = typeof SIGN_IN_LIMITS;

/** 429: an attempt refused by a limit, with the seconds until one more is allowed (Retry-After). */
export class TooManyFailures extends HttpError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(429, message);
  }
}

/** Names no user can have (too long, other characters) are counted as one account: they cannot sign in anyway. */
const accountKey = (username: string) => (isPossibleUsername(username) ? username : '');

/** Seconds until fewer than `limit` of the failures (oldest first) are within the window; undefined when fewer already are. */
function secondsUntilBelow(failures: SignInFailure[], limit: number, windowMs: number, now: number): number | undefined {
  if (failures.length < limit) return undefined;
  return Math.max(1, Math.ceil((failures[failures.length - limit].at + windowMs - now) / 1000));
}

export class SignInLimiter {
  constructor(
    private readonly failures: SignInFailureStore,
    private readonly limits: SignInLimits = SIGN_IN_LIMITS,
  ) {}

  /**
   * Runs `check` (a password check, which answers undefined for a wrong password) for `username` from
   * `address`, or throws TooManyFailures when a limit is reached. The attempt is counted as a failure
   * before `check` starts, so that guesses sent in parallel cannot all pass the limits before the first
   * of them is counted; a success clears the account's failures from that address.
   */
  async check<T>(address: string, username: string, check: () => Promise<T | undefined>): Promise<T | undefined> {
    const account = accountKey(username);
    const now = Date.now();
    const windowStart = new Date(now - this.limits.windowSeconds * 1000);
    const attempt = await this.failures.add(address, account, new Date(now), windowStart);
    const others = (await this.failures.fromAddress(address, windowStart)).filter((failure) => failure.id !== attempt);
    const refusal = this.refusal(address, account, others, now);
    if (refusal) {
      // A refused attempt is no failure: it does not make the wait longer.
      await this.failures.remove(attempt);
      throw refusal;
    }
    const result = await check();
    if (result !== undefined) await this.failures.clear(address, account);
    return result;
  }

  private refusal(address: string, account: string, failures: SignInFailure[], now: number): TooManyFailures | undefined {
    const windowMs = this.limits.windowSeconds * 1000;
    const addressWait = secondsUntilBelow(failures, this.limits.perAddress, windowMs, now);
    if (addressWait !== undefined) return new TooManyFailures(`too many failed sign-ins from ${address}; try again in ${addressWait} s`, addressWait);
    const ofAccount = failures.filter((failure) => failure.username === account);
    const accountWait = secondsUntilBelow(ofAccount, this.limits.perAccount, windowMs, now);
    if (accountWait !== undefined) return new TooManyFailures(`too many failed sign-ins for this account from ${address}; try again in ${accountWait} s`, accountWait);
    return undefined;
  }
}
