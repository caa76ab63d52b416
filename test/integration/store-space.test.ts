// What an incremental store takes on disk. After a first backup and ten rounds that each change 1 % of
// the files, spread over the tree (as the bench's space rounds do), the listings take a few times one
// listing, not eleven: a change stores again only the few listing blobs around it. A pack's blob table
// is a zstd frame of its JSON, much smaller than the JSON; a pack written before that (its table plain
// JSON, `LBPACK01`) is still read and checked.
import { createHash } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, open, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { zstdDecompressSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlobReader } from '../../src/archive/content/blob-reader.js';
import { BlobWriter, openStore } from '../../src/archive/content/blob-writer.js';
import { indexFileText } from '../../src/archive/content/index-file.js';
import { readListing } from '../../src/archive/content/listing.js';
import { openSnapshot } from '../../src/archive/content/open-snapshot.js';
import { packBlobs } from '../../src/archive/content/pack-table.js';
import { PACK_MAGIC, PACK_MAGIC_ZSTD } from '../../src/archive/content/pack-writer.js';
import { checkStoreStructure } from '../../src/archive/content/store-check.js';
import { packPathOf, type BlobPlace, type PackRecord } from '../../src/archive/content/store-layout.js';
import { createIncrementalBackup } from '../../src/core/backup/incremental.js';
import type { ShopLayout } from '../../src/core/tree-scope.js';
import type { BackupRecord } from '../../src/shared/types.js';

const FOLDERS = 60;
const FILES_PER_FOLDER = 40;
const ROUNDS = 10;

/** Sizes of the files under `dir`, added up (what `du -b` counts, less the folders). */
async function bytesIn(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  return total;
}

/** Stored bytes of the distinct blobs that hold the listings of `records`. */
async function listingBytes(backupDir: string, records: BackupRecord[]): Promise<{ stored: number; blobs: number; entries: number }> {
  const seen = new Set<string>();
  let stored = 0;
  let entries = 0;
  for (const record of records) {
    const snapshot = await openSnapshot(path.join(backupDir, record.file), record.manifest?.archive);
    try {
      for (const id of snapshot.document.listing) {
        if (seen.has(id)) continue;
        seen.add(id);
        stored += snapshot.reader.index.find(id)?.place.length ?? Number.NaN;
      }
      entries = 0;
      for await (const entry of readListing(snapshot.reader, snapshot.document.listing)) entries += entry.path ? 1 : 0;
    } finally {
      await snapshot.close();
    }
  }
  return { stored, blobs: seen.size, entries };
}

describe('the space of an incremental store after rounds of 1 % changes', () => {
  let base: string;
  let shop: ShopLayout;
  const records: BackupRecord[] = [];

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'lifeboat-space-'));
    const root = path.join(base, 'shop');
    for (let f = 0; f < FOLDERS; f++) {
      const dir = path.join(root, 'app/code/Vendor', `Module${String(f).padStart(3, '0')}`, 'Model');
      await mkdir(dir, { recursive: true });
      for (let i = 0; i < FILES_PER_FOLDER; i++) await writeFile(path.join(dir, `Class${i}.php`), `<?php\n// module ${f}, class ${i}\nclass Class${i} { public $value = ${f * 1000 + i}; }\n`);
    }
    shop = { root, backupDir: path.join(base, 'backups'), home: path.join(base, 'home'), exclude: [] };
    await mkdir(shop.backupDir, { recursive: true });
    records.push(await createIncrementalBackup('code', shop, undefined));
    const files = FOLDERS * FILES_PER_FOLDER;
    const changed = Math.round(files / 100);
    for (let round = 1; round <= ROUNDS; round++) {
      // 1 % of the files, evenly over the tree from an offset that moves: a third edited, a third added beside, a third removed.
      for (let i = 0; i < changed; i++) {
        const n = (round * 37 + Math.floor((i * files) / changed)) % files;
        const file = path.join(root, 'app/code/Vendor', `Module${String(Math.floor(n / FILES_PER_FOLDER)).padStart(3, '0')}`, 'Model', `Class${n % FILES_PER_FOLDER}.php`);
        if (i % 3 === 0) await appendFile(file, `// edited in round ${round}\n`).catch(() => undefined);
        else if (i % 3 === 1) await writeFile(`${file}.new-${round}.php`, `<?php // added in round ${round}\n`);
        else await unlink(file).catch(() => undefined);
      }
      records.push(await createIncrementalBackup('code', shop, undefined));
    }
  }, 120_000);

  it('stores the listings of eleven backups in a few times the space of one', async () => {
    const first = await listingBytes(shop.backupDir, records.slice(0, 1));
    const all = await listingBytes(shop.backupDir, records);
    // Each round changed about 1 in 60 of the listing's lines (a file and its folder's mtime): with a
    // blob per 25 lines or so, a third of the blobs or less. A listing in big blobs stored eleven.
    expect(all.stored).toBeLessThan(5 * first.stored);
    // About 2,500 entries: blobs of a few KiB, not one blob of the whole listing.
    expect(first.blobs).toBeGreaterThan(20);
    expect(all.entries).toBeGreaterThan(FOLDERS * FILES_PER_FOLDER);
    // The whole store: the eleven listings are a small part of it.
    const store = await bytesIn(path.join(shop.backupDir, 'incremental'));
    expect(all.stored).toBeLessThan(store / 2);
  });
});

