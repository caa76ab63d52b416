// A file rollback that keeps most of the shop's files makes the tree from the backup's file index and
// inflates only the frames of the files it writes (archive/members-from-index.ts). Through the real
// command, on a tree with every corner the archives keep (modes, owners over ustar's range, nanosecond
// mtimes, empty and read-only folders, relative, absolute and dangling symlinks, long and non-ASCII
// names) and several MiB of incompressible files: after changes of bytes, modes, mtimes, symlink
// targets and removed and added entries, the restored tree is the backup's to the byte, mode, owner and
// mtime, while the JSON result shows that well under half of the archive's compressed bytes were read;
// changed files close together in the archive are read in one pass, each checked to be its line's file;
// with more than 2 % of the files to read (here 40 empty ones of some 460, never kept), the archive is read whole.
// A byte changed in a frame that held only kept files still refuses the rollback (the whole archive's
// sha256 is checked), nothing changed, and so does one in the frame of a file it reads, at once; a tree
// with a hard link is read whole, as before. For .tgz and .tar.zst alike. A System rollback of a shop whose pub/media is a symlink to a folder elsewhere (two work
// folders, each with its share of the free-space check from the index) does the same, as the shop's own
// database user.
import { randomBytes } from 'node:crypto';
import { chmod, link, lstat, mkdir, mkdtemp, open, readdir, readFile, rm, rmdir, stat, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { cliShop, type CliShop } from '../helpers/cli-shop.js';
import { withConnection } from '../helpers/mysql.js';
import { rollbackCleanedUp, workFoldersLeft } from '../helpers/rollback-cleanup.js';
import { buildCornerShop, fingerprintTree, ignoredInCornerShop, treeDifferences, type TreeEntry } from '../helpers/tree.js';

const BULK_FILES = 16;
const BULK_BYTES = 512 << 10;
// Times are set back with microseconds (utimes), not nanoseconds.
const MICROSECOND = 1000n;

/**
 * Small files enough that the few changed ones are under 2 % of the tree: the rollback reads the archive
 * whole when more of its files are to be read (members-from-index.ts).
 */
async function manySmallFiles(dir: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    await mkdir(path.join(dir, `M${i % 20}`), { recursive: true });
    await writeFile(path.join(dir, `M${i % 20}`, `f${i}.php`), `<?php // ${i}\n`);
  }
}

interface RollbackJson {
  tree: { files: number };
  reused: { files: number };
  indexedRead?: { compressedBytes: number };
}

