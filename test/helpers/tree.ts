// Shop trees for the file-archive tests: one with every corner the archives must keep (modes, owners,
// nanosecond mtimes, empty files and folders, relative, absolute and dangling symlinks, a symlinked
// pub/media, hard links, paths over 100 and 255 bytes, non-ASCII, NFC and NFD names side by side,
// quotes, spaces, leading dashes, a file bigger than the read-ahead window), plus a fingerprint of a
// tree: type, mode, owner, size, mtime, sha256, link target and hard-link group of every entry.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, chown, lchown, link, lstat, lutimes, mkdir, readdir, readlink, rename, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface TreeEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeNs: bigint;
  sha256?: string;
  target?: string;
  /** For files with several names: the first of them (in sorted order). */
  linkGroup?: string;
}

export interface FingerprintOptions {
  /** Symlinks (relative paths) to follow as folders, as a backup follows a symlinked pub/media. */
  follow?: string[];
  /** Paths (and their subtrees) to leave out. */
  ignore?: (rel: string) => boolean;
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function fingerprintTree(root: string, options: FingerprintOptions = {}): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  const inodes = new Map<string, string>();
  const namesOf = new Map<string, number>();
  const walk = async (rel: string) => {
    const abs = rel ? path.join(root, rel) : root;
    for (const name of (await readdir(abs)).sort()) {
      const childRel = rel ? `${rel}/${name}` : name;
      if (options.ignore?.(childRel)) continue;
      const childAbs = path.join(abs, name);
      let info = await lstat(childAbs, { bigint: true });
      if (info.isSymbolicLink() && options.follow?.includes(childRel)) info = await stat(childAbs, { bigint: true });
      const base = { path: childRel, mode: Number(info.mode & 0o7777n), uid: Number(info.uid), gid: Number(info.gid), mtimeNs: info.mtimeNs };
      if (info.isDirectory()) {
        entries.push({ ...base, type: 'dir', size: 0 });
        await walk(childRel);
      } else if (info.isSymbolicLink()) {
        entries.push({ ...base, type: 'symlink', mode: 0, size: 0, target: await readlink(childAbs) });
      } else {
        const key = `${info.dev}:${info.ino}`;
        const group = info.nlink > 1n ? (inodes.get(key) ?? childRel) : undefined;
        if (group) {
          inodes.set(key, group);
          namesOf.set(group, (namesOf.get(group) ?? 0) + 1);
        }
        entries.push({ ...base, type: 'file', size: Number(info.size), sha256: await sha256(childAbs), ...(group ? { linkGroup: group } : {}) });
      }
    }
  };
  await walk('');
  // Hard links within the tree only: a rollback's old tree, until it is removed, shares the files it kept.
  for (const entry of entries) if (entry.linkGroup !== undefined && namesOf.get(entry.linkGroup) === 1) delete entry.linkGroup;
  return entries;
}

/**
 * The differences between two fingerprints, as lines. Node sets times through a double of seconds, so
 * a restore by Lifeboat keeps mtimes to the microsecond: `mtimeToleranceNs` allows for that. Folders in
 * `volatileMtimes` may differ in mtime (var/ holds the SQLite database, whose -wal and -shm files come
 * and go whenever it is opened).
 */
export function treeDifferences(expected: TreeEntry[], actual: TreeEntry[], mtimeToleranceNs = 0n, volatileMtimes: string[] = []): string[] {
  const out: string[] = [];
  const byPath = new Map(actual.map((e) => [e.path, e]));
  for (const e of expected) {
    const a = byPath.get(e.path);
    byPath.delete(e.path);
    if (!a) {
      out.push(`missing: ${e.path}`);
      continue;
    }
    for (const key of ['type', 'mode', 'uid', 'gid', 'size', 'sha256', 'target', 'linkGroup'] as const) {
      if (e[key] !== a[key]) out.push(`${e.path}: ${key} ${String(e[key])} != ${String(a[key])}`);
    }
    const delta = e.mtimeNs > a.mtimeNs ? e.mtimeNs - a.mtimeNs : a.mtimeNs - e.mtimeNs;
    if (e.type !== 'symlink' && delta > mtimeToleranceNs && !volatileMtimes.includes(e.path)) out.push(`${e.path}: mtime ${e.mtimeNs} != ${a.mtimeNs}`);
  }
  for (const extra of byPath.keys()) out.push(`unexpected: ${extra}`);
  return out;
}

/** Paths over 100 and over 255 bytes, as the archives must keep them. */
export const LONG_PATH = `app/code/${'LongVendorName'.repeat(4)}/${'LongModuleName'.repeat(4)}/view/frontend/templates/product.phtml`;
export const VERY_LONG_PATH = `vendor/${'deeply-nested-folder/'.repeat(14)}${'a-file-name-that-is-long-'.repeat(4)}.php`;

async function put(root: string, rel: string, content: string | Buffer, mode = 0o644): Promise<void> {
  await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await writeFile(path.join(root, rel), content);
  await chmod(path.join(root, rel), mode);
}

