// A file rollback keeps the shop's files that are exactly as the backup has them (hard-linked into the
// staging, live-reuse.ts) and writes the others: through the real command, from a .tgz and from an
// incremental backup, the restored tree is the backup's to the byte, mode and mtime, the unchanged files
// are the very same files (inodes), a file changed in bytes, mode or mtime, or with a second name, is
// written anew; a file over 1 MiB is kept too while it is the very file the backup read (found by inode
// and ctime, which the incremental listing and the .tgz's index record; its data not read), and written
// once a rollback's links moved its ctime; an index the manifest does not name is not believed;
// `--rewrite-all` writes every file; and a write by the shop into a
// kept file while the rollback stages refuses the rollback with nothing changed, also in a System rollback
// on MariaDB as the shop's own database user, whose staged tables are dropped and live ones untouched.
import { appendFile, chmod, link, mkdir, mkdtemp, readdir, readFile, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { cliShop, type CliShop } from '../helpers/cli-shop.js';
import { tableChecksums, withConnection } from '../helpers/mysql.js';
import { rollbackCleanedUp, rollbackJournals, workFoldersLeft } from '../helpers/rollback-cleanup.js';
import { fingerprintTree, treeDifferences, type TreeEntry } from '../helpers/tree.js';

const FILES = 120;
const MICROSECOND = 1000n;

interface RollbackJson {
  tree: { files: number };
  reused: { files: number; bytes: number };
}

describe.each([
  { kind: 'a .tgz backup', flags: [] as string[] },
  { kind: 'an incremental backup', flags: ['--incremental'] },
])('a file rollback from $kind keeps the shop files the backup has unchanged', ({ flags }) => {
  let base: string;
  let root: string;
  let home: string;
  let env: Record<string, string>;
  let backupId: string;
  let backedUp: TreeEntry[];
  const code = (name: string) => path.join(root, 'app/code/Acme', name);
  const print = () => fingerprintTree(root, { ignore: (rel) => rel === 'var' || rel.startsWith('var/') });
  const inode = async (file: string) => (await stat(file)).ino;
  const rollback = async (...extra: string[]): Promise<RollbackJson> => {
    const result = await runCli(['rollback', backupId, '--yes', '--json', ...extra], env);
    expect(result.stderr).toBe('');
    await rollbackCleanedUp(home);
    return JSON.parse(result.stdout) as RollbackJson;
  };

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'lifeboat-reuse-'));
    root = path.join(base, 'shop');
    home = path.join(base, 'home');
    await mkdir(path.join(root, 'app/code/Acme'), { recursive: true });
    await mkdir(path.join(root, 'var/backups'), { recursive: true });
    for (let i = 0; i < FILES; i++) await writeFile(code(`F${i}.php`), `<?php // file ${i}\n${'echo 1;\n'.repeat(i * 40)}`);
    // One file across several of the archive's chunks (its data is not at hand in one buffer).
    await writeFile(code('large.bin'), Buffer.alloc(700_000, 7));
    await writeFile(code('big.bin'), Buffer.alloc(3 << 20, 9));
    // Two names of one file: the archive holds the second as a hard link to the first.
    await writeFile(code('H1.txt'), 'one file, two names\n');
    await link(code('H1.txt'), code('H2.txt'));
    env = { LIFEBOAT_ROOT: root, LIFEBOAT_HOME: home, LIFEBOAT_CONFIG: '' };
    const backup = await runCli(['backup', 'code', ...flags, '--json'], env);
    expect(backup.stderr).toBe('');
    backupId = (JSON.parse(backup.stdout) as { id: string }).id;
    backedUp = await print();
  });

  it('keeps the unchanged files as they are and writes the changed ones anew', async () => {
    await writeFile(code('F1.php'), 'changed bytes');
    await chmod(code('F2.php'), 0o600);
    const when = (await stat(code('F3.php'))).mtime;
    await utimes(code('F3.php'), when, new Date(when.getTime() - 5000));
    await link(code('F4.php'), path.join(base, 'second-name.php'));
    await writeFile(code('new.php'), 'not in the backup');
    // The shop made the second name a file of its own: the first is kept, and the archive's hard link to it made again.
    await unlink(code('H2.txt'));
    await writeFile(code('H2.txt'), 'one file, two names\n');
    const keptFirstName = await inode(code('H1.txt'));
    const kept = await inode(code('F10.php'));
    const keptLarge = await inode(code('large.bin'));
    const big = await inode(code('big.bin'));
    const rewritten = await Promise.all(['F1.php', 'F2.php', 'F3.php', 'F4.php'].map((name) => inode(code(name))));

    const result = await rollback();
    expect(result.tree.files).toBe(FILES + 3);
    // The big file too: still the inode the backup read, with its ctime (the archive's index or the
    // snapshot's listing records both), it is kept without being read.
    expect(result.reused.files).toBe(FILES + 3 - 4);
    expect(treeDifferences(backedUp, await print(), MICROSECOND)).toEqual([]);
    expect(await inode(code('F10.php'))).toBe(kept);
    expect(await inode(code('large.bin'))).toBe(keptLarge);
    expect(await inode(code('big.bin'))).toBe(big);
    expect(await inode(code('H1.txt'))).toBe(keptFirstName);
    expect(await inode(code('H2.txt'))).toBe(keptFirstName);
    const after = await Promise.all(['F1.php', 'F2.php', 'F3.php', 'F4.php'].map((name) => inode(code(name))));
    for (let i = 0; i < after.length; i++) expect(after[i]).not.toBe(rewritten[i]);
    // The second name still holds the shop's file, which the restored tree no longer shares.
    expect((await stat(code('F4.php'))).nlink).toBe(1);
    expect((await stat(path.join(base, 'second-name.php'))).nlink).toBe(1);
    expect((await stat(code('F10.php'))).nlink).toBe(1);
    expect(await workFoldersLeft(base)).toEqual([]);
  });

  it('compares the files again once a rollback moved their ctimes (its links did), and writes a big one', async () => {
    const kept = await inode(code('F10.php'));
    const big = await inode(code('big.bin'));
    const result = await rollback();
    // Small files are compared byte for byte and kept; a big one (over 1 MiB) is written; H1.txt has
    // two names in the shop now, as in the backup, and a file with two names is written too.
    expect(result.reused.files).toBe(FILES + 3 - 2);
    expect(treeDifferences(backedUp, await print(), MICROSECOND)).toEqual([]);
    expect(await inode(code('F10.php'))).toBe(kept);
    expect(await inode(code('big.bin'))).not.toBe(big);
  });

  it('with --rewrite-all, writes every file anew', async () => {
    const before = await inode(code('F10.php'));
    const result = await rollback('--rewrite-all');
    expect(result.reused.files).toBe(0);
    expect(treeDifferences(backedUp, await print(), MICROSECOND)).toEqual([]);
    expect(await inode(code('F10.php'))).not.toBe(before);
  });

  it('refuses, with nothing changed, when the shop writes into a kept file before the swap', async () => {
    await writeFile(code('F1.php'), 'changed again');
    // The shop appends to a file the staging holds as a link, then the rollback goes on.
    let during: TreeEntry[] = [];
    const { code: exit, stderr } = await withPauseAtStaged(['rollback', backupId, '--yes'], env, async () => {
      await appendFile(code('F20.php'), '// written by the shop during the rollback\n');
      during = await print();
    });
    expect(exit).toBe(1);
    expect(stderr).toMatch(/1 of the shop's files changed while the rollback was staging them \(app\/code\/Acme\/F20\.php\); nothing was changed;.*--maintenance/);
    expect(treeDifferences(during, await print())).toEqual([]);
    expect(await readFile(code('F1.php'), 'utf8')).toBe('changed again');
    expect((await stat(code('F20.php'))).nlink).toBe(1);
    expect(await workFoldersLeft(base)).toEqual([]);
  });
  // A .tgz backup's index names the inode and ctime of each file; an index that is not the one the
  // manifest names (size, sha256) is not believed: its files are compared byte for byte.
  // Defined for the .tgz backup alone (an incremental one has no file index).
  if (flags.length === 0) it('does not believe an index the manifest does not name: a file changed behind its mtime is written anew', async () => {
    const file = code('F30.php');
    const original = await readFile(file);
    const before = await stat(file);
    const altered = Buffer.from(original);
    altered[0] ^= 1; // same size; the mtime is set back below: only the ctime and the bytes tell
    await writeFile(file, altered);
    await utimes(file, before.atime, before.mtime);
    // The index rewritten to claim the altered file as the one backed up (its inode and new ctime).
    const now = await stat(file, { bigint: true });
    const backups = path.join(root, 'var/backups');
    const index = path.join(backups, (await readdir(backups)).find((name) => name.endsWith('.files.gz')) ?? 'none');
    const text = gunzipSync(await readFile(index)).toString('utf8');
    const line = text.split('\n').find((l) => l.startsWith('["app/code/Acme/F30.php",')) ?? '';
    const claimed = [...(JSON.parse(line) as unknown[]).slice(0, 7), String(now.ino), String(now.ctimeNs)];
    await writeFile(index, gzipSync(text.replace(line, JSON.stringify(claimed))));

    await rollback();
    expect(await readFile(file)).toEqual(original);
    expect((await stat(file)).ino).not.toBe(Number(now.ino));
    expect(treeDifferences(backedUp, await print(), MICROSECOND)).toEqual([]);
  });
});

