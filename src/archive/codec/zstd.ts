// zstd (Node's built-in zstd, node:zlib): each frame is a complete zstd frame with its content checksum
// (XXH64), so `zstd -t` and every decoder check each frame, and a file of concatenated frames is what
// `zstd -dc` and `tar -I zstd -xf` read whole.
import { constants, createZstdCompress, createZstdDecompress, zstdDecompressSync } from 'node:zlib';
import { DECOMPRESSED_CHUNK, errorCode, STORE_LEVEL, type Codec } from './codec.js';
import { StoredFrameCompressor } from './stored-frames.js';
import { StreamFrameCompressor } from './stream-compressor.js';
import { rawZstdFrames } from './zstd-stored.js';

export const zstd: Codec = {
  name: 'zstd',
  extensions: { db: 'sql.zst', tree: 'tar.zst' },
  readExtensions: { db: ['sql.zst'], tree: ['tar.zst'] },
  mediaType: 'application/zstd',
  levels: {
    max: 19,
    default: 3,
    /** zstd's own default, the level `zstd -3` of the bench's pipelines. */
    sql: 3,
    /**
     * A tree's text: level 1. On the bench's shop tree (scale 0.15, 508 MB, a third of it text) a System
     * backup then took about a fifth less CPU (four alternated pairs: 4.0 s against 4.9 s of user+sys, on
     * a loaded machine) and its archive grew from 1.017 to 1.024 of `tar -I 'zstd -3 -T2'`'s, as most of
     * a shop's bytes are stored media. Node's zstd compresses on one thread, the reference on two.
     */
    text: 1,
  },
  /** Every frame starts with zstd's magic number, 0xFD2FB528 little-endian. */
  frameMagic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]),
  compressor(level, outputChunk) {
    // Already-compressed media: frames of raw blocks, built by hand (zstd-stored.ts).
    if (level === STORE_LEVEL) return new StoredFrameCompressor(rawZstdFrames, outputChunk);
    const params = { [constants.ZSTD_c_compressionLevel]: level, [constants.ZSTD_c_checksumFlag]: 1 };
    // A frame ended in the same call that gave all its data (ZSTD_e_end) gets its size in its header
    // (`zstd -l` shows it), and its window and tables sized to it: a decoder needs no more memory than
    // the frame, and the encoder fills less.
    return new StreamFrameCompressor(createZstdCompress({ params, flush: constants.ZSTD_e_end, chunkSize: Math.max(64, outputChunk) }));
  },
  createDecompressor: () => createZstdDecompress({ chunkSize: DECOMPRESSED_CHUNK }),
  decompressSync: (data) => zstdDecompressSync(data),
  // zstd's own errors carry ZSTD_error_ codes (a wrong checksum, a corrupt block); a cut-off stream ends
  // with zlib's Z_BUF_ERROR ("unexpected end of file"), as gzip's does.
  isDataError: (error) => {
    const code = errorCode(error);
    return code !== undefined && (code.startsWith('ZSTD_error_') || code === 'Z_BUF_ERROR');
  },
};
