import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { AtomicFile } from '../../src/archive/atomic-file.js';
import { FrameWriter, SAME_LEVEL } from '../../src/archive/codec/frame-writer.js';
import { gzip as gzipCodec } from '../../src/archive/codec/gzip.js';
import { storedMember } from '../../src/archive/codec/gzip-stored.js';

describe('gzip members', () => {
  it('writes a valid .gz that gzip -t and zcat read, and cut() gives member offsets', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-gz-'));
    const file = path.join(dir, 'dump.sql.gz');
    const out = await AtomicFile.create(file);
    const writer = new FrameWriter(out, gzipCodec, { blockSize: 4096, concurrency: 3 });
    const parts: Buffer[] = [];
    const offsets: { compressed: number; uncompressed: number }[] = [];
    for (let table = 0; table < 5; table++) {
      offsets.push({ compressed: await (await writer.cut()).frameOffset, uncompressed: writer.bytesWritten });
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

  it('builds stored members that gzip -t and gunzip read, at every block boundary', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-stored-'));
    const data = Buffer.from(Array.from({ length: 3 * 65535 + 7 }, (_, i) => (i * 7919 + ((i * i) % 251)) & 0xff));
    for (const length of [0, 1, 65534, 65535, 65536, 2 * 65535, data.length]) {
      const whole = data.subarray(0, length);
      const member = storedMember(whole);
      expect(gunzipSync(member).equals(whole)).toBe(true);
      expect(member.length).toBe(10 + 5 * Math.max(1, Math.ceil(length / 65535)) + length + 8);
      const file = path.join(dir, `stored-${length}.gz`);
      await writeFile(file, Buffer.concat([member, member]));
      execFileSync('gzip', ['-t', file]);
      expect(execFileSync('zcat', [file]).equals(Buffer.concat([whole, whole]))).toBe(true);
    }
  });

  it('reuses the buffers of stored members once written, and every member still holds its own bytes', async () => {
    const copies: Buffer[] = [];
    const seen = new Set<ArrayBufferLike>();
    // An output that is done with each buffer when its write resolves (it keeps a copy), as a file is.
    const output = {
      write: async (piece: Buffer) => {
        seen.add(piece.buffer);
        copies.push(Buffer.from(piece));
      },
    };
    const writer = new FrameWriter(output, gzipCodec, { blockSize: 64 << 10, concurrency: 2, reuseOutput: true });
    const media = Buffer.from(Array.from({ length: 40 * (64 << 10) + 123 }, (_, i) => (i * 2654435761) >>> 24));
    for (let at = 0; at < media.length; at += 50_000) await writer.write(media.subarray(at, at + 50_000), 0);
    await writer.finish();
    expect(gunzipSync(Buffer.concat(copies)).equals(media)).toBe(true);
    expect(copies.length).toBeGreaterThanOrEqual(40);
    expect(seen.size).toBeLessThan(12); // a handful of buffers for 41 members
  });

  it('abandons a writer midway: the frames in flight are finished first, then the compressors freed', async () => {
    const written: Buffer[] = [];
    const writer = new FrameWriter({ write: async (b) => void written.push(b) }, gzipCodec, { blockSize: 64 << 10, concurrency: 4 });
    const text = Buffer.from('INSERT INTO t VALUES (1);\n'.repeat(20_000));
    await writer.write(text);
    await writer.abandon(); // closing the zlib streams under a frame would leave it unsettled for good
    const members = Buffer.concat(written);
    expect(members.length).toBeGreaterThan(0);
    expect(text.subarray(0, gunzipSync(members).length).equals(gunzipSync(members))).toBe(true);
  });

  it('stores level-0 data, and SAME_LEVEL data joins the pending block instead of starting a member', async () => {
    const chunks: Buffer[] = [];
    const writer = new FrameWriter({ write: async (b) => void chunks.push(b) }, gzipCodec, { blockSize: 1 << 20 });
    const media = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7919 + ((i * i) % 251)) & 0xff));
    const header = Buffer.alloc(512, 0x61);
    const text = Buffer.from('SELECT 1;\n'.repeat(10_000));
    await writer.write(header, SAME_LEVEL); // nothing pending: the default level
    await writer.write(text);
    await writer.write(media, 0);
    await writer.write(header, SAME_LEVEL); // stored with the media
    await writer.write(media, 0);
    await writer.write(text, SAME_LEVEL);
    await writer.write(text);
    await writer.finish();
    const all = Buffer.concat(chunks);
    expect(gunzipSync(all).equals(Buffer.concat([header, text, media, header, media, text, text]))).toBe(true);
    // Three members: text (level 6), media + header + media + text (stored), text.
    expect(chunks.length).toBe(3);
    expect(chunks[1].length).toBe(10 + 5 * Math.ceil((2 * media.length + header.length + text.length) / 65535) + 2 * media.length + header.length + text.length + 8);
    expect(chunks[0].length + chunks[2].length).toBeLessThan(text.length / 10);
  });

  it('copies what it is given: the caller may fill its buffer again once write resolves', async () => {
    const chunks: Buffer[] = [];
    const writer = new FrameWriter({ write: async (b) => void chunks.push(b) }, gzipCodec, { blockSize: 1000, concurrency: 2 });
    const expected: Buffer[] = [];
    const reused = Buffer.alloc(2500);
    for (let i = 0; i < 40; i++) {
      reused.fill(`chunk ${i};`);
      expected.push(Buffer.from(reused.subarray(0, 300 + i * 50)));
      await writer.write(reused.subarray(0, 300 + i * 50), i % 3 === 0 ? 0 : undefined);
      // Strings: in place when they surely fit, else encoded first; multi-byte characters across blocks.
      const text = i % 2 ? `é€😀 ${i} `.repeat(i * 10) : `line ${i}\n`;
      expected.push(Buffer.from(text));
      await writer.write(text);
    }
    await writer.finish();
    expect(gunzipSync(Buffer.concat(chunks)).equals(Buffer.concat(expected))).toBe(true);
    expect(writer.bytesWritten).toBe(Buffer.concat(expected).length);
  });

  it('reports a failing output instead of losing it', async () => {
    const writer = new FrameWriter({ write: async () => Promise.reject(new Error('disk full')) }, gzipCodec, { blockSize: 16 });
    await expect(
      (async () => {
        for (let i = 0; i < 100; i++) await writer.write('0123456789abcdef0123456789');
        await writer.finish();
      })(),
    ).rejects.toThrow('disk full');
  });


  it('cut() does not wait for the members before it: their offsets arrive later and are exact', async () => {
    const written: Buffer[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // The output holds every member until released, as a slow disk would.
    const writer = new FrameWriter({ write: async (member) => void (await gate, written.push(member)) }, gzipCodec, { concurrency: 64 });
    const parts: Buffer[] = [];
    const starts: { frameOffset: Promise<number>; uncompressed: number }[] = [];
    for (let table = 0; table < 20; table++) {
      const { frameOffset } = await writer.cut(); // resolves although nothing has been written yet
      starts.push({ frameOffset, uncompressed: writer.bytesWritten });
      const rows = Buffer.from(`INSERT INTO t${table} VALUES ${Array.from({ length: table * 7 }, (_, i) => `(${i},'v${i}')`).join(',')};\n`);
      parts.push(rows);
      await writer.write(rows);
    }
    expect(written).toHaveLength(0);
    release();
    await writer.finish();
    const bytes = Buffer.concat(written);
    const expected = Buffer.concat(parts);
    for (const { frameOffset, uncompressed } of starts) {
      expect(gunzipSync(bytes.subarray(await frameOffset)).equals(expected.subarray(uncompressed))).toBe(true);
    }
  });

  it('rejects the offsets of members that never got written, and reports the failure on the next call', async () => {
    const writer = new FrameWriter({ write: async () => Promise.reject(new Error('disk full')) }, gzipCodec);
    await writer.write('CREATE TABLE t (id INT);\n');
    const { frameOffset } = await writer.cut();
    await expect(frameOffset).rejects.toThrow('disk full');
    await expect(writer.write('INSERT INTO t VALUES (1);\n').then(() => writer.cut())).rejects.toThrow('disk full');
  });
  it('AtomicFile flushes big files in the background on the way and still seals the exact bytes', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-atomic-big-'));
    const file = path.join(dir, 'big.bin');
    const out = await AtomicFile.create(file);
    const block = Buffer.alloc(1 << 20);
    const hash = createHash('sha256');
    for (let i = 0; i < 150; i++) {
      block.fill(i & 0xff); // past 64 and 128 MiB: two background flushes start while writing goes on
      hash.update(block);
      await out.write(block);
    }
    const { size, sha256 } = await out.commit();
    expect(size).toBe(150 << 20);
    expect(sha256).toBe(hash.digest('hex'));
    const written = await readFile(file);
    expect(createHash('sha256').update(written).digest('hex')).toBe(sha256);
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
