// A file rollback keeps the shop's files that are exactly as the backup has them (hard-linked into the
// staging, live-reuse.ts) and writes the others: through the real command, from a .tgz and from an
// incremental backup, the restored tree is the backup's to the byte, mode and mtime, the unchanged files
// are the very same files (inodes), a file changed in bytes, mode or mtime, or with a second name, is
// written anew; a file over 1 MiB is kept from an incremental backup (found by inode and ctime, its data
// not read) and written from a .tgz; `--rewrite-all` writes every file; and a write by the shop into a
// kept file while the rollback stages refuses the rollback with nothing changed.
import { appendFile, chmod, link, mkdir, mkdtemp, readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { rollbackCleanedUp, workFoldersLeft } from '../helpers/rollback-cleanup.js';
import { fingerprintTree, treeDifferences, type TreeEntry } from '../helpers/tree.js';

const FILES = 120;
const MICROSECOND = 1000n;

interface RollbackJson {
  tree: { files: number };
  reused: { files: number; bytes: number };
}

describe.each([
  { kind: 'a .tgz backup', flags: [] as string[], keepsBig: false },
  { kind: 'an incremental backup', flags: ['--incremental'], keepsBig: true },
])('a file rollback from $kind keeps the shop files the backup has unchanged', ({ flags, keepsBig }) => {
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
    expect(result.reused.files).toBe(FILES + 3 - 4 - (keepsBig ? 0 : 1));
    expect(treeDifferences(backedUp, await print(), MICROSECOND)).toEqual([]);
    expect(await inode(code('F10.php'))).toBe(kept);
    expect(await inode(code('large.bin'))).toBe(keptLarge);
    if (keepsBig) expect(await inode(code('big.bin'))).toBe(big);
    else expect(await inode(code('big.bin'))).not.toBe(big);
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

  it('with --rewrite-all, writes every file anew', async () => {
    const before = await inode(code('F10.php'));
    const result = await rollback('--rewrite-all');
    expect(result.reused.files).toBe(0);
    expect(treeDifferences(backedUp, await print(), MICROSECOND)).toEqual([]);
    expect(await inode(code('F10.php'))).not.toBe(before);
  });

  it('refuses, with nothing changed, when the shop writes into a kept file before the swap', async () => {
    await writeFile(code('F1.php'), 'changed again');
    const child = startCli(['rollback', backupId, '--yes'], { ...env, LIFEBOAT_PAUSE_AT: 'files-staged' });
    let stderr = '';
    const ended = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve) =>
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('paused at files-staged')) resolve();
      }),
    );
    // The shop appends to a file the staging holds as a link, then the rollback goes on.
    await appendFile(code('F20.php'), '// written by the shop during the rollback\n');
    const during = await print();
    child.kill('SIGUSR2');
    expect(await ended).toBe(1);
    expect(stderr).toMatch(/1 of the shop's files changed while the rollback was staging them \(app\/code\/Acme\/F20\.php\); nothing was changed;.*--maintenance/);
    expect(treeDifferences(during, await print())).toEqual([]);
    expect(await readFile(code('F1.php'), 'utf8')).toBe('changed again');
    expect((await stat(code('F20.php'))).nlink).toBe(1);
    expect(await workFoldersLeft(base)).toEqual([]);
  });
});
