// zstd (Node's built-in zstd, node:zlib): each frame is a complete zstd frame with its content checksum
// (XXH64), so `zstd -t` and every decoder check each frame, and a file of concatenated frames is what
// `zstd -dc` and `tar -I zstd -xf` read whole.
import { constants, createZstdCompress, createZstdDecompress, zstdDecompressSync } from 'node:zlib';
import { DECOMPRESSED_CHUNK, errorCode, STORE_LEVEL, type Codec } from './codec.js';
import { StreamFrameCompressor } from './stream-compressor.js';

/**
 * The level already-compressed media are "stored" at: zstd's fastest, which finds nothing to squeeze in
 * JPEG or MP4 and falls back to raw blocks, checksum included. A frame of raw blocks could be built by
 * hand as gzip's stored members are, but not its checksum (XXH64, which Node does not offer), and `zstd
 * -t` could then not check the media. Measured on 1 MiB blocks of random bytes, four at a time on the
 * thread pool of a busy 2-core machine: level -7 took 2 to 3 ms per MiB of wall time, level 1 2 to 3.6,
 * level 3 3.4 to 7.5. Each level's compressors are set up once per archive (stream-compressor.ts).
 */
const STORED_AT = -7;

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
    text: 3,
  },
  /** Every frame starts with zstd's magic number, 0xFD2FB528 little-endian. */
  frameMagic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]),
  compressor(level, outputChunk) {
    const params = { [constants.ZSTD_c_compressionLevel]: level === STORE_LEVEL ? STORED_AT : level, [constants.ZSTD_c_checksumFlag]: 1 };
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
