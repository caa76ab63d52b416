// removeFolder: rm -rf --one-file-system first, removeTree for what it left; without rm (not on the PATH)
// the walk removes it all, read-only folders included.
import { chmod, mkdir, mkdtemp, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeFolder } from '../../src/archive/remove-folder.js';

async function tree(): Promise<{ base: string; folder: string; outside: string }> {
  const base = await mkdtemp(path.join(tmpdir(), 'lifeboat-remove-'));
  const folder = path.join(base, 'work');
  const outside = path.join(base, 'outside.txt');
  await writeFile(outside, 'not to be removed');
  await mkdir(path.join(folder, 'prev/app/code'), { recursive: true });
  for (let i = 0; i < 50; i++) await writeFile(path.join(folder, `prev/app/code/F${i}.php`), `<?php ${i}`);
  await symlink(outside, path.join(folder, 'prev/app/link'));
  await chmod(path.join(folder, 'prev/app/code'), 0o555); // a read-only code folder, as shops have them
  return { base, folder, outside };
}

describe('removeFolder', () => {
  const path0 = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path0;
  });

  it('removes the folder and all in it, not what a symlink in it points to', async () => {
    const { folder, outside } = await tree();
    await removeFolder(folder);
    await expect(stat(folder)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await stat(outside)).isFile()).toBe(true);
  });

  it('removes it all without rm, by the walk', async () => {
    const { folder, outside } = await tree();
    process.env.PATH = '';
    await removeFolder(folder);
    await expect(stat(folder)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await stat(outside)).isFile()).toBe(true);
  });

  // A cleanup process killed with kill -9 leaves its rm running while the next job's recovery removes the same folder.
  it('removes a folder that something else is removing at the same time', async () => {
    const { folder, outside } = await tree();
    for (let d = 0; d < 20; d++) {
      await mkdir(path.join(folder, `prev/d${d}`));
      for (let i = 0; i < 50; i++) await writeFile(path.join(folder, `prev/d${d}/f${i}`), 'x');
    }
    process.env.PATH = ''; // both by the walk, the most entries each
    await Promise.all([removeFolder(folder), removeFolder(folder), removeFolder(folder)]);
    await expect(stat(folder)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await stat(outside)).isFile()).toBe(true);
  });

  it('does nothing for a folder that is not there', async () => {
    const { base } = await tree();
    await expect(removeFolder(path.join(base, 'gone'))).resolves.toBeUndefined();
  });
});
