// The web admin's access control, in the same SQLite file as the job state (tables made by the second
// migration in state.ts): roles and their resources, users with scrypt password hashes, sessions
// (only a hash of the token is stored) and the audit log.
import type Database from 'better-sqlite3';
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { UsageError } from '../core/errors.js';
import { openStateDatabase } from './state.js';

export const RESOURCES = ['backup', 'rollback', 'admin'] as const;
export type Resource = (typeof RESOURCES)[number];

export interface Role {
  name: string;
  resources: Resource[];
}

export interface User {
  username: string;
  role: string;
  resources: Resource[];
  createdAt: string;
}

export interface Session {
  user: User;
  csrfToken: string;
  expiresAt: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  username: string | null;
  action: string;
  backup: string | null;
  address: string | null;
  success: boolean;
  detail: string | null;
}

export const SESSION_HOURS = 8;
const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export const MIN_PASSWORD_LENGTH = 8;

function scryptAsync(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key))));
}

/** `scrypt$N$r$p$salt$hash` (base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function checkPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(key, expected);
}

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/** Checks a role's resources: known names, and rollback only together with backup. */
export function validateResources(resources: string[]): Resource[] {
  const unknown = resources.filter((r) => !(RESOURCES as readonly string[]).includes(r));
  if (unknown.length) throw new UsageError(`unknown resource "${unknown[0]}"; known: ${RESOURCES.join(', ')}`);
  const set = new Set(resources as Resource[]);
  if (set.size === 0) throw new UsageError('a role needs at least one resource: backup, rollback or admin');
  if (set.has('rollback') && !set.has('backup')) throw new UsageError('a role with the rollback resource must also have the backup resource');
  return RESOURCES.filter((r) => set.has(r));
}

export function validatePassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new UsageError(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
}

function validateName(kind: string, name: string): void {
  if (!NAME_PATTERN.test(name)) throw new UsageError(`a ${kind} name has letters, digits, ".", "_", "@" or "-" (at most 64), not "${name}"`);
}

interface UserRow {
  username: string;
  role: string;
  resources: string;
  created_at: string;
}

const toUser = (row: UserRow): User => ({ username: row.username, role: row.role, resources: JSON.parse(row.resources) as Resource[], createdAt: row.created_at });

export class AccountStore {
  private constructor(private readonly db: Database.Database) {}

  static open(home: string): AccountStore {
    return new AccountStore(openStateDatabase(home));
  }

  close(): void {
    this.db.close();
  }

  listRoles(): Role[] {
    const rows = this.db.prepare('SELECT name, resources FROM role ORDER BY name').all() as { name: string; resources: string }[];
    return rows.map((row) => ({ name: row.name, resources: JSON.parse(row.resources) as Resource[] }));
  }

  getRole(name: string): Role | undefined {
    return this.listRoles().find((role) => role.name === name);
  }

  /** Creates or updates a role (the built-in admin role cannot be changed). */
  saveRole(name: string, resources: string[]): Role {
    validateName('role', name);
    if (name === 'admin') throw new UsageError('the built-in role "admin" cannot be changed');
    const checked = validateResources(resources);
    this.db
      .prepare('INSERT INTO role (name, resources, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET resources = excluded.resources')
      .run(name, JSON.stringify(checked), new Date().toISOString());
    return { name, resources: checked };
  }

  removeRole(name: string): void {
    if (name === 'admin') throw new UsageError('the built-in role "admin" cannot be removed');
    if (!this.getRole(name)) throw new UsageError(`no role "${name}"`);
    const users = this.db.prepare('SELECT COUNT(*) AS n FROM user WHERE role = ?').get(name) as { n: number };
    if (users.n > 0) throw new UsageError(`role "${name}" still has ${users.n} user(s); give them another role first`);
    this.db.prepare('DELETE FROM role WHERE name = ?').run(name);
  }

  countUsers(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM user').get() as { n: number }).n;
  }

  listUsers(): User[] {
    const rows = this.db.prepare('SELECT u.username, u.role, r.resources, u.created_at FROM user u JOIN role r ON r.name = u.role ORDER BY u.username').all() as UserRow[];
    return rows.map(toUser);
  }

