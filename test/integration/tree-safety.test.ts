// Rollback of file archives when things go wrong, on real files and a real SQLite database: hostile
// or broken archives are refused with nothing written anywhere and nothing changed; a failure in the
// middle of the swap, or a database restore that fails after it, leaves the shop exactly as it was
// with no work folder left; files that change or vanish while a backup reads them become warnings.
import { DatabaseSync as Database } from 'node:sqlite';
import { column, rowArrays } from '../helpers/sqlite.js';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AtomicFile } from '../../src/archive/atomic-file.js';
import { FrameWriter } from '../../src/archive/codec/frame-writer.js';
import { gzip as gzipCodec } from '../../src/archive/codec/gzip.js';
import { BLOCK, encodeHeader, type TarHeader } from '../../src/archive/tar-header.js';
import { TarWriter } from '../../src/archive/tar-writer.js';
import { createTreeBackup } from '../../src/core/backup/tree.js';
import { findBackup } from '../../src/repository/catalog.js';
import { OperationError } from '../../src/shared/errors.js';
import { rollbackTree } from '../../src/core/rollback/tree.js';
import type { ShopLayout } from '../../src/core/tree-scope.js';
import { verifyBackup } from '../../src/core/verify/database.js';
import { ensureDemoShop } from '../../src/demo/shop.js';
import type { SqliteTarget } from '../../src/engines/target.js';
import { fingerprintTree, treeDifferences, type TreeEntry } from '../helpers/tree.js';

type Member = { header: Partial<TarHeader> & { path: string }; data?: Buffer; typeflag?: string };

/** A header whose typeflag is patched after encoding: for member types the writer refuses to make. */
function patchedHeader(path: string, typeflag: string): Buffer {
  const blocks = encodeHeader({ path, type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtimeNs: 0n });
  const main = blocks.subarray(blocks.length - BLOCK);
  main.write(typeflag, 156, 1, 'latin1');
  main.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of main) sum += byte;
  main.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return blocks;
}

async function* once(buffer: Buffer): AsyncIterable<Buffer> {
  yield buffer;
}

/** Writes a .tgz of `members` (paths exactly as given) through Lifeboat's own tar writer. */
async function writeArchive(file: string, members: Member[], options: { truncate?: boolean } = {}): Promise<void> {
  const out = await AtomicFile.create(file);
  const gzip = new FrameWriter(out, gzipCodec);
  const raw: Buffer[] = [];
  const tar = new TarWriter({ write: async (chunk) => void raw.push(Buffer.from(chunk)) });
  for (const { header, data, typeflag } of members) {
    const base = { mode: 0o644, uid: 0, gid: 0, mtimeNs: 1_700_000_000_000_000_000n, ...header };
    if (typeflag) raw.push(patchedHeader(header.path, typeflag));
    else if (header.type === 'dir') await tar.addDirectory(base);
    else if (header.type === 'symlink') await tar.addSymlink({ ...base, linkname: header.linkname ?? '' });
    else if (header.type === 'hardlink') await tar.addHardLink({ ...base, linkname: header.linkname ?? '' });
    else await tar.addFile({ ...base, size: data?.length ?? 0 }, once(data ?? Buffer.alloc(0)));
  }
  await tar.finish();
  const bytes = Buffer.concat(raw);
  await gzip.write(options.truncate ? bytes.subarray(0, bytes.length - 20 * BLOCK - 700) : bytes);
  await gzip.finish();
  await out.commit();
}

