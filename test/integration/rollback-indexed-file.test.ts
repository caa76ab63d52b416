// `lifeboat rollback ID --path FILE` reads one file from where the backup's file index places it: the
// archive is inflated from the frame holding the file's header, not from its start. The file restored
// that way is byte for byte the backed-up file, at the end of a big .tgz and .tar.zst and for a file
// spanning several frames; the JSON result reports the compressed bytes read (a small part of the
// archive). An index written before places were recorded still restores the file, read from the start.
// A file whose bytes in the archive were changed is refused, nothing changed.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { runCli } from '../helpers/cli.js';

/** Sorted last in the walk, so its members are at the archive's end. */
const LAST = 'zzz-last/notes.txt';
/** Text of several frames (1 MiB of tar each), so its data spans several members. */
const SPANNING = 'zzz-last/spanning.log';

type IndexLine = [string, string, number, string, number?, number?, number?];

describe('rollback --path of one file, read from its place in the archive', () => {
  let env: Record<string, string>;
  let root: string;
  let backupDir: string;
  const contents = new Map<string, Buffer>();
  const backups: Record<'gzip' | 'zstd', { id: string; file: string }> = { gzip: { id: '', file: '' }, zstd: { id: '', file: '' } };

  const indexOf = async (file: string) =>
    gunzipSync(await readFile(path.join(backupDir, `${file}.files.gz`)))
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as IndexLine);
  const restore = async (id: string, rel: string) => {
    await writeFile(path.join(root, rel), 'changed after the backup\n');
    const done = await runCli(['rollback', id, '--path', rel, '--yes', '--json'], env);
    expect(done.code, done.stderr).toBe(0);
    return JSON.parse(done.stdout) as { indexedRead?: { compressedBytes: number } };
  };
  const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

  beforeAll(async () => {
    const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-indexed-')), 'shop'));
    root = shop.root;
    backupDir = path.join(root, 'var', 'backups');
    env = { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: shop.databaseUrl };
    // 48 MiB of stored media before the files at the end: a one-file read that started at the archive's
    // start would read all of it.
    await mkdir(path.join(root, 'pub', 'media', 'big'), { recursive: true });
    for (const name of ['a.jpg', 'b.jpg', 'c.jpg']) await writeFile(path.join(root, 'pub', 'media', 'big', name), randomBytes(16 << 20));
    await mkdir(path.join(root, 'zzz-last'), { recursive: true });
    contents.set(LAST, Buffer.from(`notes written before the backup ${randomBytes(8).toString('hex')}\n`));
    const words = Array.from({ length: 400_000 }, (_, i) => `line ${i} ${randomBytes(3).toString('hex')}`).join('\n');
    contents.set(SPANNING, Buffer.from(words));
    for (const [rel, data] of contents) await writeFile(path.join(root, rel), data);
    for (const [kind, args] of [
      ['gzip', []],
      ['zstd', ['--compression', 'zstd']],
    ] as const) {
      const made = await runCli(['backup', 'system', '--json', ...args], env);
      expect(made.code, made.stderr).toBe(0);
      backups[kind] = JSON.parse(made.stdout);
    }
  });

  for (const kind of ['gzip', 'zstd'] as const) {
    it(`restores the last file of a big ${kind} archive reading only its end`, async () => {
      const { file, id } = backups[kind];
      const archiveSize = (await stat(path.join(backupDir, file))).size;
      const line = (await indexOf(file)).find(([rel]) => rel === LAST);
      // Recorded: the frame holding its header is at the archive's end.
      expect(line?.[5]).toBeGreaterThan(archiveSize * 0.9);
      const result = await restore(id, LAST);
      expect(sha(await readFile(path.join(root, LAST)))).toBe(sha(contents.get(LAST)!));
      expect(result.indexedRead?.compressedBytes).toBeGreaterThan(0);
      expect(result.indexedRead!.compressedBytes).toBeLessThan(archiveSize / 10);
    });

    it(`restores a file spanning several ${kind} frames byte for byte`, async () => {
      const { file, id } = backups[kind];
      const archiveSize = (await stat(path.join(backupDir, file))).size;
      const line = (await indexOf(file)).find(([rel]) => rel === SPANNING);
      expect(line?.[2]).toBeGreaterThan(3 << 20); // more than three frames of 1 MiB
      expect(line?.[6]).toBeGreaterThan(0); // its header starts inside a frame, after the file before it
      const result = await restore(id, SPANNING);
      expect(sha(await readFile(path.join(root, SPANNING)))).toBe(sha(contents.get(SPANNING)!));
      expect(result.indexedRead?.compressedBytes).toBeLessThan(archiveSize / 5);
    });
  }

  it('restores the file from an index without places (written before they were recorded), reading the archive from its start', async () => {
    const { file, id } = backups.gzip;
    const indexFile = path.join(backupDir, `${file}.files.gz`);
    const manifestFile = path.join(backupDir, `${file}.manifest.json`);
    const [savedIndex, savedManifest] = [await readFile(indexFile), await readFile(manifestFile)];
    try {
      const old = gzipSync((await indexOf(file)).map((line) => JSON.stringify(line.slice(0, 5)) + '\n').join(''));
      await writeFile(indexFile, old);
      const manifest = JSON.parse(savedManifest.toString('utf8'));
      manifest.tree.index = { ...manifest.tree.index, size: old.length, sha256: sha(old) };
      await writeFile(manifestFile, JSON.stringify(manifest));
      const result = await restore(id, LAST);
      expect(sha(await readFile(path.join(root, LAST)))).toBe(sha(contents.get(LAST)!));
      expect(result.indexedRead).toBeUndefined();
    } finally {
      await writeFile(indexFile, savedIndex);
      await writeFile(manifestFile, savedManifest);
    }
  });

  it('refuses a file whose bytes in the archive were changed, leaving the shop file as it was', async () => {
    const { file, id } = backups.zstd;
    const archive = path.join(backupDir, file);
    const saved = await readFile(archive);
    const line = (await indexOf(file)).find(([rel]) => rel === LAST)!;
    try {
      // The member's text is in the frame at line[5]; a changed byte inside it breaks that frame's checksum or the file's CRC-32.
      const damaged = Buffer.from(saved);
      damaged[line[5]! + 40] ^= 0xff;
      await writeFile(archive, damaged);
      await writeFile(path.join(root, LAST), 'changed after the backup\n');
      const refused = await runCli(['rollback', id, '--path', LAST, '--yes'], env);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/damaged.*nothing was changed/);
      expect(await readFile(path.join(root, LAST), 'utf8')).toBe('changed after the backup\n');
    } finally {
      await writeFile(archive, saved);
    }
  });
});
