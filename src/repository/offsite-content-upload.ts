// The data of an incremental backup on its way to the bucket, before its snapshot file and manifest
// (offsite-copy.ts puts those, in that order, as for any archive): the packs it needs that the bucket
// lacks, a few at once, then one index file naming the packs no backup in the bucket has recorded yet,
// then its uses record (every pack it needs). Packs are immutable and named by their table's sha256, so
// a pack the bucket holds at its size is not sent again: what the bucket holds is read from one listing
// of its packs, taken before any is sent, so that an upload after one that was killed sends only what
// that one had not. Nothing refers to what is sent until the uses record is written, and no backup is
// listed until its manifest is: an upload that fails leaves objects that the next prune of the bucket
// removes (the job lock keeps a prune from running meanwhile).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { encryptedSize, type EncryptionSecret } from '../archive/encrypt.js';
import { openSnapshot } from '../archive/content/open-snapshot.js';
import { indexFilePieces, type PackTable } from '../archive/content/index-file.js';
import { checkedPackTable, packBlobs } from '../archive/content/pack-table.js';
import { packsOfSnapshot, type UsedPack } from '../archive/content/snapshot-packs.js';
import { packPathOf, storeDirOf } from '../archive/content/store-layout.js';
import type { ObjectStore } from '../stores/store.js';
import type { BackupRecord } from '../shared/types.js';
import { forEachAtMost } from '../shared/at-most.js';
import { DATA_PREFIX, indexKey, packKey, prepareRemoteContent, putContent, readUses, remoteSnapshotFiles, writeUses, type RemoteContent } from './offsite-content.js';

export interface ContentUploadOptions {
  signal?: AbortSignal;
  /** Bytes of packs sent so far, of `total`. */
  onBytes?: (bytes: number, total: number) => void;
}

/** The packs an upload sent (those the bucket lacked), and their bytes as stored locally. */
export interface SentPacks {
  packs: number;
  bytes: number;
}

/**
 * Packs sent at once, each streamed from disk with two multipart parts (S3: 5 MiB each) in flight: four
 * requests at a time, as one pack with the store's four parts had. Every send in flight holds its own
 * buffers (encryption, parts): the encrypted copy of a 300 MiB first backup (19 packs, local S3 test
 * server, loaded machine) peaked at 265-287 MiB with four packs of four or one part each, 210-242 MiB
 * with two of two, 185-205 MiB one at a time (4.2-4.5 s wall with two, 4.4-4.8 s with one; 3.5 s with
 * four). The bandwidth cap (LIFEBOAT_S3_LIMIT_UPLOAD) is one budget the sends share.
 */
export const PACKS_AT_ONCE = 2;
const PARTS_AT_ONCE_PER_PACK = 2;

/** The pack objects in the bucket and their sizes as stored, from one listing. */
async function listedPacks(content: RemoteContent): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for (const object of await content.store.list(DATA_PREFIX)) sizes.set(object.key, object.size);
  return sizes;
}

/**
 * Whether the bucket holds `pack` whole: an object under its key of the size the pack has once stored
 * (encrypted, when the store is). Puts are atomic, so a killed one leaves no object; one of another
 * size (cut short by something else) is not taken as the pack and is sent again.
 */
function heldWhole(listed: Map<string, number>, content: RemoteContent, pack: UsedPack): boolean {
  return listed.get(packKey(pack.id)) === (content.secret ? encryptedSize(pack.size) : pack.size);
}

/** The packs the uses records of the snapshot files in the bucket name: there, and named by an index. */
async function recordedPacks(content: RemoteContent): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const file of await remoteSnapshotFiles(content.store)) {
    // A record that cannot be read names nothing here: its packs are sent again if this backup needs them.
    for (const pack of await readUses(content, file).catch(() => [])) ids.add(pack.id);
  }
  return ids;
}

/** The packs the local snapshot `record` needs (its snapshot file checked against its manifest first). */
async function localPacks(backupDir: string, record: BackupRecord): Promise<UsedPack[]> {
  const snapshot = await openSnapshot(path.join(backupDir, record.file), record.manifest?.archive);
  try {
    return await packsOfSnapshot(storeDirOf(backupDir), snapshot.reader, snapshot.document.listing);
  } finally {
    await snapshot.close();
  }
}

