// The frame table a tree archive's file index is made from: for any position of the uncompressed stream
// written through the frame writer (text, stored media, small bits at SAME_LEVEL, parallel frames),
// inflating the archive from the located frame's compressed offset and skipping `within` bytes gives the
// bytes written at that position, with gzip and with zstd; positions past what was handed over are not
// located yet.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { STORE_LEVEL } from '../../src/archive/codec/codec.js';
import { FrameTable } from '../../src/archive/codec/frame-table.js';
import { FrameWriter, SAME_LEVEL } from '../../src/archive/codec/frame-writer.js';
import { gzip } from '../../src/archive/codec/gzip.js';
import { zstd } from '../../src/archive/codec/zstd.js';

for (const codec of [gzip, zstd]) {
  describe(`the frame table (${codec.name})`, () => {
    it('locates every sampled position in the frame that holds it', async () => {
      const pieces: Buffer[] = [];
      const table = new FrameTable();
      const writer = new FrameWriter({ write: async (piece) => void pieces.push(Buffer.from(piece)) }, codec, { blockSize: 16_384, concurrency: 3, table });
      const written: Buffer[] = [];
      for (let i = 0; i < 40; i++) {
        const header = Buffer.from(`header ${i} `.padEnd(512, '.'));
        const text = Buffer.from(`line of text ${i}\n`.repeat(100 + i * 37));
        const media = randomBytes(3_000 + i * 911);
        await writer.write(header, SAME_LEVEL);
        await writer.write(text);
        await writer.write(media, STORE_LEVEL);
        written.push(header, text, media);
      }
      expect(table.locate(writer.bytesWritten - 1)).toBeUndefined(); // still in the block being filled
      await writer.finish();
      const archive = Buffer.concat(pieces);
      const plain = Buffer.concat(written);
      for (let position = 0; position < plain.length; position += 7_919) {
        const at = table.locate(position)!;
        const inflated = codec.decompressSync(archive.subarray(at.frame));
        expect(inflated.subarray(at.within, at.within + 64)).toEqual(plain.subarray(position, position + 64));
      }
    });
  });
}