describe.each(['gzip', 'zstd'])('a %s file rollback that keeps most files reads only the frames of the others', (compression) => {
  let base: string;
  let root: string;
  let home: string;
  let env: Record<string, string>;
  let backup: { id: string; file: string };
  let backedUp: TreeEntry[];
  const at = (rel: string) => path.join(root, rel);
  // pub/media is not part of a code backup.
  const print = () => fingerprintTree(root, { ignore: (rel) => ignoredInCornerShop(rel) || rel === 'pub/media' });
  const archiveBytes = async () => (await stat(path.join(root, 'var/backups', backup.file))).size;
  const rollback = async (): Promise<RollbackJson> => {
    const result = await runCli(['rollback', backup.id, '--yes', '--json'], env);
    expect(result.stderr).toBe('');
    await rollbackCleanedUp(home);
    return JSON.parse(result.stdout) as RollbackJson;
  };

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'lifeboat-from-index-'));
    root = path.join(base, 'shop');
    home = path.join(base, 'home');
    await mkdir(root, { recursive: true });
    await buildCornerShop(root, path.join(base, 'media-store'));
    // One file with one name each: an archive with hard links is read whole (tested below).
    await unlink(at('app/links/hard-b.txt'));
    await unlink(at('lib/hard-c.txt'));
    // Several frames of data that does not compress: most frames hold only files the shop keeps.
    await mkdir(at('lib/bulk'));
    for (let i = 0; i < BULK_FILES; i++) await writeFile(at(`lib/bulk/${i}.bin`), randomBytes(BULK_BYTES));
    await manySmallFiles(at('lib/many'));
    env = { LIFEBOAT_ROOT: root, LIFEBOAT_HOME: home, LIFEBOAT_CONFIG: '', LIFEBOAT_EXCLUDE: '*.bak' };
    const made = await runCli(['backup', 'code', '--compression', compression, '--json'], env);
    expect(made.stderr).toBe('');
    backup = JSON.parse(made.stdout) as { id: string; file: string };
    backedUp = await print();
  });

  it('restores the tree exactly after changes of every kind, reading under half of the archive', async () => {
    await writeFile(at('app/etc/env.php'), '<?php return [];\n');
    await writeFile(at('lib/bulk/3.bin'), randomBytes(1000));
    await unlink(at('pub/index.php'));
    await writeFile(at('app/new-in-the-shop.txt'), 'not in the backup\n');
    await chmod(at('private'), 0o755);
    await unlink(at('app/links/dangling'));
    await symlink('somewhere/else', at('app/links/dangling'));
    await rmdir(at('generated/code'));
    await utimes(at('app/i18n'), 1_700_000_000, 1_700_000_000);
    await chmod(at('bin/magento'), 0o700);

    const result = await rollback();
    expect(treeDifferences(backedUp, await print(), MICROSECOND)).toEqual([]);
    // Written anew: env.php, 3.bin, index.php, bin/magento (its mode); every other file is kept.
    expect(result.reused.files).toBe(result.tree.files - 4);
    expect(result.indexedRead?.compressedBytes).toBeGreaterThan(0);
    expect(result.indexedRead?.compressedBytes).toBeLessThan((await archiveBytes()) / 2);
    expect(await workFoldersLeft(base)).toEqual([]);
  });

  it('reads changed files that lie close together in one pass, each the file its index line names', async () => {
    const made = await runCli(['backup', 'code', '--compression', compression, '--json'], env);
    expect(made.stderr).toBe('');
    const fresh = JSON.parse(made.stdout) as { id: string };
    const expected = await print();
    const close = ['app/-rf', 'app/--help', 'app/ leading space', 'app/i18n/caf\u00e9.txt', 'lib/owned-by-1234'];
    for (const rel of close) await writeFile(at(rel), `changed ${rel}\n`);
    const result = await runCli(['rollback', fresh.id, '--yes', '--json'], env);
    expect(result.stderr).toBe('');
    await rollbackCleanedUp(home);
    const json = JSON.parse(result.stdout) as RollbackJson;
    expect(treeDifferences(expected, await print(), MICROSECOND)).toEqual([]);
    expect(json.reused.files).toBe(json.tree.files - close.length);
    expect(json.indexedRead?.compressedBytes).toBeLessThan((await archiveBytes()) / 2);
  });

  /**
   * A new backup (the last rollback's links moved the ctimes of the files it kept, so none would be kept
   * now), env.php changed, one byte of the archive at `offsetOf(archive, its index text)` flipped: the
   * rollback is refused, the shop as it was.
   */
  const refusedWithByteFlipped = async (offsetOf: (file: string, index: string) => Promise<number>) => {
    const made = await runCli(['backup', 'code', '--compression', compression, '--json'], env);
    expect(made.stderr).toBe('');
    const fresh = JSON.parse(made.stdout) as { id: string; file: string };
    await writeFile(at('app/etc/env.php'), `<?php return ["changed" => ${Date.now()}];\n`);
    const before = await print();
    const file = path.join(root, 'var/backups', fresh.file);
    const offset = await offsetOf(file, gunzipSync(await readFile(`${file}.files.gz`)).toString('utf8'));
    const handle = await open(file, 'r+');
    const original = Buffer.alloc(1);
    try {
      await handle.read(original, 0, 1, offset);
      await handle.write(Buffer.from([original[0] ^ 0xff]), 0, 1, offset);
      const refused = await runCli(['rollback', fresh.id, '--yes'], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/damaged.*nothing was changed/);
    } finally {
      await handle.write(original, 0, 1, offset);
      await handle.close();
    }
    expect(treeDifferences(before, await print(), MICROSECOND)).toEqual([]);
    expect(await workFoldersLeft(base)).toEqual([]);
  };

  it('refuses an archive changed in a frame that holds only kept files, with nothing changed', async () => {
    // The bulk files are most of the archive: its middle is inside one of them.
    await refusedWithByteFlipped(async (file) => Math.floor((await stat(file)).size / 2));
  });

  it('refuses an archive changed in the frame of a file it reads, at once and with nothing changed', async () => {
    await refusedWithByteFlipped(async (_file, index) => {
      const line = index.split('\n').find((l) => l.startsWith('["app/etc/env.php",'));
      return (JSON.parse(line ?? '[]') as number[])[5] + 40;
    });
  });

  /** A new backup, `changed` rewritten, a rollback: the archive read whole (no indexedRead), the tree exact. */
  const rolledBackWhole = async (changed: string) => {
    const made = await runCli(['backup', 'code', '--compression', compression, '--json'], env);
    expect(made.stderr).toBe('');
    const fresh = JSON.parse(made.stdout) as { id: string };
    const expected = await print();
    await writeFile(at(changed), `changed ${Date.now()}\n`);
    const result = await runCli(['rollback', fresh.id, '--yes', '--json'], env);
    expect(result.stderr).toBe('');
    await rollbackCleanedUp(home);
    expect((JSON.parse(result.stdout) as RollbackJson).indexedRead).toBeUndefined();
    expect(treeDifferences(expected, await print(), MICROSECOND)).toEqual([]);
  };

  it('reads the archive whole when more than a few of its files are to be read', async () => {
    for (let i = 0; i < 40; i++) await writeFile(at(`lib/many/M${i % 20}/empty-${i}.txt`), '');
    await rolledBackWhole('app/etc/env.php');
    for (let i = 0; i < 40; i++) await rm(at(`lib/many/M${i % 20}/empty-${i}.txt`));
  });

  it('reads an archive with a hard link whole, and restores it exactly', async () => {
    await link(at('lib/hard-a.txt'), at('lib/hard-c.txt'));
    await rolledBackWhole('lib/bulk/5.bin');
    await rm(at('lib/hard-c.txt'));
    expect((await readdir(at('lib/bulk'))).length).toBe(BULK_FILES);
  });
});

