// Decoding stored blobs on long-lived zstd streams: a damaged or cut-off frame is a BlobDamagedError,
// and the frame after it, on the same stream, still decodes.
import { constants, zstdCompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BlobDamagedError, BlobDecoder, blobId } from '../../src/archive/content/blob-codec.js';

describe('blob decoder', () => {
  const plain = Buffer.from('a line of text that compresses\n'.repeat(2000));
  const frame = zstdCompressSync(plain, { params: { [constants.ZSTD_c_checksumFlag]: 1 } });
  const id = blobId(plain);

  it('refuses a cut-off frame and a damaged one, and decodes the next frame after each', async () => {
    const decoder = new BlobDecoder();
    await expect(decoder.decode(id, frame.subarray(0, frame.length - 20), true, plain.length)).rejects.toBeInstanceOf(BlobDamagedError);
    expect((await decoder.decode(id, frame, true, plain.length)).equals(plain)).toBe(true);
    const damaged = Buffer.from(frame);
    damaged[Math.floor(damaged.length / 2)] ^= 0xff;
    await expect(decoder.decode(id, damaged, true, plain.length)).rejects.toBeInstanceOf(BlobDamagedError);
    expect((await decoder.decode(id, frame, true, plain.length)).equals(plain)).toBe(true);
    await expect(decoder.decode(blobId(Buffer.from('other')), frame, true, plain.length)).rejects.toThrow(/does not match its sha256/);
    decoder.close();
  });
});
