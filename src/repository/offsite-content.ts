// The off-site mirror of the incremental store: the bucket holds, under `incremental/`, the same layout
// as the backup folder's store (config.json, index/, data/<2 hex>/<pack id>) with the packs and index
// entries its incremental backups need, and one more folder, `uses/<snapshot file>`: the packs each
// backup needs ({"snapshot", "packs": [{"id", "size"}]}), so that a backup is fetched, and the bucket
// pruned, pack by pack without reading listings. The snapshot files and their manifests are in the
// bucket's top level like any backup's archive.
// With encryption, every object under `incremental/` but config.json is encrypted with the key of the
// other copies (the same LBOATENC format), and config.json records that, with a key check: one key for
// the whole store, since a later backup uses packs an earlier one uploaded. A bucket's store is either
// encrypted or not; an upload that would mix the two, or use another key, is refused.
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { DecryptionError, type EncryptionSecret } from '../archive/encrypt.js';
import { Meter, readChain, writeChain } from '../archive/filter-chain.js';
import { isHexId, STORE_FOLDER, STORE_FORMAT, STORE_VERSION, storeConfigProblem } from '../archive/content/store-layout.js';
import type { UsedPack } from '../archive/content/snapshot-packs.js';
import { ObjectExistsError, readObject, type ObjectStore } from '../stores/store.js';
import { OperationError, UsageError } from '../shared/errors.js';
import { ENCRYPTION_SCHEME } from '../shared/types.js';
import { isIncrementalFile } from './naming.js';
import { openBytes, sealBytes } from './offsite-manifest.js';

export const CONTENT_PREFIX = `${STORE_FOLDER}/`;
export const CONFIG_KEY = `${CONTENT_PREFIX}config.json`;
export const DATA_PREFIX = `${CONTENT_PREFIX}data/`;
export const INDEX_PREFIX = `${CONTENT_PREFIX}index/`;
export const USES_PREFIX = `${CONTENT_PREFIX}uses/`;
export const packKey = (id: string) => `${DATA_PREFIX}${id.slice(0, 2)}/${id}`;
export const indexKey = (id: string) => `${INDEX_PREFIX}${id}.json`;
export const usesKey = (snapshotFile: string) => `${USES_PREFIX}${snapshotFile}`;

/** What the key check seals: opening it proves the key is the store's. */
const KEY_CHECK = Buffer.from(STORE_FORMAT, 'utf8');

interface RemoteConfig {
  format: typeof STORE_FORMAT;
  version: number;
  encryption?: typeof ENCRYPTION_SCHEME;
  /** base64 of KEY_CHECK sealed with the store's key. */
  keyCheck?: string;
}

/** The bucket's store, opened: where it is, and the key its objects are encrypted with (none: plain). */
export interface RemoteContent {
  store: ObjectStore;
  secret: EncryptionSecret | undefined;
}

function whereContent(store: ObjectStore): string {
  return `the incremental data in ${store.location}`;
}

async function readConfig(store: ObjectStore): Promise<RemoteConfig | undefined> {
  if (!(await store.stat(CONFIG_KEY))) return undefined;
  let config: RemoteConfig | undefined;
  try {
    config = JSON.parse((await readObject(store, CONFIG_KEY)).toString('utf8')) as RemoteConfig;
  } catch {
    config = undefined;
  }
  const problem = storeConfigProblem(config);
  if (problem || !config) throw new OperationError(`${store.location}/${CONFIG_KEY} ${problem}`);
  if (config.encryption !== undefined && (config.encryption !== ENCRYPTION_SCHEME || typeof config.keyCheck !== 'string')) {
    throw new OperationError(`${whereContent(store)} is stored with an unknown encryption "${String(config.encryption)}"`);
  }
  return config;
}

const configBytes = (config: RemoteConfig) => Buffer.from(JSON.stringify(config, null, 2) + '\n', 'utf8');

/** The secret the config asks for, checked against its key check; one line when it is missing or wrong. */
async function secretFor(store: ObjectStore, config: RemoteConfig, secret: EncryptionSecret | undefined): Promise<EncryptionSecret | undefined> {
  if (config.encryption === undefined) return undefined;
  if (!secret) throw new UsageError(`${whereContent(store)} is encrypted: set LIFEBOAT_ENCRYPTION_KEY_FILE to its key; nothing was changed`);
  try {
    if ((await openBytes(Buffer.from(config.keyCheck ?? '', 'base64'), secret)).equals(KEY_CHECK)) return secret;
  } catch (error) {
    if (!(error instanceof DecryptionError)) throw error;
  }
  throw new OperationError(`${whereContent(store)} is encrypted with another key than LIFEBOAT_ENCRYPTION_KEY_FILE's; nothing was changed`);
}

