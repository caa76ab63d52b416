// Secrets saved from the Settings page (the SMTP server URL with its password, the webhook URL, whose
// path is often the token) are sealed with AES-256-GCM before they reach Lifeboat's state, under a key
// that lives in another file: a copy of lifeboat.db, or a dump of the shared state schema, reveals
// nothing without it. The key:
//   - LIFEBOAT_SECRET_KEY_FILE when set: 32 random bytes or a passphrase of 12 characters or more, as the
//     off-site key (it may even be the same file: the sealing key is derived for this use alone);
//   - else, with the SQLite state, <home>/secrets.key, made (0600, 32 random bytes) on first use;
//   - with the MySQL/MariaDB state, LIFEBOAT_SECRET_KEY_FILE is required: every server must open what
//     any server sealed, so the key is a file each server is given, like the off-site key.
// A sealed value is one string: "lbsealed:v1:<key id>:<base64url of nonce, ciphertext and tag>", with
// the field's name as authenticated data (a sealed SMTP URL cannot be passed off as the webhook URL).
// Values saved before sealing existed are read as they are and sealed at the next start or save.
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, scrypt } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseEncryptionSecret } from '../archive/encrypt.js';
import type { MysqlTarget } from '../engines/target.js';
import { OperationError, UsageError } from '../shared/errors.js';
import { makePrivateHome, PRIVATE_FILE_MODE } from '../shared/private-home.js';

/** Where the key of the stored secrets comes from: the settings that decide it. */
export interface SecretKeyPlace {
  home: string;
  stateTarget?: MysqlTarget;
  /** LIFEBOAT_SECRET_KEY_FILE, resolved. */
  secretKeyFile?: string;
}

/** A sealed value cannot be opened: another key, a changed value, or a key file that is gone. */
export class SealedSecretError extends OperationError {}

const PREFIX = 'lbsealed:v1:';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const HOME_KEY_FILE = 'secrets.key';
/** A passphrase is stretched once per process; the salt is fixed since one passphrase makes one key. */
const PASSPHRASE_SALT = 'lifeboat stored secrets';
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 2 ** 20 };

interface SealingKey {
  key: Buffer;
  /** Short and public: tells "sealed with another key" apart from "changed". */
  id: string;
  file: string;
}

export function isSealed(value: string): boolean {
  return value.startsWith(PREFIX);
}

/** The value sealed for `field` (e.g. "notify.smtp.url"); the key is made on first use where that is allowed. */
export async function sealSecret(place: SecretKeyPlace, field: string, plain: string): Promise<string> {
  const { key, id } = await sealingKey(place, { create: true });
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce).setAAD(Buffer.from(field, 'utf8'));
  const sealed = Buffer.concat([nonce, cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${PREFIX}${id}:${sealed.toString('base64url')}`;
}

/** The plain value of a sealed one; a value saved before sealing existed is returned as it is. */
export async function openSecret(place: SecretKeyPlace, field: string, stored: string): Promise<string> {
  if (!isSealed(stored)) return stored;
  const [id, data] = stored.slice(PREFIX.length).split(':');
  const sealing = await sealingKey(place, { create: false });
  if (id !== sealing.id) {
    throw new SealedSecretError(`${field} is stored encrypted with another key (key id ${id}) than ${sealing.file} (key id ${sealing.id}): put back the key file it was saved with (every server needs the same one)`);
  }
  const bytes = Buffer.from(data ?? '', 'base64url');
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealing.key, bytes.subarray(0, NONCE_BYTES)).setAAD(Buffer.from(field, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new SealedSecretError(`${field} is stored encrypted but does not open with ${sealing.file}: it was changed in the state database; save it again on the Settings page`);
  }
}

/** The key file the secrets are (or would be) sealed with, for messages; undefined when there is none. */
export function secretKeyFileOf(place: SecretKeyPlace): string | undefined {
  if (place.secretKeyFile) return place.secretKeyFile;
  return place.stateTarget ? undefined : path.join(place.home, HOME_KEY_FILE);
}

const derived = new Map<string, Promise<SealingKey>>();

async function sealingKey(place: SecretKeyPlace, options: { create: boolean }): Promise<SealingKey> {
  const file = secretKeyFileOf(place);
  if (!file) throw new UsageError(MISSING_SHARED_KEY);
  const content = await readKeyFile(file, place, options);
  // Cached by content: a passphrase costs a moment of scrypt, and a replaced key file is noticed.
  const cacheKey = `${file}\0${createHash('sha256').update(content).digest('hex')}`;
  let key = derived.get(cacheKey);
  if (!key) {
    key = deriveKey(file, content);
    derived.set(cacheKey, key);
  }
  return key;
}

const MISSING_SHARED_KEY =
  'with LIFEBOAT_STATE_URL, passwords and tokens saved from the Settings page are encrypted with LIFEBOAT_SECRET_KEY_FILE, which is not set: ' +
  'create a key once (head -c 32 /dev/urandom > /etc/lifeboat/secrets.key), give every server that file and set LIFEBOAT_SECRET_KEY_FILE to it, ' +
  'or set the notification targets with LIFEBOAT_NOTIFY_* instead';

async function readKeyFile(file: string, place: SecretKeyPlace, options: { create: boolean }): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError(`cannot read the key of the stored secrets ${file}: ${(error as Error).message}`);
  }
  if (place.secretKeyFile) {
    throw new UsageError(`LIFEBOAT_SECRET_KEY_FILE names ${file}, which does not exist: create it once (head -c 32 /dev/urandom > ${file}; chmod 600 ${file}) and give every server the same file`);
  }
  if (!options.create) throw new SealedSecretError(`the key of the stored secrets, ${file}, is gone: put it back from a copy, or save the notification targets again on the Settings page`);
  return createHomeKey(place.home, file);
}

/** Makes <home>/secrets.key: written aside, then linked into place, so two processes at once agree on one key. */
async function createHomeKey(home: string, file: string): Promise<Buffer> {
  makePrivateHome(home);
  const aside = `${file}.partial-${randomBytes(4).toString('hex')}`;
  await writeFile(aside, randomBytes(KEY_BYTES), { flag: 'wx', mode: PRIVATE_FILE_MODE });
  try {
    await link(aside, file).catch((error: NodeJS.ErrnoException) => (error.code === 'EEXIST' ? undefined : Promise.reject(error)));
  } finally {
    await unlink(aside).catch(() => undefined);
  }
  return readFile(file);
}

async function deriveKey(file: string, content: Buffer): Promise<SealingKey> {
  let secret;
  try {
    secret = parseEncryptionSecret(content, file);
  } catch (error) {
    throw new UsageError(`the key of the stored secrets: ${(error as Error).message}`);
  }
  const master = secret.kind === 'key' ? secret.key : await stretch(secret.passphrase);
  const key = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'lifeboat stored secrets v1', KEY_BYTES));
  const id = createHmac('sha256', key).update('lifeboat key id').digest('hex').slice(0, 8);
  return { key, id, file };
}

function stretch(passphrase: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(passphrase, PASSPHRASE_SALT, KEY_BYTES, SCRYPT, (error, key) => (error ? reject(error) : resolve(key))));
}
