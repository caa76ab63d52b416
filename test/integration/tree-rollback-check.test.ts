// A rollback of Lifeboat's own .tgz into one staging folder checks the archive while it extracts it
// (no separate read first): a damaged archive, or another archive under its name, is still refused
// with nothing changed in the shop and no work folder left behind.
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { workFoldersLeft } from '../helpers/rollback-cleanup.js';
import { runCli } from '../helpers/cli.js';

interface BackupJson {
  id: string;
  file: string;
  path: string;
}

describe('rollback of a code archive checks it while extracting', () => {
  let base: string;
  let root: string;
  let backupDir: string;
  let env: Record<string, string>;
  const cli = (args: string[]) => runCli(args, env);
  /** Every file of the shop with its content, backups left out. */
  const snapshot = () => execFileSync('sh', ['-c', `cd '${root}' && find . -path ./var/backups -prune -o -type f -print | sort | xargs md5sum`]).toString();
  const workFolders = async () => (await readdir(base)).filter((n) => n.startsWith('.lifeboat-'));
  const backupCode = async (): Promise<BackupJson> => {
    const result = await cli(['backup', 'code', '--json']);
    expect(result.stderr).toBe('');
    return JSON.parse(result.stdout) as BackupJson;
  };

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'lifeboat-check-'));
    root = path.join(base, 'shop');
    for (let i = 0; i < 40; i++) {
      await mkdir(path.join(root, 'app/code', `M${i % 7}`), { recursive: true });
      await writeFile(path.join(root, 'app/code', `M${i % 7}`, `f${i}.php`), `<?php // file ${i}\n${'echo 1;\n'.repeat(i * 50)}`);
    }
    backupDir = path.join(root, 'var', 'backups');
    await mkdir(backupDir, { recursive: true });
    env = { LIFEBOAT_ROOT: root, LIFEBOAT_HOME: path.join(base, 'home'), LIFEBOAT_CONFIG: '' };
  });

  it('restores the archive, and refuses a damaged one or a different one under its name', async () => {
    const first = await backupCode();
    const before = snapshot();
    await writeFile(path.join(root, 'app/code/M1/f1.php'), 'changed after the first backup');
    const second = await backupCode();
    const changed = snapshot();
    const pristine = await readFile(first.path);

    // One byte flipped in the middle: the gzip or tar stream breaks during extraction.
    const damaged = Buffer.from(pristine);
    damaged[Math.floor(damaged.length / 2)] ^= 0x55;
    await writeFile(first.path, damaged);
    const broken = await cli(['rollback', first.id, '--yes']);
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toMatch(/damaged or unsafe.*nothing was changed/);
    expect(snapshot()).toBe(changed);
    expect(await workFolders()).toEqual([]);

    // A whole, valid archive that is not the one the manifest describes: its size or sha256 gives it away.
    await copyFile(second.path, first.path);
    const other = await cli(['rollback', first.id, '--yes']);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/damaged or unsafe \((size is \d+ bytes|sha256 is [0-9a-f]{64}), the manifest says .*nothing was changed/);
    expect(snapshot()).toBe(changed);
    expect(await workFolders()).toEqual([]);

    await writeFile(first.path, pristine);
    const good = await cli(['rollback', first.id, '--yes']);
    expect(good.stderr).toBe('');
    expect(good.code).toBe(0);
    expect(snapshot()).toBe(before);
    expect(await workFoldersLeft(base)).toEqual([]); // removed by the job's detached process
  });
});
