// The tar stream of an incremental backup (what a download sends and verify reads) and its members (what
// a rollback and a drill extract, read on a worker thread: snapshot-read.ts) check every blob against
// its id as they read it, and damage in the store ends them naming what is wrong, also where the
// extraction leaves a member's data unread. A byte changed in a compressed blob, in a blob stored as is,
// a pack cut short and a pack gone, each on a copy of the same store; an undamaged store streams every
// byte of the tree, and its members (with the worker's decompressor driven by hand, and with a call per
// blob) are the ones readTar finds in that stream, each file's bytes exactly.
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readListing, type ListingEntry } from '../../src/archive/content/listing.js';
import { openSnapshot } from '../../src/archive/content/open-snapshot.js';
import { snapshotTar } from '../../src/archive/content/snapshot-tar.js';
import { readSnapshot, startSnapshotReadAhead } from '../../src/archive/snapshot-read.js';
import { waitsAhead } from '../../src/archive/worker-module.js';
import type { TarHeader } from '../../src/archive/tar-header.js';
import { packPathOf, type BlobPlace } from '../../src/archive/content/store-layout.js';
import { readTar, type TarMember } from '../../src/archive/tar-reader.js';
import { createIncrementalBackup } from '../../src/core/backup/incremental.js';
import type { BackupRecord } from '../../src/shared/types.js';

/** What reading the backup in `backupDir` came to: its bytes, or the error that ended it. */
interface Outcome {
  bytes: number;
  error?: Error;
}

/**
 * Drains the stream of the backup in `backupDir`, or (`members`) its members read on the worker thread,
 * leaving their data unread (`one shot`: a decompressing call per blob).
 */
async function drain(backupDir: string, record: BackupRecord, members?: 'by hand' | 'one shot'): Promise<Outcome> {
  let bytes = 0;
  if (members) {
    try {
      const read = await readSnapshot({ file: path.join(backupDir, record.file), oneShot: members === 'one shot' });
      for await (const member of read.members) bytes += member.header.size;
      return { bytes };
    } catch (error) {
      return { bytes, error: error as Error };
    }
  }
  const snapshot = await openSnapshot(path.join(backupDir, record.file));
  try {
    for await (const chunk of snapshotTar(snapshot.reader, snapshot.document.listing)) bytes += chunk.length;
    return { bytes };
  } catch (error) {
    return { bytes, error: error as Error };
  } finally {
    await snapshot.close();
  }
}

/** The members of a tar stream or a snapshot: each header, and the sha256 of each file's data. */
async function membersOf(members: AsyncIterable<TarMember>): Promise<{ header: TarHeader; sha256?: string }[]> {
  const seen: { header: TarHeader; sha256?: string }[] = [];
  for await (const member of members) {
    if (member.header.type !== 'file') {
      seen.push({ header: member.header });
      continue;
    }
    const hash = createHash('sha256');
    for await (const piece of member.body) hash.update(piece);
    seen.push({ header: member.header, sha256: hash.digest('hex') });
  }
  return seen;
}

