// The writing thread of an extraction gets its operations in packed batches (paths in one string, the
// numbers in the batch's buffer): every file must come out whole, with its mode and mtime, in folders
// made in order, over many batches of both limits (256 operations, 1 MiB of data).
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SMALL_FILE, startTreeWriterAhead, TreeWriterThread } from '../../src/archive/tree-writer.js';
import { waitsAhead } from '../../src/archive/worker-module.js';

describe('the writing thread of an extraction', () => {
  let root: string;

  // In the run's temporary folder, which the test run removes at its end (test/helpers/temp-root.ts).
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'lifeboat-writer-'));
  });

  // A rollback starts the thread ahead (its input comes as its first message), a test does not.
  it.each([['started with it', false], ['started ahead', true]])('writes every file whole, with its mode and mtime, across many batches (thread %s)', async (_, ahead) => {
    if (ahead) startTreeWriterAhead();
    expect(waitsAhead('tree-write-worker')).toBe(ahead);
    const writer = new TreeWriterThread(false);
    expect(waitsAhead('tree-write-worker')).toBe(false);
    const files = new Map<string, { data: Buffer; mode: number; mtime: number }>();
    try {
      for (let folder = 0; folder < 12; folder++) {
        const dir = path.join(root, `tree-${ahead}`, `d${folder}`, 'ünïcode €');
        await writer.mkdir(dir);
        for (let i = 0; i < 60; i++) {
          const size = i === 0 ? 0 : i % 20 === 0 ? SMALL_FILE : (i * 7919) % 90_000;
          const data = randomBytes(size);
          const abs = path.join(dir, `f${i}.bin`);
          const meta = { mode: i % 2 ? 0o640 : 0o755, uid: 0, gid: 0, mtime: 1_700_000_000 + folder * 100 + i + 0.25 };
          files.set(abs, { data, mode: meta.mode, mtime: meta.mtime });
          // In two parts, as a file that spans two inflated chunks comes.
          await writer.writeFile(abs, meta, [data.subarray(0, size >> 1), data.subarray(size >> 1)], size);
        }
      }
      await writer.drain();
    } finally {
      await writer.close();
    }
    for (const [abs, want] of files) {
      expect((await readFile(abs)).equals(want.data)).toBe(true);
      const info = await stat(abs);
      expect(info.mode & 0o7777).toBe(want.mode);
      expect(info.mtimeMs / 1000).toBeCloseTo(want.mtime, 3);
    }
    expect(files.size).toBe(720);
  });

  it('refuses a path with a NUL byte in one line, before anything reaches the thread', async () => {
    const writer = new TreeWriterThread(false);
    try {
      await expect(writer.mkdir(path.join(root, 'bad\0name'))).rejects.toThrow(/^the path .* holds a NUL byte$/);
    } finally {
      await writer.close();
    }
  });
});