  getUser(username: string): User | undefined {
    return this.listUsers().find((user) => user.username === username);
  }

  async addUser(username: string, role: string, password: string): Promise<User> {
    validateName('user', username);
    validatePassword(password);
    if (!this.getRole(role)) throw new UsageError(`no role "${role}"; known: ${this.listRoles().map((r) => r.name).join(', ')}`);
    if (this.getUser(username)) throw new UsageError(`user "${username}" exists already`);
    const hash = await hashPassword(password);
    this.db.prepare('INSERT INTO user (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)').run(username, hash, role, new Date().toISOString());
    return this.getUser(username) as User;
  }

  async setPassword(username: string, password: string): Promise<void> {
    validatePassword(password);
    if (!this.getUser(username)) throw new UsageError(`no user "${username}"`);
    const hash = await hashPassword(password);
    this.db.transaction(() => {
      this.db.prepare('UPDATE user SET password_hash = ? WHERE username = ?').run(hash, username);
      this.db.prepare('DELETE FROM session WHERE username = ?').run(username);
    })();
  }

  setRole(username: string, role: string): User {
    if (!this.getRole(role)) throw new UsageError(`no role "${role}"`);
    if (!this.getUser(username)) throw new UsageError(`no user "${username}"`);
    this.db.prepare('UPDATE user SET role = ? WHERE username = ?').run(role, username);
    return this.getUser(username) as User;
  }

  removeUser(username: string): void {
    const user = this.getUser(username);
    if (!user) throw new UsageError(`no user "${username}"`);
    const admins = this.listUsers().filter((u) => u.role === 'admin');
    if (user.role === 'admin' && admins.length === 1) throw new UsageError(`"${username}" is the last admin; add another admin first`);
    this.db.prepare('DELETE FROM user WHERE username = ?').run(username);
  }

  /** The user when the password is right. A missing user costs the same scrypt work as a wrong password. */
  async authenticate(username: string, password: string): Promise<User | undefined> {
    const row = this.db.prepare('SELECT password_hash FROM user WHERE username = ?').get(username) as { password_hash: string } | undefined;
    const ok = await checkPassword(password, row?.password_hash ?? 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
    return ok && row ? this.getUser(username) : undefined;
  }

  createSession(username: string): { token: string; csrfToken: string; expiresAt: string } {
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const now = Date.now();
    const expiresAt = new Date(now + SESSION_HOURS * 3600_000).toISOString();
    this.db.prepare('DELETE FROM session WHERE expires_at < ?').run(new Date(now).toISOString());
    this.db
      .prepare('INSERT INTO session (token_hash, username, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(tokenHash(token), username, csrfToken, new Date(now).toISOString(), expiresAt);
    return { token, csrfToken, expiresAt };
  }

  getSession(token: string): Session | undefined {
    const row = this.db.prepare('SELECT username, csrf_token, expires_at FROM session WHERE token_hash = ?').get(tokenHash(token)) as
      | { username: string; csrf_token: string; expires_at: string }
      | undefined;
    if (!row || Date.parse(row.expires_at) < Date.now()) return undefined;
    const user = this.getUser(row.username);
    return user ? { user, csrfToken: row.csrf_token, expiresAt: row.expires_at } : undefined;
  }

  deleteSession(token: string): void {
    this.db.prepare('DELETE FROM session WHERE token_hash = ?').run(tokenHash(token));
  }

  audit(entry: { username?: string; action: string; backup?: string; address?: string; success: boolean; detail?: string }): void {
    this.db
      .prepare('INSERT INTO audit (at, username, action, backup, address, success, detail) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(new Date().toISOString(), entry.username ?? null, entry.action, entry.backup ?? null, entry.address ?? null, entry.success ? 1 : 0, entry.detail ?? null);
  }

  /** Newest first. */
  listAudit(limit = 200): AuditEntry[] {
    const rows = this.db.prepare('SELECT * FROM audit ORDER BY id DESC LIMIT ?').all(limit) as (Omit<AuditEntry, 'success'> & { success: number })[];
    return rows.map((row) => ({ ...row, success: row.success === 1 }));
  }
}
