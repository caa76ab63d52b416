// Incremental backups at the content store's level, on the corner-case tree: the snapshot streamed as
// tar and extracted by GNU tar is exactly the tree; a second backup after a few edits, additions and
// removals reads only the changed files and stores only the changed data (one chunk of an edited big
// file); both snapshots stay whole. A backup killed half-way leaves no backup; prune removes what it
// wrote, and after a delete the packs only the deleted snapshot used. The README's script for reading a
// snapshot without Lifeboat restores it too.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, open, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openSnapshot } from '../../src/archive/content/open-snapshot.js';
import { snapshotTar } from '../../src/archive/content/snapshot-tar.js';
import { parseSnapshot, type SnapshotDocument } from '../../src/archive/content/snapshot-file.js';
import { checkStoreStructure } from '../../src/archive/content/store-check.js';
import { pruneStore } from '../../src/archive/content/store-prune.js';
import { PACK_MAX_BLOBS } from '../../src/archive/content/pack-writer.js';
import { runCli, startCli } from '../helpers/cli.js';
import { createIncrementalBackup } from '../../src/core/backup/incremental.js';
import type { ShopLayout } from '../../src/core/tree-scope.js';
import type { BackupRecord } from '../../src/shared/types.js';
import { buildCornerShop, fingerprintTree, ignoredInCornerShop, treeDifferences, type TreeEntry } from '../helpers/tree.js';

const BIG = 12 << 20;