/** The bucket's store for reading (a fetch, a prune); undefined when the bucket holds none. */
export async function openRemoteContent(store: ObjectStore, secret: EncryptionSecret | undefined): Promise<RemoteContent | undefined> {
  const config = await readConfig(store);
  return config && { store, secret: await secretFor(store, config, secret) };
}

/**
 * The bucket's store for an upload encrypted with `secret` (or plain without): its config is written
 * when there is none. A store encrypted otherwise is refused in one line: a backup whose packs were
 * partly encrypted with another key, or partly not, could not be read with one key.
 */
export async function prepareRemoteContent(store: ObjectStore, secret: EncryptionSecret | undefined, signal?: AbortSignal): Promise<RemoteContent> {
  let config = await readConfig(store);
  if (!config) {
    config = { format: STORE_FORMAT, version: STORE_VERSION };
    if (secret) Object.assign(config, { encryption: ENCRYPTION_SCHEME, keyCheck: (await sealBytes(KEY_CHECK, secret)).toString('base64') });
    try {
      await store.put(CONFIG_KEY, Readable.from([configBytes(config)]), { ifAbsent: true, signal });
    } catch (error) {
      if (!(error instanceof ObjectExistsError)) throw error;
      config = await readConfig(store); // another writer made it meanwhile: use theirs
      if (!config) throw error;
    }
  }
  if (config.encryption === undefined && secret) {
    throw new UsageError(`${whereContent(store)} is not encrypted, and LIFEBOAT_ENCRYPTION_KEY_FILE is set: a backup would mix plain and encrypted data; delete the incremental backups in the bucket first (lifeboat delete), or use another LIFEBOAT_STORAGE_URL prefix`);
  }
  const content = { store, secret: await secretFor(store, config, secret) };
  // A version 1 store becomes this version's before new packs land (see STORE_VERSION).
  if (config.version !== STORE_VERSION) await store.put(CONFIG_KEY, Readable.from([configBytes({ ...config, version: STORE_VERSION })]), { signal });
  return content;
}

/** Puts `source` under `key`, encrypted when the store is; the size stored. `onBytes`: plain bytes read so far. */
export async function putContent(content: RemoteContent, key: string, source: Readable | Buffer[], options: { signal?: AbortSignal; onBytes?: (bytes: number) => void; partsAtOnce?: number } = {}): Promise<number> {
  const plain = options.onBytes && new Meter({ onBytes: options.onBytes });
  const body = await writeChain(source, { plain, encrypt: content.secret });
  return (await content.store.put(key, body, { signal: options.signal, partsAtOnce: options.partsAtOnce })).size;
}

/** The plain bytes of the object `key`, decrypted when the store is encrypted. `onBytes`: plain bytes so far. */
export async function openContent(content: RemoteContent, key: string, onBytes?: (bytes: number) => void): Promise<Readable> {
  return readChain(await content.store.get(key), { decrypt: content.secret, plain: onBytes && new Meter({ onBytes }) });
}

/** A small object (an index file, a uses record) whole. */
export async function readContent(content: RemoteContent, key: string): Promise<Buffer> {
  return buffer(await openContent(content, key));
}

/** The packs `snapshotFile` uses, from its uses record; one line when it is missing or malformed. */
export async function readUses(content: RemoteContent, snapshotFile: string): Promise<UsedPack[]> {
  const key = usesKey(snapshotFile);
  if (!(await content.store.stat(key))) throw new OperationError(`${content.store.location} holds no ${key}: which packs ${snapshotFile} needs is unknown`);
  let value: { snapshot?: unknown; packs?: UsedPack[] } | undefined;
  try {
    value = JSON.parse((await readContent(content, key)).toString('utf8')) as typeof value;
  } catch (error) {
    if (error instanceof DecryptionError) throw new OperationError(`${content.store.location}/${key} cannot be decrypted: ${error.message}`);
    value = undefined;
  }
  const packs = value?.packs;
  if (value?.snapshot !== snapshotFile || !Array.isArray(packs) || !packs.every((p) => isHexId(p?.id) && Number.isSafeInteger(p.size) && p.size > 0)) {
    throw new OperationError(`${content.store.location}/${key} is not the record of the packs ${snapshotFile} needs`);
  }
  return packs;
}

/** Writes the packs `snapshotFile` uses (before its snapshot file: see the upload's order). */
export async function writeUses(content: RemoteContent, snapshotFile: string, packs: UsedPack[], signal?: AbortSignal): Promise<void> {
  await putContent(content, usesKey(snapshotFile), [Buffer.from(JSON.stringify({ snapshot: snapshotFile, packs }) + '\n', 'utf8')], { signal });
}

/** The snapshot files in the bucket's top level (whatever their manifests say: each one keeps its data). */
export async function remoteSnapshotFiles(store: ObjectStore): Promise<string[]> {
  return (await store.list('', { shallow: true })).map((o) => o.key).filter(isIncrementalFile);
}