describe('the tar stream and the members of an incremental backup', () => {
  let base: string;
  let record: BackupRecord;
  let entries: ListingEntry[];
  /** Where the first blob of the file at `rel` is. */
  let placeOf: (rel: string) => { packId: string; place: BlobPlace };

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'lifeboat-snapshot-damage-'));
    const root = path.join(base, 'shop');
    await mkdir(path.join(root, 'app/code'), { recursive: true });
    await mkdir(path.join(root, 'var/backups'), { recursive: true });
    // Enough files for many batches; text compresses (zstd blobs), random bytes are stored as they are.
    for (let i = 0; i < 3000; i++) await writeFile(path.join(root, 'app/code', `Class${i}.php`), `<?php class Class${i} {}\n`.repeat(1 + (i % 40)));
    await writeFile(path.join(root, 'app/code/noise.bin'), randomBytes(300_000));
    // Files of several blobs, some of them 512 KiB or more (passed on as they are, between gathered pieces).
    for (let i = 0; i < 6; i++) await writeFile(path.join(root, 'app/code', `big${i}.bin`), randomBytes(700_000 + i * 400_000));
    const shop = { root, backupDir: path.join(root, 'var/backups'), home: path.join(root, 'var/lifeboat'), exclude: [] };
    record = await createIncrementalBackup('code', shop, undefined);
    const snapshot = await openSnapshot(path.join(shop.backupDir, record.file));
    try {
      entries = [];
      for await (const entry of readListing(snapshot.reader, snapshot.document.listing)) entries.push(entry);
      const index = snapshot.reader.index;
      placeOf = (rel) => {
        const id = entries.find((e) => e.path === rel)!.chunks![0];
        return index.find(id)!;
      };
    } finally {
      await snapshot.close();
    }
  });

  /**
   * A copy of the backup folder, damaged by `damage`; the stream's outcome, which the members' (their
   * data left unread, as an extraction leaves what it skips) must share.
   */
  const damagedCopy = async (name: string, damage: (storeDir: string) => Promise<void>) => {
    const backupDir = path.join(base, name);
    await cp(path.join(base, 'shop/var/backups'), backupDir, { recursive: true });
    await damage(path.join(backupDir, 'incremental'));
    const stream = await drain(backupDir, record);
    for (const way of ['by hand', 'one shot'] as const) {
      const members = await drain(backupDir, record, way);
      expect(members.error?.name, way).toBe(stream.error?.name);
      expect(members.error?.message, way).toBe(stream.error?.message);
    }
    return stream;
  };
  const flipByte = async (file: string, at: number) => {
    const handle = await open(file, 'r+');
    try {
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, at);
      byte[0] ^= 0xff;
      await handle.write(byte, 0, 1, at);
    } finally {
      await handle.close();
    }
  };

  it('streams every byte of an undamaged store', async () => {
    const { bytes, error } = await drain(path.join(base, 'shop/var/backups'), record);
    expect(error).toBeUndefined();
    const content = entries.reduce((sum, e) => sum + (e.type === 'file' ? Math.ceil((e.size ?? 0) / 512) * 512 : 0), 0);
    expect(bytes).toBeGreaterThan(content + entries.length * 512);
    expect(bytes % 10240).toBe(0);
  });

  it("has the members readTar finds in the tar stream, each file's bytes exactly", async () => {
    const snapshot = await openSnapshot(path.join(base, 'shop/var/backups', record.file));
    try {
      const fromStream = await membersOf(readTar(snapshotTar(snapshot.reader, snapshot.document.listing)));
      const direct = await membersOf((await readSnapshot({ file: path.join(base, 'shop/var/backups', record.file), expected: record.manifest!.archive })).members);
      expect(direct.length).toBe(entries.length);
      // The stream's headers carry a few fields of their own (owner names, the pax path): compare what a member means.
      const meaning = ({ header, sha256 }: { header: TarHeader; sha256?: string }) => ({ path: header.path, type: header.type, mode: header.mode, uid: header.uid, gid: header.gid, size: header.size, mtimeNs: header.mtimeNs, linkname: header.linkname || undefined, sha256 });
      expect(direct.map(meaning)).toEqual(fromStream.map(meaning));
      const oneShot = await readSnapshot({ file: path.join(base, 'shop/var/backups', record.file), oneShot: true });
      expect((await membersOf(oneShot.members)).map(meaning)).toEqual(fromStream.map(meaning));
      const files = direct.filter((member) => member.header.type === 'file');
      for (const file of files) expect(file.sha256, file.header.path).toBe(createHash('sha256').update(await readFile(path.join(base, 'shop', file.header.path))).digest('hex'));
      expect(files.some((file) => file.header.size > 1 << 20)).toBe(true);
    } finally {
      await snapshot.close();
    }
  });

  it('names a compressed blob whose stored bytes were changed', async () => {
    const { packId, place } = placeOf('app/code/Class1500.php');
    expect(place.zstd).toBe(true);
    const { error } = await damagedCopy('zstd-blob', (store) => flipByte(packPathOf(store, packId), place.offset + Math.floor(place.length / 2)));
    expect(error?.name).toBe('BlobDamagedError');
    expect(error?.message).toMatch(new RegExp(`^blob ${place.id} (cannot be decompressed|does not match its sha256|has \\d+ bytes)`));
  });

  it('names a blob stored as is whose bytes were changed', async () => {
    const { packId, place } = placeOf('app/code/noise.bin');
    expect(place.zstd).toBe(false);
    const { error } = await damagedCopy('plain-blob', (store) => flipByte(packPathOf(store, packId), place.offset + 1000));
    expect(error?.name).toBe('BlobDamagedError');
    expect(error?.message).toBe(`blob ${place.id} does not match its sha256`);
  });

  it('names the pack that ends before a blob, and the pack that is gone', async () => {
    const { packId, place } = placeOf('app/code/Class2999.php');
    const cut = await damagedCopy('cut-pack', (store) => truncate(packPathOf(store, packId), place.offset + 1));
    expect(cut.error?.name).toBe('BlobDamagedError');
    // Cut after its first byte: the first blob the stream needs from there on is named.
    expect(cut.error?.message).toMatch(new RegExp(`^pack ${packId} ends before blob [0-9a-f]{64} \\(at \\d+ of \\d+\\)$`));
    const gone = await damagedCopy('gone-pack', (store) => rm(packPathOf(store, packId)));
    expect(gone.error?.name).toBe('BlobDamagedError');
    expect(gone.error?.message).toBe(`pack ${packId} of the incremental store is missing`);
  });

  it('reads on the worker only the chosen paths, from a thread started ahead, and stops when closed', async () => {
    const file = path.join(base, 'shop/var/backups', record.file);
    startSnapshotReadAhead();
    expect(waitsAhead('snapshot-read-worker')).toBe(true);
    const chosen = await readSnapshot({ file, only: ['app/code/big2.bin', 'app/code/Class7.php'] });
    expect(waitsAhead('snapshot-read-worker')).toBe(false);
    const got = await membersOf(chosen.members);
    expect(got.map((m) => m.header.path).sort()).toEqual(['app/code/Class7.php', 'app/code/big2.bin']);
    for (const member of got) expect(member.sha256).toBe(createHash('sha256').update(await readFile(path.join(base, 'shop', member.header.path))).digest('hex'));

    // Closed half-way (a cancelled rollback): the next member is an error, and the thread is gone.
    const read = await readSnapshot({ file });
    for (let i = 0; i < 100; i++) expect((await read.members.next()).done).toBe(false);
    await read.close();
    await expect(read.members.next()).rejects.toThrow('the snapshot was not read to its end');
    // Left by its taker (an extraction that failed): ended without reading on.
    const left = await readSnapshot({ file });
    await left.members.next();
    expect((await left.members.return(undefined)).done).toBe(true);
  });

  it('refuses on the worker a snapshot file that is not the one its manifest describes', async () => {
    const file = path.join(base, 'shop/var/backups', record.file);
    const error = await readSnapshot({ file, expected: { size: record.manifest!.archive.size, sha256: '0'.repeat(64) } }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('SnapshotMismatchError');
  });
});
