// Failed password checks (sign-ins, and the password re-check of a rollback), one row each with the
// client address and the account name, in Lifeboat's state database: with LIFEBOAT_STATE_URL every
// server counts the same failures. The limits themselves are in server/signin-limit.ts; rows older
// than their window are deleted as new ones come.
import { randomBytes } from 'node:crypto';
import { clipStored, STORED_LIMITS } from '../shared/text-limits.js';
import type { StateDb, StateLocation } from './state-db.js';
import { openStateDb } from './state-open.js';

/**
 * The address as stored: with a trusted proxy the client writes X-Forwarded-For, so it can be any text;
 * cut (the same way every time) to the column's size, which MySQL in strict mode would refuse to exceed.
 */
const storedAddress = (address: string) => clipStored(address, STORED_LIMITS.auditAddress);

export interface SignInFailure {
  id: string;
  username: string;
  /** Milliseconds since the epoch. */
  at: number;
}

export class SignInFailureStore {
  private constructor(private readonly db: StateDb) {}

  static open(location: StateLocation): SignInFailureStore {
    return new SignInFailureStore(openStateDb(location));
  }

  close(): Promise<void> {
    return this.db.close();
  }

  /** Records a failure, after deleting those from before `forgetBefore`; the new row's id. */
  async add(address: string, username: string, at: Date, forgetBefore: Date): Promise<string> {
    await this.db.run('DELETE FROM signin_failure WHERE at < ?', [forgetBefore.toISOString()]);
    const id = randomBytes(16).toString('base64url');
    await this.db.run('INSERT INTO signin_failure (id, address, username, at) VALUES (?, ?, ?, ?)', [id, storedAddress(address), username, at.toISOString()]);
    return id;
  }

  async remove(id: string): Promise<void> {
    await this.db.run('DELETE FROM signin_failure WHERE id = ?', [id]);
  }

  /** The failures from `address` at or after `since`, of every account, oldest first. */
  async fromAddress(address: string, since: Date): Promise<SignInFailure[]> {
    const rows = await this.db.all<{ id: string; username: string; at: string }>(
      'SELECT id, username, at FROM signin_failure WHERE address = ? AND at >= ? ORDER BY at',
      [storedAddress(address), since.toISOString()],
    );
    return rows.map((row) => ({ id: row.id, username: row.username, at: Date.parse(row.at) }));
  }

  /** Forgets one account's failures from one address. */
  async clear(address: string, username: string): Promise<void> {
    await this.db.run('DELETE FROM signin_failure WHERE address = ? AND username = ?', [storedAddress(address), username]);
  }
}
