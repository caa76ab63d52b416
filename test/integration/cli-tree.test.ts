// System, Database-and-Media and code backups through the real `lifeboat` command, on the demo shop
// (SQLite) grown into a tree with every corner: GNU tar extracts each archive to an identical tree, the
// embedded dump restores by hand, and rollback puts a damaged shop back exactly (files, modes, owners,
// mtimes, links, database) while ignored paths stay as they are. Magento-made archives roll back too.
import { DatabaseSync as Database } from 'node:sqlite';
import { rowArrays } from '../helpers/sqlite.js';
import { execFileSync, execSync } from 'node:child_process';
import { copyFile, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, truncate, unlink, utimes, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { runCli } from '../helpers/cli.js';
import { rollbackCleanedUp } from '../helpers/rollback-cleanup.js';
import { buildCornerShop, fingerprintTree, ignoredInCornerShop, LONG_PATH, treeDifferences, VERY_LONG_PATH, type TreeEntry } from '../helpers/tree.js';

/** Every table's rows and every object's SQL: equal digests mean equal databases. */
function digest(file: string): string {
  const db = new Database(file, { readOnly: true });
  try {
    const objects = db.prepare("SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all() as { type: string; name: string; sql: string }[];
    const out = objects.map((o) => `${o.type} ${o.name}: ${o.sql}`);
    for (const o of objects.filter((x) => x.type === 'table')) out.push(JSON.stringify(rowArrays(db, `SELECT * FROM "${o.name}" ORDER BY rowid`)));
    return out.join('\n');
  } finally {
    db.close();
  }
}

interface BackupJson {
  id: string;
  file: string;
  path: string;
  type: string;
  dump: string | null;
  files: number;
  followedSymlinks: { path: string; target: string }[];
  warnings: string[];
}

const MICROSECOND = 1000n; // Lifeboat restores mtimes through Node's utimes (a double): within 0.12 µs
const VOLATILE = ['var']; // var/ holds the SQLite database: opening it creates and removes -wal/-shm files

describe('file-tree backups and rollback on the demo shop (SQLite)', () => {
  let base: string;
  let root: string;
  let mediaStore: string;
  let dbFile: string;
  let backupDir: string;
  let env: Record<string, string>;
  let original: TreeEntry[];
  let originalDb: string;
  let system: BackupJson;
  const shopPrint = () => fingerprintTree(root, { follow: ['pub/media'], ignore: ignoredInCornerShop });
  /** Runs lifeboat; after a rollback, also waits for its detached cleanup (it changes var/lifeboat, which tar reads below). */
  const cli = async (args: string[], extra: Record<string, string> = {}) => {
    const result = await runCli(args, { ...env, ...extra });
    if (args[0] === 'rollback') await rollbackCleanedUp(path.join(root, 'var/lifeboat'));
    return result;
  };
  const listing = (file: string) => execFileSync('tar', ['-tzf', file], { maxBuffer: 1 << 26 }).toString().split('\n').filter(Boolean);
  const workFolders = async () => [...(await readdir(base)), ...(await readdir(mediaStore))].filter((n) => n.startsWith('.lifeboat-'));

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'lifeboat-tree-'));
    root = path.join(base, 'shop');
    mediaStore = path.join(base, 'media-store');
    const shop = await ensureDemoShop(root);
    dbFile = shop.databaseFile;
    await buildCornerShop(root, mediaStore);
    backupDir = path.join(root, 'var', 'backups');
    await mkdir(backupDir); // before the fingerprint: creating it changes var's mtime
    env = { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: shop.databaseUrl, LIFEBOAT_EXCLUDE: '*.bak' };
    original = await shopPrint();
    originalDb = digest(dbFile);
  });

  it('backup system writes a .tgz with the dump inside, following the symlinked pub/media', async () => {
    const result = await cli(['backup', 'system', '--name', 'corner cases', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    system = JSON.parse(result.stdout);
    expect(system.file).toMatch(/^\d{10}_snapshot_corner_cases\.tgz$/);
    expect(system).toMatchObject({ type: 'system', followedSymlinks: [{ path: 'pub/media', target: mediaStore }], warnings: [] });
    expect(system.dump).toBe(`var/${system.file.slice(0, 10)}_db.sql.gz`);
    expect(system.files).toBe(original.filter((e) => e.type === 'file' && !(e.linkGroup && e.linkGroup !== e.path)).length);
    const members = listing(system.path);
    expect(members[0]).toBe(system.dump);
    for (const kept of [LONG_PATH, VERY_LONG_PATH, '.gitignore', '.github/workflows/ci.yml', 'pub/media/catalog/product/a/b/shirt.jpg', 'app/-rf', 'generated/code/']) {
      expect(members).toContain(kept);
    }
    for (const left of ['.git/', 'var/cache/', 'var/log/system.log', 'var/backups/', 'var/shop.db', 'var/composer_home/auth.json.bak']) expect(members).not.toContain(left);
    expect((await readdir(backupDir)).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('GNU tar extracts it to an identical tree, and the dump inside restores by hand', async () => {
    const into = path.join(base, 'gnu-extract');
    await mkdir(into);
    execFileSync('tar', ['-xzf', system.path, '-C', into]);
    const extracted = await fingerprintTree(into, { ignore: (rel) => rel === system.dump });
    expect(treeDifferences(original, extracted, 0n, VOLATILE)).toEqual([]); // to the nanosecond: GNU tar reads pax mtimes
    const copy = path.join(base, 'hand-restored.db');
    execSync(`tar -xzOf '${system.path}' '${system.dump}' | gunzip | sqlite3 '${copy}'`);
    expect(digest(copy)).toBe(originalDb);
    await rm(into, { recursive: true, force: true });
  });

  it('verify checks the archive, the tar stream, the counts and the dump; a damaged copy fails', async () => {
    const ok = await cli(['verify', system.id]);
    expect(ok.stdout).toMatch(/OK \(.*gzip.*tar.*tree counts.*database dump/);
    expect(ok.code).toBe(0);
    const damaged = path.join(backupDir, system.file.replace('.tgz', '_damaged.tgz'));
    const bytes = await readFile(system.path);
    bytes[Math.floor(bytes.length / 3)] ^= 0x55;
    await writeFile(damaged, bytes);
    const bad = await cli(['verify', path.basename(damaged)]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/DAMAGED: the (gzip|tar) stream is broken/);
    await unlink(damaged);
  });

  it('rollback puts back a damaged tree and database exactly; ignored paths stay as they are', async () => {
    const at = (rel: string) => path.join(root, rel);
    await writeFile(at('app/etc/env.php'), 'broken');
    await unlink(at('app/code/Acme/Hello/registration.php'));
    await mkdir(at('app/new'));
    await writeFile(at('app/new/added.php'), 'added');
    await mkdir(at('newdir'));
    await writeFile(at('newdir/x'), 'x');
    await rm(at('generated'), { recursive: true });
    await writeFile(at('generated'), 'a file where a folder was');
    await chmod(at('bin/magento'), 0o600);
    await unlink(at('lib/hard-c.txt'));
    await writeFile(at('lib/hard-c.txt'), 'no longer a hard link');
    await unlink(at('app/links/relative'));
    await writeFile(at('app/links/relative'), 'a file where a symlink was');
    await utimes(at(VERY_LONG_PATH), 1, 1);
    await writeFile(path.join(mediaStore, 'catalog/product/a/b/shirt.jpg'), 'overwritten image');
    await unlink(path.join(mediaStore, 'catalog/product/a/b/tiny.png'));
    await writeFile(path.join(mediaStore, 'catalog/new.jpg'), 'new image');
    // Ignored and excluded paths: changed now, and they must stay so.
    const untouched: Record<string, string> = {
      'var/log/system.log': 'log written after the backup',
      'var/cache/new-entry': 'cache written after the backup',
      '.git/HEAD': 'ref: refs/heads/feature',
      'var/composer_home/auth.json.bak': '{"changed": true}',
    };
    for (const [rel, content] of Object.entries(untouched)) await writeFile(at(rel), content);
    const db = new Database(dbFile);
    db.exec("DELETE FROM sales_order_item; UPDATE store SET name = 'broken'; DROP VIEW sales_revenue_by_status");
    db.close();
    expect(treeDifferences(original, await shopPrint(), MICROSECOND, VOLATILE).length).toBeGreaterThan(10);

    const result = await cli(['rollback', system.id, '--yes']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/rolled back to .*_snapshot_corner_cases\.tgz: \d+ files \(\d+ of them unchanged in the shop: kept, not written again\), \d+ folders, 4 symlinks; database: 6 tables/);
    expect(treeDifferences(original, await shopPrint(), MICROSECOND, VOLATILE)).toEqual([]);
    expect(digest(dbFile)).toBe(originalDb);
    expect((await lstat(at('pub/media'))).isSymbolicLink()).toBe(true); // the symlink stays; its target's content was swapped
    expect(await readlink(at('pub/media'))).toBe(mediaStore);
    for (const [rel, content] of Object.entries(untouched)) expect(await readFile(at(rel), 'utf8'), rel).toBe(content);
    expect(await readdir(at('var/backups'))).toContain(system.file);
    expect(await workFolders()).toEqual([]);
    await rm(at('var/cache/new-entry'));
    await writeFile(at('var/log/system.log'), 'ignored var/log/system.log\n');
  });

  it('backup system --exclude-media leaves media out, and its rollback leaves them alone', async () => {
    const result = await cli(['backup', 'system', '--exclude-media', '--json']);
    expect(result.code).toBe(0);
    const nomedia: BackupJson = JSON.parse(result.stdout);
    expect(nomedia.file).toMatch(/^\d{10}_nomedia\.tgz$/);
    const members = listing(nomedia.path);
    expect(members.filter((m) => m.startsWith('pub/media'))).toEqual([]);
    expect(members).toContain('pub/index.php');
    await writeFile(path.join(root, 'pub/index.php'), 'changed code');
    await writeFile(path.join(mediaStore, 'catalog/after-nomedia.jpg'), 'media added later');
    expect((await cli(['rollback', nomedia.id, '--yes'])).code).toBe(0);
    expect(await readFile(path.join(root, 'pub/index.php'), 'utf8')).toBe('<?php // front controller\n');
    expect(await readFile(path.join(mediaStore, 'catalog/after-nomedia.jpg'), 'utf8')).toBe('media added later');
    await unlink(path.join(mediaStore, 'catalog/after-nomedia.jpg'));
  });

  it('backup media holds the database and pub/media only, and its rollback restores only those', async () => {
    const before = await shopPrint();
    const result = await cli(['backup', 'media', '--json']);
    expect(result.code).toBe(0);
    const media: BackupJson = JSON.parse(result.stdout);
    expect(media.file).toMatch(/^\d{10}_media\.tgz$/);
    const members = listing(media.path);
    expect(members.filter((m) => !m.startsWith('pub/media/') && m !== media.dump)).toEqual([]);
    await writeFile(path.join(mediaStore, 'wysiwyg/ÜBER ⚓.gif'), 'changed media');
    await writeFile(path.join(root, 'app/etc/env.php'), 'code changed after the media backup');
    const db = new Database(dbFile);
    db.exec("UPDATE store SET name = 'changed after the media backup'");
    db.close();
    expect((await cli(['rollback', media.id, '--yes'])).code).toBe(0);
    const now = await shopPrint();
    expect(treeDifferences(before, now, MICROSECOND, VOLATILE)).toEqual([
      'app/etc/env.php: size 48 != 35',
      expect.stringMatching(/^app\/etc\/env.php: sha256/),
      expect.stringMatching(/^app\/etc\/env.php: mtime/),
    ]);
    expect(digest(dbFile)).toBe(originalDb);
    expect(await workFolders()).toEqual([]);
  });

  it('backup code needs no database and its rollback leaves the database and media alone', async () => {
    const noDb = { LIFEBOAT_DATABASE_URL: '' };
    const result = await runCli(['backup', 'code', '--json'], { LIFEBOAT_ROOT: root, LIFEBOAT_EXCLUDE: '*.bak' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const code: BackupJson = JSON.parse(result.stdout);
    expect(code.file).toMatch(/^\d{10}_filesystem_code\.tgz$/);
    expect(code.dump).toBeNull();
    const members = listing(code.path);
    expect(members.filter((m) => m.startsWith('pub/media') || /_db\.sql/.test(m))).toEqual([]);
    expect(members).toContain('app/etc/env.php');
    expect(members).toContain('var/shop.db'); // without a database URL, the SQLite file is just a file
    void noDb;
    await writeFile(path.join(root, 'app/code/Acme/Hello/registration.php'), 'changed');
    const db = new Database(dbFile);
    db.exec("UPDATE store SET name = 'kept through a code rollback'");
    db.close();
    const changedDb = digest(dbFile);
    expect((await cli(['rollback', code.id, '--yes'])).code).toBe(0);
    expect(await readFile(path.join(root, 'app/code/Acme/Hello/registration.php'), 'utf8')).toBe('<?php // registration\n');
    expect(digest(dbFile)).toBe(changedDb);
    const db2 = new Database(dbFile);
    db2.exec("UPDATE store SET name = 'Lifeboat Demo Store' WHERE store_id = 1; UPDATE store SET name = 'Reddingsboot' WHERE store_id = 2");
    db2.close();
  });

  it('a Magento-made archive (GNU tar, long names as L members, a plain .sql dump) is listed and rolled back', async () => {
    // The state to go back to: a slightly different database and tree, archived the way Magento lays it out.
    await writeFile(path.join(root, 'app/etc/env.php'), 'state in the Magento archive\n');
    const db = new Database(dbFile);
    db.exec("UPDATE store SET name = 'Magento era'");
    db.close();
    const magentoDb = digest(dbFile);
    const magentoTree = await shopPrint();
    const time = Math.floor(Date.now() / 1000) - 3600;
    const dumpDir = path.join(base, 'magento-dump');
    await mkdir(path.join(dumpDir, 'var'), { recursive: true });
    execSync(`sqlite3 '${dbFile}' .dump > '${path.join(dumpDir, 'var', `${time}_db.sql`)}'`);
    const file = path.join(backupDir, `${time}_snapshot_magento.tgz`);
    execFileSync('tar', [
      '--format=gnu', '-czf', file,
      '-C', root, '--exclude=./var/backups', '--exclude=./var/shop.db', '--exclude=./pub/media', '.',
      '-C', dumpDir, `var/${time}_db.sql`,
      '-C', base, '--transform=s,^media-store,pub/media,S', 'media-store',
    ]); // prettier-ignore
    // Then the shop moves on.
    await writeFile(path.join(root, 'app/etc/env.php'), 'after the Magento backup');
    await writeFile(path.join(root, 'app/added-later.php'), 'x');
    const db2 = new Database(dbFile);
    db2.exec('DELETE FROM sales_order_item');
    db2.close();
    const listed = JSON.parse((await cli(['list', '--json'])).stdout).find((r: { file: string }) => r.file === path.basename(file));
    expect(listed).toMatchObject({ id: path.basename(file), type: 'system', origin: 'foreign' });
    expect((await cli(['verify', path.basename(file)])).code).toBe(0);
    const result = await cli(['rollback', path.basename(file), '--yes']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(treeDifferences(magentoTree, await shopPrint(), 1_000_000_000n, VOLATILE)).toEqual([]); // GNU format: whole seconds
    expect(digest(dbFile)).toBe(magentoDb);
    expect(await readFile(path.join(root, 'var/cache/mage--1/x'), 'utf8')).toBe('ignored var/cache/mage--1/x\n'); // in the archive, but ignored: untouched
    expect(await workFolders()).toEqual([]);
  });

  it('fails early, in one line and leaving nothing, when the disk is too small', async () => {
    const huge = path.join(root, 'var/import/huge.bin');
    await writeFile(huge, '');
    await truncate(huge, 9 * 1024 ** 4); // 9 TiB, sparse: costs nothing, but the estimate must count it
    const before = await readdir(backupDir);
    const result = await cli(['backup', 'system']);
    await unlink(huge);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/not enough free space in .*var\/backups: this backup \(estimated\) needs about [\d.]+ TiB, .* is free/);
    expect(await readdir(backupDir)).toEqual(before);
  });

  it('refuses --table for an archive of files, and a rollback without --yes off a terminal', async () => {
    expect((await cli(['rollback', system.id, '--table', 'store', '--yes'])).code).toBe(2);
    const noYes = await cli(['rollback', system.id]);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toMatch(/add --yes/);
  });

  it('keeps a symlinked media folder that points inside the shop as a symlink, with its target backed up once', async () => {
    // A second shop whose pub/media points at a folder inside the root (a common deploy layout).
    const other = path.join(base, 'other');
    await mkdir(path.join(other, 'shared/media/x'), { recursive: true });
    await writeFile(path.join(other, 'shared/media/x/a.jpg'), 'img');
    await mkdir(path.join(other, 'pub'));
    await symlink('../shared/media', path.join(other, 'pub/media'));
    await copyFile(dbFile, path.join(base, 'other.db'));
    const result = await runCli(['backup', 'system', '--json'], { LIFEBOAT_ROOT: other, LIFEBOAT_DATABASE_URL: `sqlite://${path.join(base, 'other.db')}` });
    expect(result.code).toBe(0);
    const members = listing(JSON.parse(result.stdout).path);
    expect(members).toContain('pub/media/x/a.jpg');
    expect(members).toContain('shared/media/x/a.jpg');
  });
});