describe('a System rollback over a symlinked media folder that keeps most files', () => {
  let shop: CliShop;
  let store: string;
  const media = (rel: string) => path.join(store, rel);

  beforeAll(async () => {
    shop = await cliShop('fromindex', 'CREATE TABLE item (id INT PRIMARY KEY, name VARCHAR(40)); INSERT INTO item VALUES (1, "backed up");');
    store = await mkdtemp(path.join(tmpdir(), 'lifeboat-from-index-media-'));
    await mkdir(path.join(shop.root, 'pub'), { recursive: true });
    await mkdir(media('catalog/product'), { recursive: true });
    await manySmallFiles(path.join(shop.root, 'app/code'));
    for (let i = 0; i < BULK_FILES; i++) await writeFile(media(`catalog/product/${i}.jpg`), randomBytes(BULK_BYTES));
    await symlink(store, path.join(shop.root, 'pub/media'));
    await mkdir(path.join(shop.root, 'app/etc'), { recursive: true });
    await writeFile(path.join(shop.root, 'app/etc/config.php'), '<?php // backed up\n');
  });

  afterAll(async () => {
    await shop?.drop();
    if (shop) await rm(shop.root, { recursive: true, force: true });
    if (store) await rm(store, { recursive: true, force: true });
  });

  it('restores the files on both sides of the symlink and the table, reading under half of the archive', async () => {
    const made = await runCli(['backup', 'system', '--json'], shop.env);
    expect(made.code, made.stderr).toBe(0);
    const backup = JSON.parse(made.stdout) as { id: string; file: string };
    const expectedMedia = await fingerprintTree(store);
    await writeFile(media('catalog/product/7.jpg'), 'changed\n');
    await writeFile(media('catalog/product/new.jpg'), 'added\n');
    await writeFile(path.join(shop.root, 'app/etc/config.php'), '<?php // changed\n');
    await withConnection(shop.shop, (conn) => conn.query('UPDATE item SET name = "changed" WHERE id = 1'));
    const rolled = await runCli(['rollback', backup.id, '--yes', '--json'], shop.env);
    expect(rolled.code, rolled.stderr).toBe(0);
    await rollbackCleanedUp(path.join(shop.root, 'var/lifeboat'));
    const result = JSON.parse(rolled.stdout) as RollbackJson;
    expect((await lstat(path.join(shop.root, 'pub/media'))).isSymbolicLink()).toBe(true);
    expect(treeDifferences(expectedMedia, await fingerprintTree(store), MICROSECOND)).toEqual([]);
    expect(await readFile(path.join(shop.root, 'app/etc/config.php'), 'utf8')).toBe('<?php // backed up\n');
    expect(await withConnection(shop.shop, async (conn) => (await conn.query('SELECT name FROM item'))[0])).toEqual([{ name: 'backed up' }]);
    expect(result.reused.files).toBe(BULK_FILES + 400 - 1);
    const { size } = await stat(path.join(shop.backupDir, backup.file));
    expect(result.indexedRead?.compressedBytes).toBeLessThan(size / 2);
  });
});