/** Checks a local pack's blob table (against its id, and its blobs against its size) before it is sent. */
async function checkLocalPack(storeDir: string, pack: UsedPack): Promise<void> {
  const handle = await open(packPathOf(storeDir, pack.id), 'r');
  try {
    await packBlobs(handle, pack.size, pack.id);
  } finally {
    await handle.close();
  }
}

/** The blob tables of local packs (each still hashing to its id), one at a time. */
async function* localPackTables(storeDir: string, packs: readonly UsedPack[]): AsyncGenerator<PackTable> {
  for (const pack of packs) {
    const handle = await open(packPathOf(storeDir, pack.id), 'r');
    try {
      yield { id: pack.id, size: pack.size, table: await checkedPackTable(handle, pack.size, pack.id) };
    } finally {
      await handle.close();
    }
  }
}

/**
 * Puts the bucket's index file naming `packs` (local packs), built twice a pack at a time from their
 * own tables' bytes, first for its id (its sha256), then to send: an upload holds no list of their blobs.
 */
async function putIndex(content: RemoteContent, storeDir: string, packs: readonly UsedPack[], signal: AbortSignal | undefined): Promise<void> {
  const hash = createHash('sha256');
  for await (const piece of indexFilePieces(localPackTables(storeDir, packs))) hash.update(piece);
  await putContent(content, indexKey(hash.digest('hex')), Readable.from(indexFilePieces(localPackTables(storeDir, packs))), { signal });
}

/** Sends one local pack, its table checked first. `onSent`: its bytes read so far. */
async function sendPack(content: RemoteContent, storeDir: string, pack: UsedPack, signal: AbortSignal, onSent: (bytes: number) => void): Promise<void> {
  const file = packPathOf(storeDir, pack.id);
  await checkLocalPack(storeDir, pack);
  let read = 0;
  const onBytes = (bytes: number) => onSent((read = bytes));
  await putContent(content, packKey(pack.id), createReadStream(file, { highWaterMark: 1 << 20 }), { signal, onBytes, partsAtOnce: PARTS_AT_ONCE_PER_PACK });
  if (read !== pack.size) throw new Error(`pack ${pack.id} is ${pack.size} bytes, ${read} were sent`);
}

/** Sends `packs`, PACKS_AT_ONCE at a time; `onBytes` is told the bytes of all of them read so far. */
async function sendPacks(content: RemoteContent, storeDir: string, packs: readonly UsedPack[], options: ContentUploadOptions): Promise<number> {
  const total = packs.reduce((sum, pack) => sum + pack.size, 0);
  const readOf = new Map<string, number>();
  let read = 0;
  await forEachAtMost(packs, PACKS_AT_ONCE, options.signal, (pack, signal) =>
    sendPack(content, storeDir, pack, signal, (bytes) => {
      read += bytes - (readOf.get(pack.id) ?? 0);
      readOf.set(pack.id, bytes);
      options.onBytes?.(read, total);
    }),
  );
  return total;
}

/**
 * Uploads what the bucket lacks of the data of the incremental backup `record` (in `backupDir`), and
 * its uses record. Encrypted with `secret` when given; refused when the bucket's store is encrypted
 * otherwise (offsite-content.ts).
 */
export async function uploadContent(store: ObjectStore, backupDir: string, record: BackupRecord, secret: EncryptionSecret | undefined, options: ContentUploadOptions = {}): Promise<SentPacks> {
  const content = await prepareRemoteContent(store, secret, options.signal);
  const storeDir = storeDirOf(backupDir);
  const packs = await localPacks(backupDir, record);
  const recorded = await recordedPacks(content);
  // A recorded pack is never sent again (nothing a listed backup uses is overwritten); of the others,
  // those a failed or killed upload left whole are not either, but still go into this one's index.
  const unrecorded = packs.filter((pack) => !recorded.has(pack.id));
  const listed = await listedPacks(content);
  const lacking = unrecorded.filter((pack) => !heldWhole(listed, content, pack));
  const sent = await sendPacks(content, storeDir, lacking, options);
  if (unrecorded.length > 0) await putIndex(content, storeDir, unrecorded, options.signal);
  await writeUses(content, record.file, packs, options.signal);
  return { packs: lacking.length, bytes: sent };
}
