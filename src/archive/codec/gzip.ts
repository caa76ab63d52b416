// gzip, the default codec (Magento's archives are .sql.gz and .tgz): each frame is a complete gzip
// member, and a file of concatenated members is a valid .gz that gzip -t, zcat, gunzip and tar -xzf read
// whole. Stored members (level 0) are built by hand (gzip-stored.ts).
import { createGunzip, createGzip, gunzipSync, constants as zlibConstants, type Gzip, type ZlibReset } from 'node:zlib';
import { DECOMPRESSED_CHUNK, errorCode, STORE_LEVEL, type Codec } from './codec.js';
import { canBuildStoredMembers, storedGzipMembers } from './gzip-stored.js';
import { StoredFrameCompressor } from './stored-frames.js';
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
     * SQL dumps: level 4. On the bench's Magento-shaped shop (scale 0.15, 152 MB of SQL, three alternated
     * runs) its archive is 1.04 of `mysqldump | gzip -6`'s, level 3's 1.08, in the same time (2.86-2.97 s
     * against 2.92-3.07 s; zlib's fast deflate serves levels 1 to 3, level 4 adds lazy matching, and the
     * dump's time is the server's and the parsing's more than the compression's). On text-heavy data
     * (the bench's `text` section: descriptions, reviews, e-mails) level 3 came to 1.11 and level 4 to
     * 1.04, where the bound is 1.15; level 5 closed the gap but took a quarter more time.
     */
    sql: 4,
    /**
     * A tree's text: level 4 takes half the CPU of 6, and on the bench's shop tree the whole archive
     * grows by under 1%, as most of its bytes are stored media.
     */
    text: 4,
  },
  /** A member header as Node's zlib (and gzip-stored.ts) writes it: magic, deflate, no flags. */
  frameMagic: Buffer.from([0x1f, 0x8b, 0x08, 0x00]),
  compressor(level, outputChunk) {
    if (level === STORE_LEVEL && canBuildStoredMembers) return new StoredFrameCompressor(storedGzipMembers, outputChunk);
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