/** Builds the corner-case tree under `root`, with pub/media a symlink to `mediaStore` (outside the root). */
export async function buildCornerShop(root: string, mediaStore: string): Promise<void> {
  // A media folder already there (the demo shop has one) moves out and becomes the symlink's target.
  const media = await lstat(path.join(root, 'pub/media')).catch(() => undefined);
  if (media?.isDirectory()) await rename(path.join(root, 'pub/media'), mediaStore);
  await put(root, 'app/etc/env.php', "<?php return ['db' => ['host' => 'localhost']];\n", 0o640);
  await put(root, 'app/code/Acme/Hello/registration.php', '<?php // registration\n');
  await put(root, 'app/empty-file.txt', '');
  await put(root, 'bin/magento', '#!/usr/bin/env php\n<?php echo "magento";\n', 0o755);
  await put(root, 'bin/setuid-tool', 'x', 0o4755);
  await put(root, LONG_PATH, 'long path\n');
  await put(root, VERY_LONG_PATH, 'very long path\n');
  await put(root, 'app/i18n/über café ⚓.csv', '"Hello","Hallo"\n');
  await put(root, 'app/i18n/caf\u00e9.txt', 'NFC name\n');
  await put(root, 'app/i18n/cafe\u0301.txt', 'NFD name, a different file on Linux\n');
  await put(root, "app/it's \"quoted\" & spaced.txt", 'quotes\n');
  await put(root, 'app/-rf', 'leading dash\n');
  await put(root, 'app/--help', 'two dashes\n');
  await put(root, 'app/ leading space', 'space\n');
  await put(root, 'lib/big.bin', randomBytes(3 * 1024 * 1024 + 17)); // bigger than the read-ahead window: streamed
  await put(root, 'lib/owned-by-1234', 'owner\n');
  await chown(path.join(root, 'lib/owned-by-1234'), 1234, 5678);
  await put(root, 'lib/owned-by-big-uid', 'big owner\n');
  await chown(path.join(root, 'lib/owned-by-big-uid'), 3_000_000, 3_000_001); // over ustar's 2097151: pax
  await put(root, 'lib/hard-a.txt', 'one inode, three names\n');
  await mkdir(path.join(root, 'app/links'), { recursive: true });
  await link(path.join(root, 'lib/hard-a.txt'), path.join(root, 'app/links/hard-b.txt'));
  await link(path.join(root, 'lib/hard-a.txt'), path.join(root, 'lib/hard-c.txt'));
  await symlink('../../lib/hard-a.txt', path.join(root, 'app/links/relative'));
  await symlink('/etc/hostname', path.join(root, 'app/links/absolute'));
  await symlink('does/not/exist', path.join(root, 'app/links/dangling'));
  await symlink('../app', path.join(root, 'lib/app-dir-link'));
  await lchown(path.join(root, 'app/links/relative'), 1234, 5678);
  await mkdir(path.join(root, 'generated/code'), { recursive: true }); // empty folders
  await mkdir(path.join(root, 'pub/static/empty'), { recursive: true });
  await put(root, 'pub/index.php', '<?php // front controller\n');
  await put(root, 'pub/static/deployed/styles.css', 'body{}\n');
  await put(root, 'readonly/inside.txt', 'in a read-only folder\n');
  await chmod(path.join(root, 'readonly'), 0o555);
  await mkdir(path.join(root, 'private'), { mode: 0o700 });
  await put(root, '.gitignore', '/var/\n'); // kept: only .git itself is ignored
  await put(root, '.github/workflows/ci.yml', 'on: push\n');
  await put(root, '.git/HEAD', 'ref: refs/heads/main\n');
  for (const ignored of ['var/cache/mage--1/x', 'var/page_cache/y', 'var/session/sess_1', 'var/log/system.log', 'var/report/1', 'var/locks/l', 'var/tmp/t']) {
    await put(root, ignored, `ignored ${ignored}\n`);
  }
  await put(root, 'var/import/products.csv', 'sku,name\n'); // var/ itself is backed up
  await put(root, 'var/composer_home/auth.json.bak', '{}\n'); // left out by LIFEBOAT_EXCLUDE=*.bak in the tests
  // Media live outside the root; pub/media is an absolute symlink to them.
  await put(mediaStore, 'catalog/product/a/b/shirt.jpg', randomBytes(70_000));
  await put(mediaStore, 'catalog/product/a/b/tiny.png', randomBytes(300));
  await put(mediaStore, 'wysiwyg/ÜBER ⚓.gif', randomBytes(900));
  await mkdir(path.join(mediaStore, 'tmp/empty'), { recursive: true });
  await symlink(mediaStore, path.join(root, 'pub/media'));
  // Times: sub-second, very old, in the future; folders last (adding contents changes their mtime).
  await utimes(path.join(root, 'app/etc/env.php'), 1_700_000_000.5, 1_700_000_000.123456);
  await utimes(path.join(root, 'bin/magento'), 315_532_800, 315_532_800); // 1980
  await utimes(path.join(root, 'pub/index.php'), 4_102_444_800.25, 4_102_444_800.75); // 2100
  await lutimes(path.join(root, 'app/links/absolute'), 1_600_000_000, 1_600_000_000);
  await utimes(path.join(root, 'generated/code'), 1_650_000_000.000001, 1_650_000_000.000001);
  await utimes(path.join(root, 'app/i18n'), 1_650_000_001.5, 1_650_000_001.5);
}

/** Ignored in every file backup of the corner shop (built-in ignores, the backup folder, the SQLite db). */
export function ignoredInCornerShop(rel: string): boolean {
  return (
    ['var/cache', 'var/page_cache', 'var/session', 'var/log', 'var/report', 'var/locks', 'var/tmp', '.git', 'var/backups', 'var/lifeboat', 'var/shop.db'].some(
      (p) => rel === p || rel.startsWith(p + '/') || rel.startsWith('var/shop.db-'),
    ) || rel.endsWith('.bak')
  );
}
