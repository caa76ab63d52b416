// Compressing blobs through the worker thread in batches: every blob comes back as one zstd frame of
// exactly its bytes, or as itself when zstd does not make it smaller (random bytes) or it is media.
import { randomBytes } from 'node:crypto';
import { zstdDecompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BlobCompressor } from '../../src/archive/content/blob-compressor.js';

describe('blob compressor', () => {
  it('gives each of many small and big blobs its own frame, or the blob itself where zstd does not shrink it', async () => {
    const compressor = new BlobCompressor();
    const text = (i: number, size: number) => Buffer.from(`line ${i} of a text file that compresses well\n`.repeat(Math.ceil(size / 40))).subarray(0, size);
    const blobs = [
      ...Array.from({ length: 300 }, (_, i) => ({ plain: text(i, 100 + i * 37), asIs: false })),
      { plain: text(7, 3 << 20), asIs: false }, // bigger than a batch: sent alone
      { plain: randomBytes(20000), asIs: false }, // does not shrink
      { plain: text(8, 5000), asIs: true }, // media: never compressed
      { plain: text(9, 10), asIs: false }, // too short to try
    ];
    const encoded = await Promise.all(blobs.map(({ plain, asIs }) => compressor.encode(plain, asIs)));
    compressor.close();
    encoded.forEach(({ stored, zstd }, i) => {
      const { plain } = blobs[i];
      if (i < 301) {
        expect(zstd).toBe(true);
        expect(stored.length).toBeLessThan(plain.length);
        expect(zstdDecompressSync(stored).equals(plain)).toBe(true);
      } else {
        expect(zstd).toBe(false);
        expect(stored.equals(plain)).toBe(true);
      }
    });
  });

  it('fails the blobs asked for after it is closed, in one line', async () => {
    const compressor = new BlobCompressor();
    await compressor.encode(Buffer.alloc(1000, 1), false);
    compressor.close();
    await expect(compressor.encode(Buffer.alloc(1000, 2), false)).rejects.toThrow('the blob compressor was closed');
  });
});
