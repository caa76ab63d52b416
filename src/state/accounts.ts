// The web admin's access control, in the same database as the job state (SQLite or the shared
// MySQL/MariaDB schema, see state-db.ts): roles and their resources, users with scrypt password hashes,
// sessions (only a hash of the token is stored; shared, so a sign-in on one server works on the others)
// and the audit log.
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { UsageError } from '../shared/errors.js';
import { clipStored, INPUT_LIMITS, requireMaxLength, STORED_LIMITS } from '../shared/text-limits.js';
import type { StateDb, StateLocation } from './state-db.js';
import { openStateDb } from './state-open.js';

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

/** How an audited action ended: a job a user stopped was cancelled, which is neither a success nor a failure. */
export type AuditResult = 'success' | 'failed' | 'cancelled';

export interface AuditEntry {
  id: number;
  at: string;
  username: string | null;
  action: string;
  backup: string | null;
  address: string | null;
  /** True only for a success (false for a failure and for a cancelled job, as before `result` existed). */
  success: boolean;
  result: AuditResult;
  detail: string | null;
}

/**
 * The `success` column holds the result: 1 success, 0 failed, 2 cancelled (a number, so that no migration
 * was needed and an older version reads a cancelled job as not successful).
 */
const RESULT_CODES: Readonly<Record<AuditResult, number>> = { success: 1, failed: 0, cancelled: 2 };
const resultOfCode = (code: number): AuditResult => (code === 1 ? 'success' : code === 2 ? 'cancelled' : 'failed');

export const SESSION_HOURS = 8;
/**
 * scrypt's cost, as OWASP advises for scrypt (N=2^17, r=8, p=1; Node has no Argon2id): 128 MiB
 * (128·N·r bytes) and about 0.4 s of one core per hash. Hashes made with other parameters still verify,
 * and are made again with these at the user's next successful sign-in.
 */
const SCRYPT = { N: 2 ** 17, r: 8, p: 1, keylen: 32 };
/** Node refuses scrypt above 32 MiB of memory unless allowed more: room for the parameters above, twice over. */
const SCRYPT_MAX_MEMORY = 2 * 128 * SCRYPT.N * SCRYPT.r;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
/**
 * The job history names who started a job: a page user by name, `schedule` for the schedule, `cli:<OS
 * user>` for a command (no user name holds ":"). A page user named `schedule` would read as the schedule.
 */
export const RESERVED_USERNAMES: readonly string[] = ['schedule'];
export const MIN_PASSWORD_LENGTH = 8;

interface ScryptParameters {
  N: number;
  r: number;
  p: number;
}

function scryptAsync(password: string, salt: Buffer, keylen: number, parameters: ScryptParameters): Promise<Buffer> {
  const options: ScryptOptions = { ...parameters, maxmem: SCRYPT_MAX_MEMORY };
  return new Promise((resolve, reject) => scrypt(password, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key))));
}

