// Incremental System backups through the real `lifeboat` command, on the demo shop (SQLite) grown into
// the corner-case tree plus a few hundred generated files: `backup --incremental` is one row in `list`
// with what it added and what it holds; after about 1% of the files changed (edited, added, removed)
// the second reads and stores only those; verify reads every blob; the download is a .tgz GNU tar
// extracts to exactly the tree; rollback to either backup puts files and database back exactly; a
// damaged pack fails verify and rollback (nothing changed); delete removes the data no backup uses.
import { DatabaseSync as Database } from 'node:sqlite';
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { findBackup } from '../../src/repository/catalog.js';
import { snapshotArchive } from '../../src/core/snapshot-source.js';
import type { IndexFile } from '../../src/archive/content/store-layout.js';
import { runCli } from '../helpers/cli.js';
import { rollbackCleanedUp } from '../helpers/rollback-cleanup.js';
import { tableRowsDigest } from '../helpers/sqlite.js';
import { cornerDemoShop, type CornerDemoShop } from '../helpers/corner-demo-shop.js';
import { fingerprintTree, ignoredInCornerShop, treeDifferences, type TreeEntry } from '../helpers/tree.js';

const digest = tableRowsDigest;

interface BackupJson {
  id: string;
  file: string;
  dump: string;
  files: number;
  incremental: { addedBytes: number; treeBytes: number; unchangedFiles: number; parent?: string };
  warnings: string[];
}

const MICROSECOND = 1000n;
const VOLATILE = ['var'];
const GENERATED = 300;