describe('rollback of hostile, broken and failing archives', () => {
  let base: string;
  let root: string;
  let outside: string;
  let shop: ShopLayout;
  let target: SqliteTarget;
  let before: TreeEntry[];
  let beforeDb: string;
  let beforeOutside: TreeEntry[];
  const evil = path.join(tmpdir(), `lifeboat-evil-${randomBytes(4).toString('hex')}`);
  // Lifeboat's own folders change: the backups, and its home (where each rollback keeps its journal).
  const print = () => fingerprintTree(root, { ignore: (rel) => rel.startsWith('var/backups') || rel.startsWith('var/lifeboat') });
  const dbDigest = () => {
    const db = new Database(target.path, { readOnly: true });
    try {
      return JSON.stringify(['store', 'sales_order', 'catalog_product_entity'].map((t) => rowArrays(db, `SELECT * FROM ${t} ORDER BY rowid`)));
    } finally {
      db.close();
    }
  };
  let counter = 0;
  const archiveName = (label: string) => `${1_700_000_000 + counter++}_snapshot_${label}.tgz`;

  /**
   * Everything that must be unchanged after a refused or failed rollback. An undone swap sets the
   * mtimes of the folders it renamed in back through utimes: to the microsecond.
   */
  async function expectUnchanged(): Promise<void> {
    expect(treeDifferences(before, await print(), 1000n)).toEqual([]);
    expect(dbDigest()).toBe(beforeDb);
    expect(treeDifferences(beforeOutside, await fingerprintTree(outside))).toEqual([]);
    const beside = (await readdir(base)).filter((name) => !/^shop\.db-(wal|shm)$/.test(name)); // SQLite's own
    expect(beside.sort()).toEqual(['outside', 'shop', 'shop.db']); // no work folder left beside the root
    expect(existsSync(evil)).toBe(false);
    expect((await readdir(shop.home)).filter((name) => name.includes('journal'))).toEqual([]); // settled: no journal left
  }

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'lifeboat-safety-'));
    root = path.join(base, 'shop');
    outside = path.join(base, 'outside');
    const demo = await ensureDemoShop(root);
    // The database lives beside the root here, so the tree holds only files.
    await copyFile(demo.databaseFile, path.join(base, 'shop.db'));
    await rm(path.join(root, 'var'), { recursive: true });
    target = { kind: 'sqlite', path: path.join(base, 'shop.db') };
    await mkdir(path.join(root, 'var/log'), { recursive: true });
    await writeFile(path.join(root, 'var/log/system.log'), 'log\n');
    await mkdir(path.join(outside, 'sub'), { recursive: true });
    await writeFile(path.join(outside, 'file'), 'outside the shop\n');
    shop = { root, backupDir: path.join(root, 'var/backups'), home: path.join(root, 'var/lifeboat'), exclude: [] };
    await mkdir(shop.backupDir, { recursive: true });
    await mkdir(shop.home, { recursive: true }); // Lifeboat's home, where a rollback keeps its journal
    before = await print();
    beforeDb = dbDigest();
    beforeOutside = await fingerprintTree(outside);
  });

  const hostile: [string, Member[], RegExp][] = [
    ['an absolute path', [{ header: { path: `${evil}/x` }, data: Buffer.from('x') }], /absolute path/],
    ['a climb out with ..', [{ header: { path: '../escaped.txt' }, data: Buffer.from('x') }], /climbs out/],
    ['a climb out in the middle', [{ header: { path: 'app/../../escaped.txt' }, data: Buffer.from('x') }], /climbs out/],
    ['a write through a symlink to outside', [{ header: { path: 'app/link', type: 'symlink', linkname: '' } }, { header: { path: 'app/link/evil.txt' }, data: Buffer.from('x') }], /written through the symlink/],
    ['a write through a symlink to ..', [{ header: { path: 'escape', type: 'symlink', linkname: '..' } }, { header: { path: 'escape/evil.txt' }, data: Buffer.from('x') }], /written through the symlink/],
    ['a hard link to /etc/passwd', [{ header: { path: 'app/passwd', type: 'hardlink', linkname: '/etc/passwd' } }], /points outside/],
    ['a hard link climbing out', [{ header: { path: 'app/up', type: 'hardlink', linkname: '../outside/file' } }], /points outside/],
    ['a hard link to nothing', [{ header: { path: 'app/h', type: 'hardlink', linkname: 'app/missing' } }], /not an earlier member/],
    ['a hard link to a symlink', [{ header: { path: 'app/s', type: 'symlink', linkname: '/etc/passwd' } }, { header: { path: 'app/h2', type: 'hardlink', linkname: 'app/s' } }], /not a regular file/],
    ['a character device', [{ header: { path: 'dev/null' }, typeflag: '3' }], /device file/],
    ['a block device', [{ header: { path: 'dev/sda' }, typeflag: '4' }], /device file/],
    ['a FIFO', [{ header: { path: 'var/fifo' }, typeflag: '6' }], /FIFO/],
    ['a GNU sparse file', [{ header: { path: 'app/sparse' }, typeflag: 'S' }], /type Lifeboat does not restore/],
    ['a duplicate member', [{ header: { path: 'app/a' }, data: Buffer.from('1') }, { header: { path: 'app/a' }, data: Buffer.from('2') }], /appears twice/],
    ['a duplicate after normalisation', [{ header: { path: './app//a' }, data: Buffer.from('1') }, { header: { path: 'app/a' }, data: Buffer.from('2') }], /appears twice/],
    ['a member inside a file', [{ header: { path: 'app/x' }, data: Buffer.from('1') }, { header: { path: 'app/x/y' }, data: Buffer.from('2') }], /which is a file/],
  ];

  for (const [what, members, message] of hostile) {
    it(`refuses ${what} before changing anything`, async () => {
      const symlinkOut = members.find((m) => m.header.path === 'app/link');
      if (symlinkOut) symlinkOut.header.linkname = outside;
      const file = archiveName('hostile');
      await writeArchive(path.join(shop.backupDir, file), [{ header: { path: 'app/etc/env.php' }, data: Buffer.from('<?php // from the archive\n') }, ...members]);
      const record = await findBackup(shop.backupDir, file);
      const error = await rollbackTree(record, shop, target).catch((e: Error) => e);
      expect(error).toBeInstanceOf(OperationError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toMatch(/refusing to roll back, nothing was changed/);
      await expectUnchanged();
      expect((await verifyBackup(shop.backupDir, record)).ok).toBe(false); // verify says so too
    });
  }

  it('refuses a truncated archive', async () => {
    const file = archiveName('truncated');
    await writeArchive(path.join(shop.backupDir, file), [{ header: { path: 'app/big' }, data: randomBytes(64 * 1024) }], { truncate: true });
    await expect(rollbackTree(await findBackup(shop.backupDir, file), shop, target)).rejects.toThrow(/tar stream is broken: the archive is truncated/);
    await expectUnchanged();
  });

  it('fails, changing nothing, when the filesystem refuses a file that the writing thread creates', async () => {
    // A path of 5000 bytes (20 names of 249) passes the archive's checks and is refused by the
    // filesystem (PATH_MAX 4096), after many files before it were written by the extraction's thread.
    const file = archiveName('toolong');
    const many: Member[] = Array.from({ length: 600 }, (_, i) => ({ header: { path: `app/code/f${i}.php` }, data: Buffer.from(`<?php // ${i}\n`) }));
    await writeArchive(path.join(shop.backupDir, file), [...many, { header: { path: `app/${Array.from({ length: 20 }, () => 'n'.repeat(249)).join('/')}.php` }, data: Buffer.from('x') }]);
    const error = await rollbackTree(await findBackup(shop.backupDir, file), shop, target).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/ENAMETOOLONG/);
    await expectUnchanged();
  });

  it('refuses names that one file would get on a case-insensitive filesystem, and accepts them on Linux', async () => {
    const file = archiveName('casefold');
    const members: Member[] = [
      { header: { path: 'app/Readme.md' }, data: Buffer.from('1') },
      { header: { path: 'app/README.md' }, data: Buffer.from('2') },
    ];
    await writeArchive(path.join(shop.backupDir, file), members);
    const record = await findBackup(shop.backupDir, file);
    await expect(rollbackTree(record, shop, target, { folding: { case: true, unicode: true } })).rejects.toThrow(/name the same file on this filesystem/);
    await expectUnchanged();
    // The default probes the staging filesystem: ext4 keeps both names apart, so nothing collides.
    expect((await verifyBackup(shop.backupDir, record)).ok).toBe(true);
  });

  describe('with a real backup', () => {
    let file: string;

    beforeAll(async () => {
      const record = await createTreeBackup('system', shop, target, { name: 'safety' });
      file = record.file;
      expect(record.manifest?.warnings).toEqual([]);
      // The shop moves on after the backup; a failed rollback must leave it like this.
      await writeFile(path.join(root, 'app/etc/env.php'), 'changed after the backup\n');
      await writeFile(path.join(root, 'added-after-backup.txt'), 'new\n');
      await rm(path.join(root, 'composer.json'));
      const db = new Database(target.path);
      db.exec("UPDATE store SET name = 'after the backup'");
      db.close();
      before = await print();
      beforeDb = dbDigest();
    });

    for (const failAt of [1, 2, 5]) {
      it(`a failure after ${failAt} rename(s) of the swap puts everything back`, async () => {
        const record = await findBackup(shop.backupDir, file);
        let renames = 0;
        const error = await rollbackTree(record, shop, target, {
          afterRename: (n) => {
            renames = n;
            if (n === failAt) throw new Error(`injected failure after ${n} renames`);
          },
        }).catch((e: Error) => e);
        expect((error as Error).message).toBe(`injected failure after ${failAt} renames`);
        expect(renames).toBe(failAt);
        await expectUnchanged();
      });
    }

    it('the same rollback without a failure succeeds (so the failures above were mid-swap)', async () => {
      const record = await findBackup(shop.backupDir, file);
      let renames = 0;
      const result = await rollbackTree(record, shop, target, { afterRename: (n) => void (renames = n) });
      expect(renames).toBeGreaterThan(5);
      expect(result.renames).toBe(renames);
      expect(await readFile(path.join(root, 'app/etc/env.php'), 'utf8')).not.toBe('changed after the backup\n');
      expect(existsSync(path.join(root, 'added-after-backup.txt'))).toBe(false);
      expect(existsSync(path.join(root, 'composer.json'))).toBe(true);
      expect(await readFile(path.join(root, 'var/log/system.log'), 'utf8')).toBe('log\n');
      // Put the "after" state back for the next test.
      await writeFile(path.join(root, 'app/etc/env.php'), 'changed after the backup\n');
      await writeFile(path.join(root, 'added-after-backup.txt'), 'new\n');
      await rm(path.join(root, 'composer.json'));
      const db = new Database(target.path);
      db.exec("UPDATE store SET name = 'after the backup'");
      db.close();
      before = await print();
      beforeDb = dbDigest();
    });

    it('a dump that does not load is refused before any file is swapped', async () => {
      const name = archiveName('baddb');
      const time = name.slice(0, 10);
      await writeArchive(path.join(shop.backupDir, name), [
        { header: { path: 'app/etc/env.php' }, data: Buffer.from('<?php // from the archive\n') },
        { header: { path: 'brand-new.txt' }, data: Buffer.from('would be added') },
        { header: { path: `var/${time}_db.sql` }, data: Buffer.from('CREATE TABLE store (x);\nINSERT INTO nowhere VALUES (1);\nTHIS IS NOT SQL;\n') },
      ]);
      let renames = 0;
      const error = await rollbackTree(await findBackup(shop.backupDir, name), shop, target, { afterRename: (n) => void (renames = n) }).catch((e: Error) => e);
      expect(renames).toBe(0); // the database loads into its staging copy before the files are swapped
      expect((error as Error).message).toMatch(/no such table: nowhere/);
      await expectUnchanged();
    });

    // A failure before the database's commit point leaves the shop as it was; one after it, the backup's.
    for (const [step, after] of [
      ['files-swapped', 'old'],
      // SQLite committed, its journal not yet told: the marker table made in the transaction says so.
      ['database-committed', 'new'],
      ['database-swapped', 'new'],
    ] as const) {
      it(`a failure at ${step} (after the file swap) leaves the shop wholly ${after === 'old' ? 'as it was' : "the backup's"}`, async () => {
        const name = archiveName(`fail_${step.replace(/\W/g, '')}`);
        const time = name.slice(0, 10);
        await writeArchive(path.join(shop.backupDir, name), [
          { header: { path: 'app/etc/env.php' }, data: Buffer.from('<?php // from the archive\n') },
          { header: { path: 'brand-new.txt' }, data: Buffer.from('would be added') },
          { header: { path: `var/${time}_db.sql` }, data: Buffer.from("CREATE TABLE store (name TEXT);\nINSERT INTO store VALUES ('from the archive');\n") },
        ]);
        let renames = 0;
        process.env.LIFEBOAT_FAIL_AT = step;
        const error = await rollbackTree(await findBackup(shop.backupDir, name), shop, target, { afterRename: (n) => void (renames = n) })
          .catch((e: Error) => e)
          .finally(() => delete process.env.LIFEBOAT_FAIL_AT);
        expect(renames).toBeGreaterThan(0); // the files had been swapped when it failed
        if (after === 'old') {
          expect((error as Error).message).toMatch(/so the files were put back as they were: failing at/);
          await expectUnchanged();
          return;
        }
        expect((error as Error).message).toMatch(/^the shop was rolled back to .* \(wholly: its commit point had passed\), but the rollback failed afterwards: failing at/);
        expect(await readFile(path.join(root, 'app/etc/env.php'), 'utf8')).toBe('<?php // from the archive\n');
        expect(await readFile(path.join(root, 'brand-new.txt'), 'utf8')).toBe('would be added');
        const db = new Database(target.path, { readOnly: true });
        expect(column(db, 'SELECT name FROM store')).toEqual(['from the archive']);
        db.close();
        expect((await readdir(base)).filter((n) => n.startsWith('.lifeboat-'))).toEqual([]);
        expect((await readdir(shop.home)).filter((n) => n.includes('journal'))).toEqual([]);
      });
    }
  });

  it('reports files that vanish or change while a backup reads them, and still completes', async () => {
    await writeFile(path.join(root, 'vanishing.txt'), 'here at the walk, gone at the read');
    await writeFile(path.join(root, 'growing.bin'), randomBytes(16 << 20));
    let appender: NodeJS.Timeout | undefined;
    const record = await createTreeBackup('code', shop, undefined, {
      beforeFile: async (entry) => {
        if (entry.rel === 'vanishing.txt') await unlink(entry.abs);
        if (entry.rel === 'growing.bin') appender = setInterval(() => appendFileSync(entry.abs, 'more'), 1);
      },
    }).finally(() => clearInterval(appender));
    const warnings = record.manifest?.warnings ?? [];
    expect(warnings).toContainEqual(expect.stringMatching(/^vanishing\.txt: vanished or became unreadable before it was read \(ENOENT\)/));
    expect(warnings).toContainEqual(expect.stringMatching(/^growing\.bin: (grew|changed) while it was read/));
    expect((await verifyBackup(shop.backupDir, record)).ok).toBe(true);
    await unlink(path.join(root, 'growing.bin'));
  });
});
