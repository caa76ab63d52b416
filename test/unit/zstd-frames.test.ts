// The zstd codec through the frame writer: a file of independent frames, each with its content checksum,
// that the stock zstd checks and decodes whole; every cut starts a frame that decodes alone to the end;
// stored data (already-compressed media) goes out barely larger than it came; damage is a data error.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AtomicFile } from '../../src/archive/atomic-file.js';
import { STORE_LEVEL } from '../../src/archive/codec/codec.js';
import { FrameWriter, SAME_LEVEL } from '../../src/archive/codec/frame-writer.js';
import { zstd } from '../../src/archive/codec/zstd.js';
import { rawFrame, rawFrameSize, rawZstdFrames } from '../../src/archive/codec/zstd-stored.js';

describe('zstd frames', () => {
  it('writes checksummed frames that zstd -t checks and zstd -dc reads whole, and each cut decodes alone', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-zst-')), 'dump.sql.zst');
    const out = await AtomicFile.create(file);
    const writer = new FrameWriter(out, zstd, { blockSize: 8192, concurrency: 3 });
    const parts: Buffer[] = [];
    const offsets: { compressed: number; uncompressed: number }[] = [];
    const media = randomBytes(50_000);
    // Each table's rows as one string (the writer encodes it in place, across blocks), then a media file.
    const rows = (table: number) => Array.from({ length: 200 * table }, (_, i) => `INSERT INTO t${table} VALUES (${i}, '${'y'.repeat(i % 40)}');\n`).join('');
    for (let table = 0; table < 5; table++) {
      offsets.push({ compressed: await (await writer.cut()).frameOffset, uncompressed: writer.bytesWritten });
      parts.push(Buffer.from(rows(table)));
      await writer.write(rows(table));
      parts.push(media);
      await writer.write(media, STORE_LEVEL);
      parts.push(Buffer.from('-- end\n'));
      await writer.write('-- end\n', SAME_LEVEL);
    }
    const total = await writer.finish();
    await out.commit();
    const expected = Buffer.concat(parts);
    expect(total).toBe(expected.length);
    const bytes = await readFile(file);
    execFileSync('zstd', ['-tq', file]);
    const listed = execFileSync('zstd', ['-lv', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(listed).toContain('Check: XXH64');
    expect(Number(/Zstandard Frames: (\d+)/.exec(listed)?.[1])).toBeGreaterThan(10);
    expect(execFileSync('zstd', ['-dc', file], { maxBuffer: 64 << 20 }).equals(expected)).toBe(true);
    expect(zstd.decompressSync(bytes).equals(expected)).toBe(true);
    for (const { compressed, uncompressed } of offsets) {
      expect(bytes.subarray(compressed, compressed + 4).equals(zstd.frameMagic)).toBe(true);
      expect(zstd.decompressSync(bytes.subarray(compressed)).equals(expected.subarray(uncompressed))).toBe(true);
    }
    // The stored media (5 x 50 kB of random bytes) cost little beyond their own size.
    expect(bytes.length).toBeLessThan(5 * media.length * 1.01 + 40_000);
  });

  it('stores media in raw-block frames with their XXH64, which the stock zstd checks byte for byte', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-zst-raw-'));
    await rawZstdFrames.ready?.();
    // Sizes around zstd's 128 KiB block limit, an empty frame and a whole 1 MiB block.
    const datas = [0, 1, 131_071, 131_072, 131_073, 1 << 20].map((size) => randomBytes(size));
    const frames = datas.map((data) => rawFrame(data, Buffer.alloc(rawFrameSize(data.length))));
    const file = path.join(dir, 'media.zst');
    await writeFile(file, Buffer.concat(frames));
    execFileSync('zstd', ['-tq', file]);
    const listed = execFileSync('zstd', ['-lv', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(listed).toContain('Check: XXH64');
    expect(listed).toContain(`Zstandard Frames: ${frames.length}`);
    expect(execFileSync('zstd', ['-dc', file], { maxBuffer: 8 << 20 }).equals(Buffer.concat(datas))).toBe(true);
    // One media byte changed: zstd -t names the checksum, and Lifeboat's own reading fails as damage.
    const damaged = Buffer.from(frames[4]);
    damaged[damaged.length >> 1] ^= 0x01;
    await writeFile(file, damaged);
    expect(() => execFileSync('zstd', ['-tq', file], { stdio: ['ignore', 'ignore', 'pipe'] })).toThrow(/checksum/);
    let caught: unknown;
    try {
      zstd.decompressSync(damaged);
    } catch (error) {
      caught = error;
    }
    expect(zstd.isDataError(caught)).toBe(true);
  });

  it('reports damage and a cut-off stream as data errors of the codec', async () => {
    const compressor = zstd.compressor(3, 1024);
    const frame = Buffer.concat(await compressor.compress(Buffer.from('SELECT 1;\n'.repeat(1000))));
    compressor.close();
    const flipped = Buffer.from(frame);
    flipped[Math.floor(frame.length / 2)] ^= 0x40;
    for (const damaged of [flipped, frame.subarray(0, frame.length - 3)]) {
      let caught: unknown;
      try {
        zstd.decompressSync(damaged);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(Error);
      expect(zstd.isDataError(caught)).toBe(true);
    }
    expect(zstd.isDataError(Object.assign(new Error('no such file'), { code: 'ENOENT' }))).toBe(false);
  });
});
