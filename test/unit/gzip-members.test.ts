import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { AtomicFile } from '../../src/archive/atomic-file.js';
import { GzipMemberWriter } from '../../src/archive/gzip-members.js';

describe('gzip members', () => {
  it('writes a valid .gz that gzip -t and zcat read, and cut() gives member offsets', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-gz-'));
    const file = path.join(dir, 'dump.sql.gz');
    const out = await AtomicFile.create(file);
    const writer = new GzipMemberWriter(out, { blockSize: 4096, concurrency: 3 });
    const parts: Buffer[] = [];
    const offsets: { compressed: number; uncompressed: number }[] = [];
    for (let table = 0; table < 5; table++) {
      offsets.push({ compressed: await writer.cut(), uncompressed: writer.bytesWritten });
      for (let i = 0; i < 300 * table; i++) {
        const line = Buffer.from(`INSERT INTO t${table} VALUES (${i}, 'row ${i} ${'x'.repeat(i % 50)}');\n`);
        parts.push(line);
        await writer.write(line);
      }
    }
    const total = await writer.finish();
    const { size, sha256 } = await out.commit();
    const expected = Buffer.concat(parts);
    expect(total).toBe(expected.length);
    const bytes = await readFile(file);
    expect(bytes.length).toBe(size);
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(gunzipSync(bytes).equals(expected)).toBe(true);
    execFileSync('gzip', ['-t', file]);
    expect(execFileSync('zcat', [file]).equals(expected)).toBe(true);
    // Each table's data can be read from its member onwards without what comes before.
    for (const { compressed, uncompressed } of offsets) {
      expect(gunzipSync(bytes.subarray(compressed)).equals(expected.subarray(uncompressed))).toBe(true);
    }
  });

  it('reports a failing output instead of losing it', async () => {
    const writer = new GzipMemberWriter({ write: async () => Promise.reject(new Error('disk full')) }, { blockSize: 16 });
    await expect(
      (async () => {
        for (let i = 0; i < 100; i++) await writer.write('0123456789abcdef0123456789');
        await writer.finish();
      })(),
    ).rejects.toThrow('disk full');
  });

  it('AtomicFile leaves nothing behind on abort and refuses a name in use', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-atomic-'));
    const file = path.join(dir, 'a.sql.gz');
    const first = await AtomicFile.create(file);
    await expect(AtomicFile.create(file)).rejects.toThrow(/EEXIST/);
    await first.write(Buffer.from('half'));
    await first.abort();
    await writeFile(path.join(dir, 'other'), '');
    expect(execFileSync('ls', ['-A', dir]).toString().trim()).toBe('other');
  });
});