/** Extracts the snapshot's tar stream with GNU tar into a new folder; its path. */
async function extractWithGnuTar(backupDir: string, record: BackupRecord, into: string): Promise<string> {
  await mkdir(into);
  const snapshot = await openSnapshot(path.join(backupDir, record.file), record.manifest?.archive);
  try {
    const tar = spawn('tar', ['-xf', '-', '-C', into], { stdio: ['pipe', 'ignore', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => tar.on('close', resolve));
    for await (const chunk of snapshotTar(snapshot.reader, snapshot.document.listing)) {
      if (!tar.stdin.write(chunk)) await new Promise((resolve) => tar.stdin.once('drain', resolve));
    }
    tar.stdin.end();
    expect(await exited).toBe(0);
  } finally {
    await snapshot.close();
  }
  return into;
}

describe('incremental backups in the content store', () => {
  let base: string;
  let shop: ShopLayout;
  let first: BackupRecord;
  let second: BackupRecord;
  let firstPrint: TreeEntry[];
  const inScope = (rel: string) => ignoredInCornerShop(rel) || rel === 'pub/media' || rel.startsWith('pub/media/');
  const print = (dir: string) => fingerprintTree(dir, { ignore: inScope });

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'lifeboat-incremental-'));
    const root = path.join(base, 'shop');
    await mkdir(root);
    await buildCornerShop(root, path.join(base, 'media-store'));
    await writeFile(path.join(root, 'lib/huge.bin'), randomBytes(BIG));
    shop = { root, backupDir: path.join(root, 'var/backups'), home: path.join(root, 'var/lifeboat'), exclude: ['*.bak'] };
    await mkdir(shop.backupDir, { recursive: true });
    firstPrint = await print(root);
  });

  it('stores the tree; GNU tar extracts the streamed snapshot to exactly the tree', async () => {
    first = await createIncrementalBackup('code', shop, undefined);
    expect(first.file).toMatch(/^\d{10}_filesystem_code\.incremental\.json$/);
    const added = first.manifest?.incremental;
    expect(added).toMatchObject({ store: 'incremental', unchangedFiles: 0 });
    expect(added?.treeBytes).toBeGreaterThan(BIG);
    expect(first.manifest?.tree?.files).toBe(firstPrint.filter((e) => e.type === 'file' && !(e.linkGroup && e.linkGroup !== e.path)).length);
    const extracted = await print(await extractWithGnuTar(shop.backupDir, first, path.join(base, 'x1')));
    expect(treeDifferences(firstPrint, extracted, 0n)).toEqual([]);
    expect((await readdir(path.join(shop.backupDir, 'incremental/index'))).length).toBe(1);
  });

  it("the README's script restores the snapshot without Lifeboat", async () => {
    const readme = await readFile(path.join(import.meta.dirname, '../../README.md'), 'utf8');
    const script = /\*\*Without Lifeboat\.\*\*[\s\S]*?```python\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(script).toBeDefined();
    const file = path.join(base, 'restore.py');
    await writeFile(file, script ?? '');
    const into = path.join(base, 'by-script');
    await mkdir(into);
    execFileSync('python3', [file, shop.backupDir, first.file, into]);
    // The script leaves owners to whoever runs it.
    const anyOwner = (entries: TreeEntry[]) => entries.map((e) => ({ ...e, uid: 0, gid: 0 }));
    expect(treeDifferences(anyOwner(firstPrint), anyOwner(await print(into)), 0n)).toEqual([]);
    await rm(into, { recursive: true, force: true });
  });

  it('a second backup reads only what changed and stores only the changed data', async () => {
    const at = (rel: string) => path.join(shop.root, rel);
    await writeFile(at('app/etc/env.php'), "<?php return ['db' => ['host' => 'db2']];\n");
    await appendFile(at('pub/static/deployed/styles.css'), 'a{}\n');
    await unlink(at('app/--help'));
    await writeFile(at('app/new-file.php'), '<?php // new\n');
    const huge = await open(at('lib/huge.bin'), 'r+');
    await huge.write(Buffer.from('an edit in the middle of a big file'), 0, undefined, BIG / 2);
    await huge.close();
    const secondPrint = await print(shop.root);

    second = await createIncrementalBackup('code', shop, undefined);
    const added = second.manifest?.incremental;
    expect(added?.parent).toBe(first.file);
    const files = second.manifest?.tree?.files ?? 0;
    expect(added?.unchangedFiles).toBe(files - 4); // env.php, styles.css, new-file.php and huge.bin were read
    // One or two chunks of the big file (each at most 4 MiB, about 1 MiB on average), the small files and
    // the listing: far less than the first backup, which held 12 MiB of random bytes.
    expect(added?.addedBytes).toBeLessThan(9 << 20);
    expect(first.manifest?.incremental?.addedBytes).toBeGreaterThan(BIG);

    const extracted = await print(await extractWithGnuTar(shop.backupDir, second, path.join(base, 'x2')));
    expect(treeDifferences(secondPrint, extracted, 0n)).toEqual([]);
    const again = await print(await extractWithGnuTar(shop.backupDir, first, path.join(base, 'x3')));
    expect(treeDifferences(firstPrint, again, 0n)).toEqual([]);
    await rm(path.join(base, 'x3'), { recursive: true, force: true });
  });

  it('a backup killed half-way leaves no backup, and prune removes what it wrote', async () => {
    // Enough new data that the backup is still writing packs when it is killed.
    await mkdir(path.join(shop.root, 'lib/bulk'));
    for (let i = 0; i < 12; i++) await writeFile(path.join(shop.root, `lib/bulk/${i}.bin`), randomBytes(8 << 20));
    const before = (await readdir(shop.backupDir)).sort();
    const child = startCli(['backup', 'code', '--incremental'], { LIFEBOAT_ROOT: shop.root, LIFEBOAT_EXCLUDE: '*.bak' });
    const dataDir = path.join(shop.backupDir, 'incremental/data');
    const indexDir = path.join(shop.backupDir, 'incremental/index');
    const indexPartials = async () => (await readdir(indexDir)).filter((n) => n.endsWith('.partial'));
    const packsBefore = await packsIn(dataDir);
    // Killed once two packs are in place and the index file names one (it is written as packs are sealed).
    const ready = async () => (await packsIn(dataDir)).length > packsBefore.length + 1 && (await indexPartials()).length > 0;
    for (let waited = 0; !(await ready()) && waited < 20_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));
    expect((await readdir(shop.backupDir)).filter((f) => !f.endsWith('.partial')).sort()).toEqual(before);
    expect((await packsIn(dataDir)).length).toBeGreaterThan(packsBefore.length); // written, named by no index
    const recovered = await runCli(['recover'], { LIFEBOAT_ROOT: shop.root });
    expect(recovered.stdout).toMatch(/removed .*incremental\/data\/\.[0-9a-f]+\.partial, left half-written/);
    // The index file it was writing a pack at a time, too (a pack was sealed before the kill).
    expect(recovered.stdout).toMatch(/removed .*incremental\/index\/\.[0-9a-f]+\.partial, left half-written/);
    expect((await readdir(dataDir)).filter((n) => n.endsWith('.partial'))).toEqual([]);
    expect(await indexPartials()).toEqual([]);
    const pruned = await pruneStore(path.join(shop.backupDir, 'incremental'), await snapshotsOf(shop.backupDir, [first, second]));
    expect(pruned.packsRemoved).toBeGreaterThan(0);
    expect((await packsIn(dataDir)).sort()).toEqual(packsBefore.sort());
    await rm(path.join(shop.root, 'lib/bulk'), { recursive: true });
  });

  it('a backup that fails half-way removes the packs it wrote', async () => {
    await mkdir(path.join(shop.root, 'lib/bulk'));
    for (let i = 0; i < 10; i++) await writeFile(path.join(shop.root, `lib/bulk/${i}.bin`), randomBytes(8 << 20));
    const dataDir = path.join(shop.backupDir, 'incremental/data');
    const packsBefore = (await packsIn(dataDir)).sort();
    const partials = async () => (await readdir(shop.backupDir)).filter((n) => n.endsWith('.partial'));
    const partialsBefore = await partials(); // the killed backup's (recovery removes them)
    const indexBefore = (await readdir(path.join(shop.backupDir, 'incremental/index'))).sort();
    const cancel = new AbortController();
    let read = 0;
    let packsWritten = 0;
    const beforeFile = async () => {
      if (++read !== 9) return; // by then, 64 MiB have been read: some packs are written
      packsWritten = (await packsIn(dataDir)).length - packsBefore.length;
      cancel.abort();
    };
    await expect(createIncrementalBackup('code', shop, undefined, { signal: cancel.signal, beforeFile })).rejects.toThrow();
    expect(packsWritten).toBeGreaterThan(0);
    expect((await packsIn(dataDir)).sort()).toEqual(packsBefore);
    expect((await readdir(dataDir)).filter((n) => n.endsWith('.partial'))).toEqual([]);
    expect((await readdir(path.join(shop.backupDir, 'incremental/index'))).sort()).toEqual(indexBefore); // no partial index file either
    expect(await partials()).toEqual(partialsBefore);
    await rm(path.join(shop.root, 'lib/bulk'), { recursive: true });
  });

  it('prune after a delete removes the packs only the deleted snapshot used; a rerun finds nothing more', async () => {
    await unlink(path.join(shop.backupDir, second.file));
    await unlink(path.join(shop.backupDir, `${second.file}.manifest.json`));
    const storeDir = path.join(shop.backupDir, 'incremental');
    const pruned = await pruneStore(storeDir, await snapshotsOf(shop.backupDir, [first]));
    expect(pruned.packsRemoved).toBeGreaterThan(0); // the second's own packs: its new blobs only
    expect((await readdir(path.join(storeDir, 'index'))).length).toBe(1);
    expect(await pruneStore(storeDir, await snapshotsOf(shop.backupDir, [first]))).toMatchObject({ packsRemoved: 0, bytesRemoved: 0 });
    expect(await checkStoreStructure(storeDir)).toEqual([]);
    const again = await print(await extractWithGnuTar(shop.backupDir, first, path.join(base, 'x4')));
    expect(treeDifferences(firstPrint, again, 0n)).toEqual([]);
    // With no snapshot left, nothing is kept.
    expect((await pruneStore(storeDir, [])).packsKept).toBe(0);
    expect(await packsIn(path.join(storeDir, 'data'))).toEqual([]);
  });

  it('a backup whose previous one lost its data reads every file again, and says so', async () => {
    // The prune above, told of no snapshot, removed every pack: the first backup's listing is gone.
    const third = await createIncrementalBackup('code', shop, undefined);
    expect(third.manifest?.incremental).toMatchObject({ parent: first.file, unchangedFiles: 0 });
    expect(third.manifest?.warnings.join('\n')).toMatch(/previous incremental backup .* could not be read/);
    const extracted = await print(await extractWithGnuTar(shop.backupDir, third, path.join(base, 'x5')));
    expect(treeDifferences(await print(shop.root), extracted, 0n)).toEqual([]);
  });
});

describe('an incremental backup of more small files than a pack takes', () => {
  it('closes a pack at its blob limit, writes one index line a pack, and the snapshot extracts to exactly the tree', async () => {
    const base = await mkdtemp(path.join(tmpdir(), 'lifeboat-incremental-many-'));
    try {
      const root = path.join(base, 'shop');
      const files = PACK_MAX_BLOBS + 500;
      for (let folder = 0; folder * 1000 < files; folder++) {
        await mkdir(path.join(root, 'lib', `f${folder}`), { recursive: true });
        for (let i = folder * 1000; i < Math.min(files, (folder + 1) * 1000); i++) await writeFile(path.join(root, 'lib', `f${folder}`, `file${i}.txt`), `small file ${i}\n`);
      }
      const shop: ShopLayout = { root, backupDir: path.join(base, 'backups'), home: path.join(base, 'home'), exclude: [] };
      await mkdir(shop.backupDir);
      const record = await createIncrementalBackup('code', shop, undefined);
      expect(record.manifest?.tree?.files).toBe(files);
      // Every file a blob of its own, and the listing's blobs: more than one pack's worth.
      expect(record.manifest?.incremental?.addedPacks).toBe(2);
      const indexDir = path.join(shop.backupDir, 'incremental/index');
      const [indexName] = await readdir(indexDir);
      const lines = (await readFile(path.join(indexDir, indexName), 'utf8')).split('\n');
      expect(lines).toHaveLength(2 + 3); // the opening line, a line a pack, the closing line, the final newline
      // Packs are listed as they are sealed, not always in the order they were filled.
      const blobCounts = [lines[1].slice(0, -1), lines[2]].map((line) => (JSON.parse(line) as { blobs: unknown[] }).blobs.length);
      expect(blobCounts).toContain(PACK_MAX_BLOBS);
      const extracted = await fingerprintTree(await extractWithGnuTar(shop.backupDir, record, path.join(base, 'x')));
      expect(treeDifferences(await fingerprintTree(root), extracted, 0n)).toEqual([]);
      const again = await createIncrementalBackup('code', shop, undefined);
      expect(again.manifest?.incremental).toMatchObject({ unchangedFiles: files, addedBlobs: 0, parent: record.file });
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});

/** The pack files (not partial ones) under the store's data folder. */
async function packsIn(dataDir: string): Promise<string[]> {
  const names = await readdir(dataDir, { recursive: true }).catch(() => [] as string[]);
  return names.filter((name) => /^[0-9a-f]{64}$/.test(path.basename(name)));
}

/** The snapshot documents of `records`, whose files are in `backupDir`. */
async function snapshotsOf(backupDir: string, records: BackupRecord[]): Promise<SnapshotDocument[]> {
  const docs: SnapshotDocument[] = [];
  for (const record of records) docs.push(parseSnapshot(await readFile(path.join(backupDir, record.file), 'utf8'), record.file));
  return docs;
}