/** Runs `args` paused at files-staged, calls `meanwhile` there, lets it go on; its exit code and stderr. */
async function withPauseAtStaged(args: string[], env: Record<string, string>, meanwhile: () => Promise<void>): Promise<{ code: number | null; stderr: string }> {
  const child = startCli(args, { ...env, LIFEBOAT_PAUSE_AT: 'files-staged' });
  let stderr = '';
  const ended = new Promise<number | null>((resolve) => child.on('close', resolve));
  await new Promise<void>((resolve) =>
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('paused at files-staged')) resolve();
    }),
  );
  await meanwhile();
  child.kill('SIGUSR2');
  return { code: await ended, stderr };
}

describe('a System rollback on MariaDB, as the shop user, that keeps unchanged files', () => {
  let shop: CliShop;
  let id: string;
  const config = () => path.join(shop.root, 'app/etc/config.php');
  const kept = () => path.join(shop.root, 'app/code/Kept.php');

  beforeAll(async () => {
    shop = await cliShop('reusesys', 'CREATE TABLE item (id INT PRIMARY KEY, name VARCHAR(40)); INSERT INTO item VALUES (1, "backed up"), (2, "kept");');
    await mkdir(path.join(shop.root, 'app/etc'), { recursive: true });
    await mkdir(path.join(shop.root, 'app/code'), { recursive: true });
    await writeFile(config(), '<?php // backed up\n');
    await writeFile(kept(), '<?php // never changed by hand\n');
    const made = await runCli(['backup', 'system', '--json'], shop.env);
    expect(made.code, made.stderr).toBe(0);
    id = (JSON.parse(made.stdout) as { id: string }).id;
  });

  afterAll(async () => {
    await shop?.drop();
    if (shop) await rm(shop.root, { recursive: true, force: true });
  });

  it('is refused before the swap when the shop writes into a kept file: tables and files as they were', async () => {
    await withConnection(shop.shop, (conn) => conn.query('UPDATE item SET name = "changed" WHERE id = 1; INSERT INTO item VALUES (3, "added")'));
    await writeFile(config(), '<?php // changed\n');
    const before = await tableChecksums(shop.shop, ['item']);
    const refused = await withPauseAtStaged(['rollback', id, '--yes'], shop.env, () => appendFile(kept(), '// written during the rollback\n'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/1 of the shop's files changed while the rollback was staging them \(app\/code\/Kept\.php\); nothing was changed/);
    expect(await tableChecksums(shop.shop, ['item'])).toEqual(before);
    expect(await readFile(config(), 'utf8')).toBe('<?php // changed\n');
    expect(await readFile(kept(), 'utf8')).toBe('<?php // never changed by hand\n// written during the rollback\n');
    expect(await rollbackJournals(path.join(shop.root, 'var/lifeboat'))).toEqual([]);
  });

  it('rolls back rows and files, keeping the file the shop left alone', async () => {
    await writeFile(kept(), '<?php // never changed by hand\n'); // as backed up again, in bytes (a new mtime: written)
    const keptConfig = path.join(shop.root, 'app/etc/env.php');
    await writeFile(keptConfig, '<?php return [];\n');
    const made = await runCli(['backup', 'system', '--json'], shop.env);
    expect(made.code, made.stderr).toBe(0);
    const latest = (JSON.parse(made.stdout) as { id: string }).id;
    const envInode = await stat(keptConfig).then((info) => info.ino);
    await withConnection(shop.shop, (conn) => conn.query('UPDATE item SET name = "changed again" WHERE id = 2'));
    const rolled = await runCli(['rollback', latest, '--yes', '--json'], shop.env);
    expect(rolled.code, rolled.stderr).toBe(0);
    await rollbackCleanedUp(path.join(shop.root, 'var/lifeboat'));
    const result = JSON.parse(rolled.stdout) as RollbackJson;
    expect(result.reused.files).toBeGreaterThanOrEqual(3);
    expect(await stat(keptConfig).then((info) => info.ino)).toBe(envInode);
    const names = await withConnection(shop.shop, async (conn) => (await conn.query('SELECT id, name FROM item ORDER BY id'))[0]);
    expect(names).toEqual([{ id: 1, name: 'changed' }, { id: 2, name: 'kept' }, { id: 3, name: 'added' }]);
  });
});
