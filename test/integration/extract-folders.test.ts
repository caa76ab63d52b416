// An extraction gives a folder its mode and mtime as soon as it has left it, on the writing thread; an
// archive that is not in tar's usual order (a folder's members later, after other folders) must still
// end with every folder's mode and mtime as the archive says, and read-only folders must take their
// late members.
import { chmod, lstat, mkdir, mkdtemp, readFile, readlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractTar } from '../../src/archive/extract.js';
import { readTar } from '../../src/archive/tar-reader.js';
import { TarWriter } from '../../src/archive/tar-writer.js';
import { EXACT_NAMES } from '../../src/archive/tar-safety.js';

const SECOND = 1_000_000_000n;
type Entry = { path: string; mode?: number; data?: string };

async function* once(buffer: Buffer): AsyncIterable<Buffer> {
  yield buffer;
}

/** A tar stream of `entries` in the given order (a folder has no data; folders get mtimes 1, 2, 3 ... days). */
async function tarOf(entries: Entry[]): Promise<Buffer> {
  const raw: Buffer[] = [];
  const tar = new TarWriter({ write: async (chunk) => void raw.push(Buffer.from(chunk)) });
  for (const [i, entry] of entries.entries()) {
    const header = { path: entry.path, mode: entry.mode ?? 0o644, uid: 0, gid: 0, mtimeNs: BigInt(i + 1) * 86_400n * SECOND + 123_456_000n };
    if (entry.data === undefined) await tar.addDirectory(header);
    else await tar.addFile({ ...header, size: Buffer.byteLength(entry.data) }, Buffer.from(entry.data));
  }
  await tar.finish();
  return Buffer.concat(raw);
}

describe("an extraction's folder metadata", () => {
  let root: string;

  // In the run's temporary folder, which the test run removes at its end (test/helpers/temp-root.ts).
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'lifeboat-folders-'));
  });

  it('ends with every mode and mtime as the archive says, also when the archive comes back to a folder', async () => {
    const entries: Entry[] = [
      { path: 'a', mode: 0o755 },
      { path: 'a/f1', data: 'one' },
      { path: 'a/sub', mode: 0o750 },
      { path: 'a/sub/f2', data: 'two' },
      { path: 'b', mode: 0o711 },
      { path: 'b/f3', data: 'three' },
      { path: 'a/f4', data: 'four' }, // back into a (finished when b began)
      { path: 'a/sub/f5', data: 'five' }, // and into a/sub
      { path: 'ro', mode: 0o555 }, // read-only: waits for the final pass
      { path: 'ro/f6', data: 'six' },
      { path: 'c', mode: 0o700 },
      { path: 'ro/f7', data: 'seven' }, // back into the read-only folder
      { path: 'c/deep/f8', data: 'eight' }, // c/deep is not listed
      { path: 'd', mode: 0o755 },
      { path: 'd/e', mode: 0o755 },
      { path: 'd/e/f9', data: 'nine' },
    ];
    // Into a plain folder (folders made with their mode) and into a setgid one (made 0o700, then chmod).
    for (const setgid of [false, true]) await extractAndCompare(entries, setgid);
  });

  it('makes every member of a many-member archive read in small uneven pieces: files across pieces, big files, links', async () => {
    // Members that are made at once (folders, small files at hand) and ones that wait (a small file whose
    // data comes in later pieces, a file over 1 MiB written on this thread, symlinks and hard links after a
    // drain), in batches enough to fill the writing thread's queue many times over.
    const raw: Buffer[] = [];
    const tar = new TarWriter({ write: async (chunk) => void raw.push(Buffer.from(chunk)) });
    const files = new Map<string, Buffer>();
    const mtimeNs = 1_700_000_000n * SECOND + 250_000_000n;
    for (let d = 0; d < 40; d++) {
      await tar.addDirectory({ path: `d${d}`, mode: 0o750, uid: 0, gid: 0, mtimeNs });
      for (let f = 0; f < 60; f++) {
        const rel = `d${d}/f${f}.txt`;
        const data = Buffer.alloc(d === 7 && f === 3 ? (1 << 20) + 4097 : (d * 60 + f) % 1500, `${rel};`);
        files.set(rel, data);
        await tar.addFile({ path: rel, mode: 0o640, uid: 0, gid: 0, mtimeNs, size: data.length }, data);
      }
      if (d % 39 !== 0) continue; // links in the first and last folders only: nothing drains the batches between
      await tar.addSymlink({ path: `d${d}/link`, mode: 0o777, uid: 0, gid: 0, mtimeNs, linkname: 'f1.txt' });
      await tar.addHardLink({ path: `d${d}/hard`, mode: 0o640, uid: 0, gid: 0, mtimeNs, linkname: `d${d}/f2.txt` });
    }
    await tar.finish();
    const whole = Buffer.concat(raw);
    async function* pieces(): AsyncIterable<Buffer> {
      for (let at = 0, i = 0; at < whole.length; i++) {
        const size = [777, 5000, 64, 100_000][i % 4];
        yield whole.subarray(at, at + size);
        at += size;
      }
    }
    const dir = path.join(root, 'pieces');
    await mkdir(dir);
    const { counts } = await extractTar(readTar(pieces()), { targets: [{ rel: '', dir }], folding: EXACT_NAMES, preserveOwners: false });
    expect(counts).toMatchObject({ files: 2400, dirs: 40, symlinks: 2, hardlinks: 2 });
    for (const [rel, data] of files) expect((await readFile(path.join(dir, rel))).equals(data), rel).toBe(true);
    for (const d of [0, 39]) {
      expect(await readlink(path.join(dir, `d${d}/link`))).toBe('f1.txt');
      expect((await lstat(path.join(dir, `d${d}/hard`))).ino).toBe((await lstat(path.join(dir, `d${d}/f2.txt`))).ino);
    }
    for (let d = 0; d < 40; d++) {
      const info = await lstat(path.join(dir, `d${d}`), { bigint: true });
      expect(Number(info.mode & 0o7777n)).toBe(0o750);
      const delta = info.mtimeNs - mtimeNs;
      expect(delta >= -120n && delta <= 120n, `d${d}: mtime off by ${delta} ns`).toBe(true);
    }
  });

  async function extractAndCompare(entries: Entry[], setgid: boolean): Promise<void> {
    const dir = path.join(root, setgid ? 'out-setgid' : 'out');
    await mkdir(dir);
    if (setgid) await chmod(dir, 0o2755);
    const { counts, folders } = await extractTar(readTar(once(await tarOf(entries))), {
      targets: [{ rel: '', dir }],
      folding: EXACT_NAMES,
      preserveOwners: false,
    });
    expect(counts).toMatchObject({ files: 9, dirs: 7 });
    expect(folders.size).toBe(7);
    for (const [i, entry] of entries.entries()) {
      const abs = path.join(dir, entry.path);
      const info = await lstat(abs, { bigint: true });
      if (entry.data !== undefined) {
        expect(await readFile(abs, 'utf8')).toBe(entry.data);
        continue;
      }
      expect(Number(info.mode & 0o7777n), entry.path).toBe(entry.mode);
      // utimes takes seconds as a double: the nearest one is within 0.12 µs
      const delta = info.mtimeNs - (BigInt(i + 1) * 86_400n * SECOND + 123_456_000n);
      expect(delta >= -120n && delta <= 120n, `${entry.path}: mtime off by ${delta} ns`).toBe(true);
    }
  }
});
