// LiveReuse (the extraction's writing thread's part in keeping the shop's unchanged files): a file is
// linked only when it is exactly the member, and a file to keep that is not the one found (another
// inode, another size or mtime, a second name) fails with nothing left in the staging.
import { link, mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { LiveReuse } from '../../src/archive/live-reuse.js';
import { ReusedFiles } from '../../src/archive/reused-files.js';
import { utimesSeconds } from '../../src/archive/utimes-seconds.js';

describe('LiveReuse', () => {
  let live: string;
  let staged: string;
  let reuse: LiveReuse;
  const bytes = Buffer.from('<?php echo 1;\n');

  beforeEach(async () => {
    const base = await mkdtemp(path.join(tmpdir(), 'lifeboat-live-reuse-'));
    live = path.join(base, 'live');
    staged = path.join(base, 'staged');
    await mkdir(live);
    await mkdir(staged);
    await writeFile(path.join(live, 'a.php'), bytes, { mode: 0o644 });
    reuse = new LiveReuse([{ dir: staged, live }], 'as-archive');
  });

  const wanted = async (data: Buffer) => {
    const info = await stat(path.join(live, 'a.php'), { bigint: true });
    return { data, at: 0, length: data.length, mode: 0o644, uid: Number(info.uid), gid: Number(info.gid), mtime: utimesSeconds(info.mtimeNs) };
  };

  it('links a file whose bytes and metadata are the member, and logs it', async () => {
    expect(reuse.tryLink(path.join(staged, 'a.php'), await wanted(bytes))).toBe(true);
    expect((await stat(path.join(staged, 'a.php'))).ino).toBe((await stat(path.join(live, 'a.php'))).ino);
    const log = new ReusedFiles(reuse.take());
    expect(log.count).toBe(1);
    expect(log.changed().count).toBe(0);
    await writeFile(path.join(live, 'a.php'), 'written by the shop');
    expect(log.changed()).toEqual({ count: 1, named: [path.join(staged, 'a.php')] });
  });

  it('leaves nothing in the staging for a file that differs in one byte, or has a second name', async () => {
    const other = Buffer.from(bytes);
    other[0] ^= 1;
    expect(reuse.tryLink(path.join(staged, 'a.php'), await wanted(other))).toBe(false);
    await link(path.join(live, 'a.php'), path.join(live, 'second.php'));
    expect(reuse.tryLink(path.join(staged, 'a.php'), await wanted(bytes))).toBe(false);
    expect(await readdir(staged)).toEqual([]);
    expect(reuse.take().count).toBe(0);
  });

  it('keeps a file found unchanged, and fails with nothing left when it is not that file', async () => {
    const info = await stat(path.join(live, 'a.php'), { bigint: true });
    const mtime = utimesSeconds(info.mtimeNs);
    expect(() => reuse.linkKept(path.join(staged, 'a.php'), Number(info.ino) + 1, bytes.length, mtime)).toThrow(/changed while the rollback was staging it.*nothing was changed/);
    expect(() => reuse.linkKept(path.join(staged, 'a.php'), Number(info.ino), bytes.length + 1, mtime)).toThrow(/changed while the rollback was staging it/);
    expect(() => reuse.linkKept(path.join(staged, 'gone.php'), Number(info.ino), bytes.length, mtime)).toThrow(/changed while the rollback was staging it/);
    expect(await readdir(staged)).toEqual([]);
    reuse.linkKept(path.join(staged, 'a.php'), Number(info.ino), bytes.length, mtime);
    expect(reuse.take()).toMatchObject({ count: 1, bytes: bytes.length });
  });
});
