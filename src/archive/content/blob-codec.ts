// A blob as it is stored: its id is the sha256 of its plain bytes; its stored bytes are one zstd frame
// (with zstd's content checksum) or the plain bytes themselves, for already-compressed media and for
// anything zstd does not make smaller. Hashing and compressing run on libuv's thread pool (WebCrypto's
// digest and zlib's asynchronous zstd), so the thread that reads and chunks files keeps going.
import { webcrypto } from 'node:crypto';
import { promisify } from 'node:util';
import { constants, zstdCompress, zstdDecompress } from 'node:zlib';

const compress = promisify(zstdCompress);
const decompress = promisify(zstdDecompress);

/** zstd's default level: a fraction of gzip's time for a similar size. */
export const BLOB_LEVEL = 3;

export interface EncodedBlob {
  /** The bytes that go into a pack. */
  stored: Buffer;
  /** True when `stored` is a zstd frame, false when it is the plain bytes. */
  zstd: boolean;
}

/** The blob id of `plain`: its sha256, in hex. */
export async function blobId(plain: Uint8Array): Promise<string> {
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', plain)).toString('hex');
}

/** The bytes to store for `plain`: compressed unless `asIs` (already-compressed media) or it would not shrink. */
export async function encodeBlob(plain: Buffer, asIs: boolean): Promise<EncodedBlob> {
  if (asIs || plain.length < 64) return { stored: plain, zstd: false };
  const params = { [constants.ZSTD_c_compressionLevel]: BLOB_LEVEL, [constants.ZSTD_c_checksumFlag]: 1 };
  const stored = await compress(plain, { params });
  return stored.length < plain.length ? { stored, zstd: true } : { stored: plain, zstd: false };
}

/** A blob's plain bytes from its stored ones, checked against its id (and its size). */
export async function decodeBlob(id: string, stored: Buffer, zstd: boolean, size: number): Promise<Buffer> {
  const plain = zstd ? await decompress(stored, { maxOutputLength: Math.max(size, 1) }) : stored;
  if (plain.length !== size) throw new BlobDamagedError(`blob ${id} has ${plain.length} bytes, the index says ${size}`);
  if ((await blobId(plain)) !== id) throw new BlobDamagedError(`blob ${id} does not match its sha256`);
  return plain;
}

/** Stored data that does not match its id, or cannot be decompressed. */
export class BlobDamagedError extends Error {
  override name = 'BlobDamagedError';
}
