// An incremental backup's walk runs on a worker thread that hands over each entry's listing line (or a
// file's line in pieces), and an unchanged file's line is taken from the previous listing as it stands.
// On the corner-case tree (quoted and non-UTF-8 names, hard links, symlinks, a followed media root):
// the walk on the worker and the one on this thread (with a test hook) list the same entries with the
// same warnings; every line is what JSON.stringify of its entry gives, keys in the listing's order; a
// backup of the unchanged tree stores nothing and lists the same blobs; after a chmod, a touch and
// edits, exactly those files are read, and the listing holds their new status and contents; a
// cancelled backup stops (its walking thread with it) and leaves nothing.
import { appendFile, chmod, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { DatabaseSync } from 'node:sqlite';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSnapshot, type OpenedSnapshot } from '../../src/archive/content/open-snapshot.js';
import { readListing, readListingTexts, type ListingEntry } from '../../src/archive/content/listing.js';
import { createIncrementalBackup } from '../../src/core/backup/incremental.js';
import type { ShopLayout } from '../../src/core/tree-scope.js';
import type { BackupRecord } from '../../src/shared/types.js';
import { buildCornerShop } from '../helpers/tree.js';

const KEYS: Record<string, string[]> = {
  file: ['path', 'mode', 'uid', 'gid', 'mtimeNs', 'type', 'size', 'chunks', 'inode', 'ctimeNs'],
  dir: ['path', 'mode', 'uid', 'gid', 'mtimeNs', 'type'],
  followed: ['path', 'mode', 'uid', 'gid', 'mtimeNs', 'type', 'followed'],
  symlink: ['path', 'mode', 'uid', 'gid', 'mtimeNs', 'type', 'target'],
  hardlink: ['path', 'mode', 'uid', 'gid', 'mtimeNs', 'type', 'target'],
};

async function withSnapshot<T>(backupDir: string, record: BackupRecord, use: (snapshot: OpenedSnapshot) => Promise<T>): Promise<T> {
  const snapshot = await openSnapshot(path.join(backupDir, record.file), record.manifest?.archive);
  try {
    return await use(snapshot);
  } finally {
    await snapshot.close();
  }
}

/** The snapshot's listing lines, each checked to be JSON.stringify of its entry with the keys in order. */
async function linesOf(backupDir: string, record: BackupRecord): Promise<string[]> {
  return withSnapshot(backupDir, record, async ({ reader, document }) => {
    const lines: string[] = [];
    for await (const { text } of readListingTexts(reader, document.listing)) lines.push(...text.split('\n').filter((l) => l));
    for (const line of lines) {
      const entry = JSON.parse(line) as ListingEntry;
      expect(JSON.stringify(entry)).toBe(line);
      const keys = KEYS[entry.followed !== undefined ? 'followed' : entry.type];
      // The database dump's entry has no inode and ctime: no backup compares it with the tree.
      expect(Object.keys(entry), line).toEqual(entry.type === 'file' && entry.inode === undefined ? keys.slice(0, -2) : keys);
    }
    return lines;
  });
}

/** The contents of `rel` as the snapshot holds it. */
async function contentsIn(backupDir: string, record: BackupRecord, rel: string): Promise<Buffer | undefined> {
  return withSnapshot(backupDir, record, async ({ reader, document }) => {
    for await (const entry of readListing(reader, document.listing)) {
      if (entry.path !== rel) continue;
      const pieces: Buffer[] = [];
      for (const id of entry.chunks ?? []) pieces.push(await reader.read(id));
      return Buffer.concat(pieces);
    }
    return undefined;
  });
}