describe("a pack's blob table", () => {
  let storeDir: string;
  let pack: PackRecord;
  const plain = new Map<string, Buffer>();

  beforeAll(async () => {
    storeDir = path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-pack-table-')), 'incremental');
    const writer = new BlobWriter(storeDir, await openStore(storeDir));
    for (let i = 0; i < 500; i++) {
      const text = Buffer.from(`<?php // file ${i}\n${'echo "line";\n'.repeat(i % 40)}`);
      plain.set(await writer.store(text, false), text);
    }
    await writer.commit();
    const index = await readdir(path.join(storeDir, 'index'));
    expect(index).toHaveLength(1);
    [pack] = (JSON.parse(await readFile(path.join(storeDir, 'index', index[0]), 'utf8')) as { packs: PackRecord[] }).packs;
  });

  it('is stored as a zstd frame of its JSON, less than half its size, and the pack id is the JSON\'s sha256', async () => {
    const bytes = await readFile(packPathOf(storeDir, pack.id));
    expect(bytes.subarray(bytes.length - 8).equals(PACK_MAGIC_ZSTD)).toBe(true);
    const storedLength = bytes.readUInt32LE(bytes.length - 12);
    const json = zstdDecompressSync(bytes.subarray(bytes.length - 12 - storedLength, bytes.length - 12));
    expect(json.toString('utf8')).toBe(JSON.stringify(pack.blobs));
    expect(createHash('sha256').update(json).digest('hex')).toBe(pack.id);
    expect(storedLength).toBeLessThan(json.length / 2);
    expect(await checkStoreStructure(storeDir)).toEqual([]);
  });

  it('of a pack written before (plain JSON, LBPACK01) is still read and checked, and its blobs read back', async () => {
    // The same pack as an older Lifeboat wrote it: the blobs, the table's JSON, its length, LBPACK01.
    const file = packPathOf(storeDir, pack.id);
    const bytes = await readFile(file);
    const end = Math.max(...pack.blobs.map((b: BlobPlace) => b.offset + b.length));
    const json = Buffer.from(JSON.stringify(pack.blobs), 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32LE(json.length, 0);
    const old = Buffer.concat([bytes.subarray(0, end), json, length, PACK_MAGIC]);
    await writeFile(file, old);
    const [indexName] = await readdir(path.join(storeDir, 'index'));
    await writeFile(path.join(storeDir, 'index', indexName), indexFileText([{ ...pack, size: old.length }]));
    expect(await checkStoreStructure(storeDir)).toEqual([]);
    const handle = await open(file, 'r');
    try {
      expect(await packBlobs(handle, old.length, pack.id)).toEqual(pack.blobs);
    } finally {
      await handle.close();
    }
    const reader = new BlobReader(storeDir, await openStore(storeDir, 'read'));
    try {
      for (const [id, text] of plain) expect((await reader.read(id)).equals(text)).toBe(true);
    } finally {
      await reader.close();
    }
  });
});
