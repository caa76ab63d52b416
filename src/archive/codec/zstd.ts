// zstd (Node's built-in zstd, node:zlib): each frame is a complete zstd frame with its content checksum
// (XXH64), so `zstd -t` and every decoder check each frame, and a file of concatenated frames is what
// `zstd -dc` and `tar -I zstd -xf` read whole.
import { promisify } from 'node:util';
import { constants, createZstdDecompress, zstdCompress, zstdDecompressSync } from 'node:zlib';
import { DECOMPRESSED_CHUNK, errorCode, STORE_LEVEL, type Codec } from './codec.js';

const zstdAsync = promisify(zstdCompress);

/**
 * The level already-compressed media are "stored" at: zstd's fastest, which finds nothing to squeeze in
 * JPEG or MP4 and falls back to raw blocks, checksum included. A frame of raw blocks could be built by
 * hand as gzip's stored members are, but not its checksum (XXH64, which Node does not offer), and `zstd
 * -t` could then not check the media. Measured on 1 MiB blocks of random bytes, four at a time on the
 * thread pool of a busy 2-core machine: level -7 took 2 to 3 ms per MiB of wall time, level 1 2 to 3.6,
 * level 3 3.4 to 7.5. The main thread pays too, about 1 ms per frame whatever the level (Node sets up
 * the compressor there and joins the frame's two output pieces with a copy): in a profile of a 650 MiB
 * System backup, 1.8 s of the main thread's 8.3 s went there (all frames); a hand-built frame costs a copy.
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
  frame(data, level, outputSize) {
    const params = { [constants.ZSTD_c_compressionLevel]: level === STORE_LEVEL ? STORED_AT : level, [constants.ZSTD_c_checksumFlag]: 1 };
    // The frame's size, told up front, goes into its header (`zstd -l` shows it) and sizes its window
    // and tables to the frame: a decoder needs no more memory than the frame, and the encoder sets up less.
    return zstdAsync(data, { params, pledgedSrcSize: data.length, chunkSize: Math.max(64, outputSize) });
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