describe("an incremental backup's walk on a worker thread", () => {
  let base: string;
  let shop: ShopLayout;
  let first: BackupRecord;
  let firstLines: string[];
  const at = (rel: string) => path.join(shop.root, rel);

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'lifeboat-incremental-walk-'));
    const root = path.join(base, 'shop');
    await mkdir(root);
    await buildCornerShop(root, path.join(base, 'media-store'));
    // A name that is not UTF-8: left out with a warning, by either walk.
    await writeFile(Buffer.concat([Buffer.from(`${root}/lib/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from('.txt')]), 'x');
    shop = { root, backupDir: path.join(base, 'backups'), home: path.join(base, 'home'), exclude: ['*.bak'] };
    await mkdir(shop.backupDir);
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('lists the same as the walk on this thread; an unchanged tree lists the same blobs and stores nothing', async () => {
    first = await createIncrementalBackup('code', shop, undefined);
    firstLines = await linesOf(shop.backupDir, first);
    const files = first.manifest?.tree?.files ?? 0;
    expect(files).toBeGreaterThan(20);
    expect(first.manifest?.tree).toMatchObject({ hardlinks: 2, symlinks: 4 });
    expect(first.manifest?.warnings).toEqual([expect.stringMatching(/^lib\/bad-.*: the name is not valid UTF-8; left out of the backup$/)]);

    // The walk on this thread, as with any test hook: the same lines, every file taken from the first listing.
    const here = await createIncrementalBackup('code', shop, undefined, { beforeFile: () => undefined });
    expect(here.manifest?.incremental).toMatchObject({ parent: first.file, unchangedFiles: files, addedBlobs: 0 });
    expect(here.manifest?.warnings).toEqual(first.manifest?.warnings);
    expect(await linesOf(shop.backupDir, here)).toEqual(firstLines);

    const again = await createIncrementalBackup('code', shop, undefined);
    expect(again.manifest?.incremental).toMatchObject({ parent: here.file, unchangedFiles: files, addedBlobs: 0 });
    expect(again.manifest?.tree).toEqual(first.manifest?.tree);
    const [listed, listedFirst] = await Promise.all([again, first].map((r) => withSnapshot(shop.backupDir, r, async (s) => s.document.listing)));
    expect(listed).toEqual(listedFirst);
  });

  it('reads exactly the files whose status changed, and lists their new status and contents', async () => {
    const quoted = "app/it's \"quoted\" & spaced.txt"; // a path JSON escapes
    await appendFile(at(quoted), 'edited\n');
    await chmod(at('app/-rf'), 0o600); // same contents and mtime, a new ctime and mode
    await utimes(at('pub/index.php'), 1_800_000_000, 1_800_000_000.5); // same contents, a new mtime
    await writeFile(at('lib/new.txt'), 'new\n');
    const next = await createIncrementalBackup('code', shop, undefined);
    const files = next.manifest?.tree?.files ?? 0;
    expect(files).toBe((first.manifest?.tree?.files ?? 0) + 1);
    expect(next.manifest?.incremental?.unchangedFiles).toBe(files - 4);

    const entries = new Map((await linesOf(shop.backupDir, next)).map((line) => [(JSON.parse(line) as ListingEntry).path, JSON.parse(line) as ListingEntry]));
    expect(entries.get('app/-rf')?.mode).toBe(0o600);
    expect(entries.get('pub/index.php')?.mtimeNs).toBe('1800000000500000000');
    expect(await contentsIn(shop.backupDir, next, quoted)).toEqual(await readFile(at(quoted)));
    expect(await contentsIn(shop.backupDir, next, 'lib/new.txt')).toEqual(Buffer.from('new\n'));
    // Lines of unchanged entries are the first backup's, byte for byte.
    const firstByPath = new Map(firstLines.map((line) => [(JSON.parse(line) as ListingEntry).path, line]));
    expect(JSON.stringify(entries.get('lib/hard-a.txt'))).toBe(firstByPath.get('lib/hard-a.txt'));
    expect(JSON.stringify(entries.get('app/links/hard-b.txt'))).toBe(firstByPath.get('app/links/hard-b.txt'));
    expect(entries.get('lib/hard-c.txt')).toMatchObject({ type: 'hardlink', target: 'app/links/hard-b.txt' }); // the first name in walk order
  });

  it('stops the walking thread and rejects when the backup is cancelled, leaving no backup', async () => {
    const before = (await readdir(shop.backupDir)).sort();
    const cancel = new AbortController();
    const cancelled = createIncrementalBackup('code', shop, undefined, { signal: cancel.signal, onProgress: () => cancel.abort() });
    await expect(cancelled).rejects.toThrow(/abort/i);
    expect((await readdir(shop.backupDir)).sort()).toEqual(before);
  });

  it('follows the symlinked media root, and a second backup takes the media from the first listing', async () => {
    const target = { kind: 'sqlite' as const, path: path.join(base, 'shop.db') };
    const db = new DatabaseSync(target.path);
    db.exec("CREATE TABLE flag (id INTEGER PRIMARY KEY, code TEXT); INSERT INTO flag VALUES (1, 'walk');");
    db.close();
    const media = path.join(base, 'media-store');
    const system = await createIncrementalBackup('system', shop, target);
    expect(system.manifest?.tree?.followedSymlinks).toEqual([{ path: 'pub/media', target: media }]);
    const lines = await linesOf(shop.backupDir, system);
    const mediaLine = lines.find((line) => line.startsWith('{"path":"pub/media",'));
    expect(JSON.parse(mediaLine ?? '{}')).toMatchObject({ type: 'dir', followed: media });
    expect(lines.some((line) => line.startsWith('{"path":"pub/media/catalog/product/a/b/shirt.jpg",'))).toBe(true);

    const again = await createIncrementalBackup('system', shop, target);
    expect(again.manifest?.tree).toEqual(system.manifest?.tree);
    expect(again.manifest?.incremental?.unchangedFiles).toBe(system.manifest?.tree?.files);
    // The same lines but the database dump's, whose name has the backup's time.
    const dumps = (l: string) => !l.startsWith('{"path":"var/') || !l.includes('_db.sql');
    expect((await linesOf(shop.backupDir, again)).filter(dumps)).toEqual(lines.filter(dumps));
  });
});
