// gzip, the default codec (Magento's archives are .sql.gz and .tgz): each frame is a complete gzip
// member, and a file of concatenated members is a valid .gz that gzip -t, zcat, gunzip and tar -xzf read
// whole. Stored members (level 0) are built by hand (gzip-stored.ts).
import { createGunzip, createGzip, gunzipSync, constants as zlibConstants, type Gzip, type ZlibReset } from 'node:zlib';
import { DECOMPRESSED_CHUNK, errorCode, STORE_LEVEL, type Codec } from './codec.js';
import { canBuildStoredMembers, storedMember } from './gzip-stored.js';
import { StreamFrameCompressor } from './stream-compressor.js';

export const gzip: Codec = {
  name: 'gzip',
  extensions: { db: 'sql.gz', tree: 'tgz' },
  readExtensions: { db: ['sql.gz', 'gz'], tree: ['tgz'] },
  mediaType: 'application/gzip',
  levels: {
    max: 9,
    default: 6,
    /**
     * SQL dumps: on the bench's Magento-shaped dump (scale 0.3, 300 MB of SQL) level 3's files are 8%
     * larger than `mysqldump | gzip -6`'s (level 4: 4%, level 2: 10%; the bound is 15%), and the whole
     * dump took 16% less CPU than at level 4 (zlib's fast deflate, without lazy matching), which on 2
     * cores, shared with the server formatting the rows, is 6% of the wall time.
     */
    sql: 3,
    /**
     * A tree's text: level 4 takes half the CPU of 6, and on the bench's shop tree the whole archive
     * grows by under 1%, as most of its bytes are stored media. Not level 3 as for SQL: the archive's size
     * bound (1.05 of `tar -czf`) is tighter than the dump's, and the System backup has time to spare.
     */
    text: 4,
  },
  /** A member header as Node's zlib (and gzip-stored.ts) writes it: magic, deflate, no flags. */
  frameMagic: Buffer.from([0x1f, 0x8b, 0x08, 0x00]),
  compressor(level, outputChunk) {
    if (level === STORE_LEVEL && canBuildStoredMembers) return { compress: (data) => [storedMember(data)], close: () => undefined };
    const chunkSize = Math.max(zlibConstants.Z_MIN_CHUNK, outputChunk);
    // Node's reset() is deflate's, which a gzip stream is (its typings leave it out).
    const stream = createGzip({ level, strategy: zlibConstants.Z_DEFAULT_STRATEGY, flush: zlibConstants.Z_FINISH, chunkSize }) as Gzip & ZlibReset;
    // After Z_FINISH deflate is done; reset starts the next member, header included, with the same settings.
    return new StreamFrameCompressor(stream, () => stream.reset());
  },
  createDecompressor: () => createGunzip({ chunkSize: DECOMPRESSED_CHUNK }),
  decompressSync: (data) => gunzipSync(data),
  // zlib's errors carry Z_ codes (Z_DATA_ERROR, Z_BUF_ERROR for a cut-off stream).
  isDataError: (error) => errorCode(error)?.startsWith('Z_') === true,
};