/** `scrypt$N$r$p$salt$hash` (base64). */
function formatHash({ N, r, p }: ScryptParameters, salt: Buffer, key: Buffer): string {
  return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

function parseHash(stored: string): (ScryptParameters & { salt: Buffer; key: Buffer }) | undefined {
  const [scheme, N, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return undefined;
  return { N: Number(N), r: Number(r), p: Number(p), salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64') };
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  return formatHash(SCRYPT, salt, await scryptAsync(password, salt, SCRYPT.keylen, SCRYPT));
}

export async function checkPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  return timingSafeEqual(await scryptAsync(password, parsed.salt, parsed.key.length, parsed), parsed.key);
}

/** Whether a hash was made with weaker or other parameters than today's. */
function isOutdatedHash(stored: string): boolean {
  const parsed = parseHash(stored);
  return !parsed || parsed.N !== SCRYPT.N || parsed.r !== SCRYPT.r || parsed.p !== SCRYPT.p || parsed.key.length !== SCRYPT.keylen;
}

/** Checked when the user does not exist: a missing user costs the same scrypt work as a wrong password. */
const MISSING_USER_HASH = formatHash(SCRYPT, Buffer.alloc(16), Buffer.alloc(SCRYPT.keylen));

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/** Checks a role's resources: known names, and rollback only together with backup. */
export function validateResources(resources: string[]): Resource[] {
  const unknown = resources.filter((r) => !(RESOURCES as readonly string[]).includes(r));
  if (unknown.length) throw new UsageError(`unknown resource "${clipStored(unknown[0], 32)}"; known: ${RESOURCES.join(', ')}`);
  const set = new Set(resources as Resource[]);
  if (set.size === 0) throw new UsageError('a role needs at least one resource: backup, rollback or admin');
  if (set.has('rollback') && !set.has('backup')) throw new UsageError('a role with the rollback resource must also have the backup resource');
  return RESOURCES.filter((r) => set.has(r));
}

export function validatePassword(password: string): void {
  requireMaxLength('password', password, INPUT_LIMITS.password);
  if (password.length < MIN_PASSWORD_LENGTH) throw new UsageError(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
}

/** Whether a user or role could have this name. */
export function isPossibleUsername(name: string): boolean {
  return NAME_PATTERN.test(name);
}

const NAME_FIELDS = { user: { field: 'username', limit: INPUT_LIMITS.username }, role: { field: 'role', limit: INPUT_LIMITS.roleName } };

function validateName(kind: keyof typeof NAME_FIELDS, name: string): void {
  // The length first: the message below quotes the name.
  requireMaxLength(NAME_FIELDS[kind].field, name, NAME_FIELDS[kind].limit);
  if (!isPossibleUsername(name)) throw new UsageError(`a ${kind} name has letters, digits, ".", "_", "@" or "-" (at most 64), not "${name}"`);
}

interface UserRow {
  username: string;
  role: string;
  resources: string;
  created_at: string;
}

const toUser = (row: UserRow): User => ({ username: row.username, role: row.role, resources: JSON.parse(row.resources) as Resource[], createdAt: row.created_at });

export class AccountStore {
  private constructor(private readonly db: StateDb) {}

  static open(location: StateLocation): AccountStore {
    return new AccountStore(openStateDb(location));
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async listRoles(): Promise<Role[]> {
    const rows = await this.db.all<{ name: string; resources: string }>('SELECT name, resources FROM role ORDER BY name');
    return rows.map((row) => ({ name: row.name, resources: JSON.parse(row.resources) as Resource[] }));
  }

  /**
   * The role a new user gets when none is named: the least privilege, so a slip never makes an admin.
   * Roles without the admin resource come first, then those with fewer resources (operator as shipped).
   */
  async defaultRole(): Promise<string> {
    const rank = (role: Role) => (role.resources.includes('admin') ? RESOURCES.length : 0) + role.resources.length;
    const roles = (await this.listRoles()).sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
    return roles[0].name;
  }

  async getRole(name: string): Promise<Role | undefined> {
    return (await this.listRoles()).find((role) => role.name === name);
  }

  /** Creates or updates a role (the built-in admin role cannot be changed). */
  async saveRole(name: string, resources: string[]): Promise<Role> {
    validateName('role', name);
    if (name === 'admin') throw new UsageError('the built-in role "admin" cannot be changed');
    const checked = validateResources(resources);
    await this.db.upsert('role', { name, resources: JSON.stringify(checked), created_at: new Date().toISOString() }, ['name'], ['resources']);
    return { name, resources: checked };
  }

  async removeRole(name: string): Promise<void> {
    if (name === 'admin') throw new UsageError('the built-in role "admin" cannot be removed');
    if (!(await this.getRole(name))) throw new UsageError(`no role "${name}"`);
    const users = Number((await this.db.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM user WHERE role = ?', [name]))?.n ?? 0);
    if (users > 0) throw new UsageError(`role "${name}" still has ${users} user(s); give them another role first`);
    await this.db.run('DELETE FROM role WHERE name = ?', [name]);
  }

  async countUsers(): Promise<number> {
    return Number((await this.db.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM user'))?.n ?? 0);
  }

  async listUsers(): Promise<User[]> {
    const rows = await this.db.all<UserRow>('SELECT u.username, u.role, r.resources, u.created_at FROM user u JOIN role r ON r.name = u.role ORDER BY u.username');
    return rows.map(toUser);
  }

  async getUser(username: string): Promise<User | undefined> {
    return (await this.listUsers()).find((user) => user.username === username);
  }

  async addUser(username: string, role: string, password: string): Promise<User> {
    validateName('user', username);
    if (RESERVED_USERNAMES.includes(username.toLowerCase())) {
      throw new UsageError(`the user name "${username}" is reserved: the job history uses it for scheduled runs; choose another name`);
    }
    validatePassword(password);
    requireMaxLength('role', role, INPUT_LIMITS.roleName);
    if (!(await this.getRole(role))) throw new UsageError(`no role "${role}"; known: ${(await this.listRoles()).map((r) => r.name).join(', ')}`);
    if (await this.getUser(username)) throw new UsageError(`user "${username}" exists already`);
    const hash = await hashPassword(password);
    // Another server may have added the same name meanwhile: the primary key decides.
    if (!(await this.db.insertUnique('user', { username, password_hash: hash, role, created_at: new Date().toISOString() }))) {
      throw new UsageError(`user "${username}" exists already`);
    }
    return (await this.getUser(username)) as User;
  }

  async setPassword(username: string, password: string): Promise<void> {
    validatePassword(password);
    if (!(await this.getUser(username))) throw new UsageError(`no user "${username}"`);
    const hash = await hashPassword(password);
    await this.db.transaction(async (tx) => {
      await tx.run('UPDATE user SET password_hash = ? WHERE username = ?', [hash, username]);
      await tx.run('DELETE FROM session WHERE username = ?', [username]);
    });
  }

  async setRole(username: string, role: string): Promise<User> {
    requireMaxLength('role', role, INPUT_LIMITS.roleName);
    if (!(await this.getRole(role))) throw new UsageError(`no role "${role}"`);
    if (!(await this.getUser(username))) throw new UsageError(`no user "${username}"`);
    await this.db.run('UPDATE user SET role = ? WHERE username = ?', [role, username]);
    return (await this.getUser(username)) as User;
  }

  async removeUser(username: string): Promise<void> {
    const user = await this.getUser(username);
    if (!user) throw new UsageError(`no user "${username}"`);
    const admins = (await this.listUsers()).filter((u) => u.role === 'admin');
    if (user.role === 'admin' && admins.length === 1) throw new UsageError(`"${username}" is the last admin; add another admin first`);
    await this.db.run('DELETE FROM user WHERE username = ?', [username]);
  }

  /**
   * The user when the password is right. A missing user costs the same scrypt work as a wrong password.
   * A hash made with older parameters is made again with today's (sessions stay).
   * A username or password over its limit is a usage error (400), checked before any hashing.
   */
  async authenticate(username: string, password: string): Promise<User | undefined> {
    requireMaxLength('username', username, INPUT_LIMITS.username);
    requireMaxLength('password', password, INPUT_LIMITS.password);
    const row = await this.db.get<{ password_hash: string }>('SELECT password_hash FROM user WHERE username = ?', [username]);
    const ok = await checkPassword(password, row?.password_hash ?? MISSING_USER_HASH);
    if (!ok || !row) return undefined;
    if (isOutdatedHash(row.password_hash)) await this.rehash(username, row.password_hash, password);
    return this.getUser(username);
  }

  /** Stores the password's hash with today's parameters, unless the password was changed meanwhile. */
  private async rehash(username: string, previousHash: string, password: string): Promise<void> {
    await this.db.run('UPDATE user SET password_hash = ? WHERE username = ? AND password_hash = ?', [await hashPassword(password), username, previousHash]);
  }

  async createSession(username: string): Promise<{ token: string; csrfToken: string; expiresAt: string }> {
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const now = Date.now();
    const expiresAt = new Date(now + SESSION_HOURS * 3600_000).toISOString();
    await this.db.run('DELETE FROM session WHERE expires_at < ?', [new Date(now).toISOString()]);
    await this.db.run('INSERT INTO session (token_hash, username, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', [
      tokenHash(token),
      username,
      csrfToken,
      new Date(now).toISOString(),
      expiresAt,
    ]);
    return { token, csrfToken, expiresAt };
  }

  async getSession(token: string): Promise<Session | undefined> {
    const row = await this.db.get<{ username: string; csrf_token: string; expires_at: string }>(
      'SELECT username, csrf_token, expires_at FROM session WHERE token_hash = ?',
      [tokenHash(token)],
    );
    if (!row || Date.parse(row.expires_at) < Date.now()) return undefined;
    const user = await this.getUser(row.username);
    return user ? { user, csrfToken: row.csrf_token, expiresAt: row.expires_at } : undefined;
  }

  async deleteSession(token: string): Promise<void> {
    await this.db.run('DELETE FROM session WHERE token_hash = ?', [tokenHash(token)]);
  }

  /** Writes an entry; each text is cut to its limit (a detail may quote a server's long error). */
  async audit(entry: { username?: string; action: string; backup?: string; address?: string; success: boolean | 'cancelled'; detail?: string }): Promise<void> {
    await this.db.run('INSERT INTO audit (at, username, action, backup, address, success, detail) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      new Date().toISOString(),
      clipStored(entry.username ?? null, STORED_LIMITS.auditUsername),
      clipStored(entry.action, STORED_LIMITS.auditAction),
      clipStored(entry.backup ?? null, STORED_LIMITS.auditBackup),
      clipStored(entry.address ?? null, STORED_LIMITS.auditAddress),
      RESULT_CODES[entry.success === 'cancelled' ? 'cancelled' : entry.success ? 'success' : 'failed'],
      clipStored(entry.detail ?? null, STORED_LIMITS.auditDetail),
    ]);
  }

  /** Newest first. */
  async listAudit(limit = 200): Promise<AuditEntry[]> {
    const rows = await this.db.all<Omit<AuditEntry, 'success' | 'result' | 'id'> & { id: number | string; success: number }>(
      'SELECT id, at, username, action, backup, address, success, detail FROM audit ORDER BY id DESC LIMIT ?',
      [limit],
    );
    return rows.map((row) => ({ ...row, id: Number(row.id), success: Number(row.success) === 1, result: resultOfCode(Number(row.success)) }));
  }
}
