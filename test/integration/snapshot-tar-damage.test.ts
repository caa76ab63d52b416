// The tar stream of an incremental backup (what a rollback extracts and a download sends) checks every
// blob against its id as it reads it, and damage in the store ends the stream naming what is wrong. A byte
// changed in a compressed blob, in a blob stored as is, a pack cut short and a pack gone, each on a copy
// of the same store; an undamaged store streams every byte of the tree, also with its buffers reused as
// a rollback reads it (what the reader got from the last two chunks stays as it was).
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readListing, type ListingEntry } from '../../src/archive/content/listing.js';
import { openSnapshot } from '../../src/archive/content/open-snapshot.js';
import { snapshotTar } from '../../src/archive/content/snapshot-tar.js';
import { packPathOf, type BlobPlace } from '../../src/archive/content/store-layout.js';
import { readTar } from '../../src/archive/tar-reader.js';
import { createIncrementalBackup } from '../../src/core/backup/incremental.js';
import type { BackupRecord } from '../../src/shared/types.js';

/** Drains the stream of the backup in `backupDir`; its bytes, or the error that ended it. */
async function drain(backupDir: string, record: BackupRecord): Promise<{ bytes: number; error?: Error }> {
  const snapshot = await openSnapshot(path.join(backupDir, record.file));
  let bytes = 0;
  try {
    for await (const chunk of snapshotTar(snapshot.reader, snapshot.document.listing)) bytes += chunk.length;
    return { bytes };
  } catch (error) {
    return { bytes, error: error as Error };
  } finally {
    await snapshot.close();
  }
}

describe('the tar stream of a damaged incremental store', () => {
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

  /** A copy of the backup folder, damaged by `damage`; the stream's outcome. */
  const damagedCopy = async (name: string, damage: (storeDir: string) => Promise<void>) => {
    const backupDir = path.join(base, name);
    await cp(path.join(base, 'shop/var/backups'), backupDir, { recursive: true });
    await damage(path.join(backupDir, 'incremental'));
    return drain(backupDir, record);
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

  it('with its buffers reused (as a rollback reads it), readTar still reads every file exactly', async () => {
    const snapshot = await openSnapshot(path.join(base, 'shop/var/backups', record.file));
    const read = new Map<string, string>();
    try {
      for await (const member of readTar(snapshotTar(snapshot.reader, snapshot.document.listing, undefined, true))) {
        if (member.header.type !== 'file') continue;
        const hash = createHash('sha256');
        for await (const piece of member.body) hash.update(piece);
        read.set(member.header.path, hash.digest('hex'));
      }
    } finally {
      await snapshot.close();
    }
    const files = entries.filter((e) => e.type === 'file');
    expect(read.size).toBe(files.length);
    // The promise to such a reader: what it got from the last two chunks stays as it was.
    const kept: { view: Buffer; copy: Buffer }[] = [];
    let chunks = 0;
    const again = await openSnapshot(path.join(base, 'shop/var/backups', record.file));
    try {
      for await (const chunk of snapshotTar(again.reader, again.document.listing, undefined, true)) {
        for (const { view, copy } of kept) expect(view.equals(copy)).toBe(true);
        kept.push({ view: chunk, copy: Buffer.from(chunk) });
        if (kept.length > 2) kept.shift();
        chunks++;
      }
    } finally {
      await again.close();
    }
    expect(chunks).toBeGreaterThan(6);
    for (const file of files) expect(read.get(file.path), file.path).toBe(createHash('sha256').update(await readFile(path.join(base, 'shop', file.path))).digest('hex'));
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
});