describe('incremental System backups through the command', () => {
  let base: string;
  let shop: CornerDemoShop;
  let firstPrint: TreeEntry[];
  let firstDb: string;
  let first: BackupJson;
  let second: BackupJson;
  let secondPrint: TreeEntry[];
  const shopPrint = () => fingerprintTree(shop.root, { follow: ['pub/media'], ignore: ignoredInCornerShop });
  const at = (rel: string) => path.join(shop.root, rel);
  const cli = async (args: string[]) => {
    const result = await runCli(args, shop.env);
    if (args[0] === 'rollback') await rollbackCleanedUp(at('var/lifeboat'));
    return result;
  };

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'lifeboat-incremental-cli-'));
    shop = await cornerDemoShop(base);
    for (let i = 0; i < GENERATED; i++) {
      await mkdir(at(`app/code/Gen/M${i % 10}`), { recursive: true });
      await writeFile(at(`app/code/Gen/M${i % 10}/File${i}.php`), `<?php // generated file ${i}\n${'x'.repeat(i * 10)}\n`);
    }
    firstPrint = await shopPrint();
    firstDb = digest(shop.dbFile);
  });

  it('backup system --incremental writes a snapshot that list shows with what it added and holds', async () => {
    const result = await cli(['backup', 'system', '--incremental', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    first = JSON.parse(result.stdout);
    expect(first.file).toMatch(/^\d{10}_snapshot\.incremental\.json$/);
    expect(first.dump).toBe(`var/${first.file.slice(0, 10)}_db.sql.gz`);
    expect(first.incremental.unchangedFiles).toBe(0);
    expect(first.incremental.addedBytes).toBeGreaterThan(0);
    const table = await cli(['list']);
    expect(table.stdout).toMatch(new RegExp(`${first.id} .* \\+[\\d.]+ [KM]iB of [\\d.]+ [KM]iB +System +${first.file.replace(/\./g, '\\.')}`));
    expect((await readdir(shop.backupDir)).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('after about 1% of the files changed, the second backup reads and stores only those', async () => {
    await writeFile(at('app/code/Gen/M1/File1.php'), '<?php // edited\n');
    await appendFile(at('app/code/Gen/M2/File2.php'), '// appended\n');
    await unlink(at('app/code/Gen/M3/File3.php'));
    await writeFile(at('app/code/Gen/M4/Added.php'), '<?php // added\n');
    await writeFile(path.join(shop.mediaStore, 'catalog/added.jpg'), 'a new image');
    const db = new Database(shop.dbFile);
    db.exec("UPDATE store SET name = 'second'");
    db.close();
    secondPrint = await shopPrint();
    const result = await cli(['backup', 'system', '--incremental', '--json']);
    expect(result.code).toBe(0);
    second = JSON.parse(result.stdout);
    expect(second.incremental.parent).toBe(first.file);
    // Read again: the two edited files and the two added ones; every other file came from the listing.
    expect(second.incremental.unchangedFiles).toBe(second.files - 4);
    expect(second.incremental.addedBytes).toBeLessThan(first.incremental.addedBytes);
  });

  it('verify reads every blob; the download is a .tgz GNU tar extracts to exactly the tree', async () => {
    const ok = await cli(['verify', second.id]);
    expect(ok.stdout).toMatch(/OK \(size, every blob against its sha256, tar, safe paths, sha256, store structure, tree counts, database dump\)/);
    const half = await cli(['verify', second.id, '--read-data-subset', '50%']);
    expect(half.stdout).toMatch(/OK \(size, sha256, store structure, listing, 50% of the blobs against their sha256, tree counts\)/);
    expect((await cli(['verify', second.id, '--read-data-subset', '0'])).code).toBe(2);
    const record = await findBackup(shop.backupDir, second.id);
    const download = await snapshotArchive(shop.backupDir, record);
    expect(download.fileName).toBe(second.file.replace('.incremental.json', '.tgz'));
    const tgz = path.join(base, 'download.tgz');
    await pipeline(download.body, createWriteStream(tgz));
    const into = path.join(base, 'gnu');
    await mkdir(into);
    execFileSync('tar', ['-xzf', tgz, '-C', into]);
    const extracted = await fingerprintTree(into, { ignore: (rel) => rel === second.dump });
    expect(treeDifferences(secondPrint, extracted, 0n, VOLATILE)).toEqual([]);
    await rm(into, { recursive: true, force: true });
  });

  it('rollback to the first and then to the second puts files and database back exactly', async () => {
    const toFirst = await cli(['rollback', first.id, '--yes']);
    expect(toFirst.stderr).toBe('');
    expect(toFirst.code).toBe(0);
    expect(treeDifferences(firstPrint, await shopPrint(), MICROSECOND, VOLATILE)).toEqual([]);
    expect(digest(shop.dbFile)).toBe(firstDb);
    const toSecond = await cli(['rollback', second.id, '--yes']);
    expect(toSecond.code).toBe(0);
    expect(treeDifferences(secondPrint, await shopPrint(), MICROSECOND, VOLATILE)).toEqual([]);
    expect(await readFile(path.join(shop.mediaStore, 'catalog/added.jpg'), 'utf8')).toBe('a new image');
  });

  it('a damaged pack: verify says DAMAGED, rollback refuses and changes nothing', async () => {
    // The biggest zstd-compressed blob of a file (a generated one both backups hold), damaged in its middle.
    const storeDir = at('var/backups/incremental');
    const indexes = await readdir(path.join(storeDir, 'index'));
    const places = (await Promise.all(indexes.map(async (name) => JSON.parse(await readFile(path.join(storeDir, 'index', name), 'utf8')) as IndexFile))).flatMap((index) =>
      index.packs.flatMap((pack) => pack.blobs.map((blob) => ({ pack: pack.id, ...blob }))),
    );
    const listings = new Set<string>();
    for (const backup of [first, second]) for (const id of JSON.parse(await readFile(at(`var/backups/${backup.file}`), 'utf8')).listing as string[]) listings.add(id);
    const target = places.filter((p) => p.zstd && !listings.has(p.id)).sort((a, b) => b.length - a.length)[0];
    const biggest = path.join(storeDir, 'data', target.pack.slice(0, 2), target.pack);
    const bytes = await readFile(biggest);
    const middle = target.offset + Math.floor(target.length / 2);
    bytes[middle] ^= 0x55;
    await writeFile(biggest, bytes);
    const bad = await cli(['verify', second.id]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/DAMAGED: the incremental store is damaged: blob [0-9a-f]{64} .*(sha256|decompressed)/);
    const sampled = await cli(['verify', second.id, '--read-data-subset', '100%']);
    expect(sampled.code).toBe(1);
    expect(sampled.stderr).toMatch(/DAMAGED: blob [0-9a-f]{64} .*(sha256|decompressed)/);
    const refused = await cli(['rollback', first.id, '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refusing to roll back, nothing was changed/);
    bytes[middle] ^= 0x55;
    await writeFile(biggest, bytes);
    // The media folder's mtime moves: the refused rollback made and removed its work folder in there.
    expect(treeDifferences(secondPrint, await shopPrint(), MICROSECOND, [...VOLATILE, 'pub/media'])).toEqual([]);
  });

  it('delete removes the backup, then the data no other backup uses', async () => {
    const result = await cli(['delete', second.id, '--yes']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/deleted .*\.incremental\.json\nincremental data no backup uses: removed [1-9]\d* pack\(s\)/);
    expect((await cli(['list'])).stdout).not.toContain(second.file);
    const ok = await cli(['verify', first.id]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/OK \(.*store structure/);
  });

  it('LIFEBOAT_INCREMENTAL=1 makes tree backups incremental unless --full; both flags at once are refused', async () => {
    const incremental = await runCli(['backup', 'code', '--json'], { ...shop.env, LIFEBOAT_INCREMENTAL: '1' });
    expect(incremental.code).toBe(0);
    const code: BackupJson = JSON.parse(incremental.stdout);
    expect(code.file).toMatch(/_filesystem_code\.incremental\.json$/);
    // Its rollback goes into the one work folder beside the root: checked while it is extracted.
    const before = await readFile(at('app/etc/env.php'), 'utf8');
    await writeFile(at('app/etc/env.php'), 'broken');
    expect((await cli(['rollback', code.id, '--yes'])).code).toBe(0);
    expect(await readFile(at('app/etc/env.php'), 'utf8')).toBe(before);
    const full = await runCli(['backup', 'code', '--full', '--json'], { ...shop.env, LIFEBOAT_INCREMENTAL: '1' });
    expect(full.code).toBe(0);
    expect(JSON.parse(full.stdout).file).toMatch(/_filesystem_code\.tgz$/);
    const subsetOfFull = await runCli(['verify', JSON.parse(full.stdout).id, '--read-data-subset', '10%'], shop.env);
    expect(subsetOfFull).toMatchObject({ code: 2, stderr: expect.stringMatching(/--read-data-subset works with incremental backups only/) });
    const both = await runCli(['backup', 'code', '--full', '--incremental'], shop.env);
    expect(both).toMatchObject({ code: 2, stderr: expect.stringMatching(/--incremental and --full exclude each other/) });
    const wrong = await runCli(['backup', 'code'], { ...shop.env, LIFEBOAT_INCREMENTAL: 'maybe' });
    expect(wrong).toMatchObject({ code: 2, stderr: expect.stringMatching(/LIFEBOAT_INCREMENTAL must be 1 or 0/) });
  });
});
