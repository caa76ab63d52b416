// A zstd frame holding its data in raw (uncompressed) blocks, built directly for already-compressed
// media (see stored-frames.ts for why), with its content checksum, so `zstd -t` and every decoder check
// the media's bytes as they check compressed frames. Before, media went through zstd's fastest level,
// which found nothing to squeeze and wrote raw blocks too, at the cost of a stream round trip, a copy in
// and out of the compressor and a new output buffer per frame.
//
// The format (RFC 8878): magic, a frame header descriptor saying "single segment, 4-byte content size,
// content checksum", the content size, blocks of up to 128 KiB each behind a 3-byte header (last-block
// bit, type 0 = raw, size), and the low 32 bits of the content's XXH64 (seed 0). XXH64 is not in Node;
// xxhash-wasm computes it at several GB/s.
import xxhash from 'xxhash-wasm';
import type { StoredFormat } from './stored-frames.js';

let xxh64: ((data: Uint8Array) => bigint) | undefined;
/**
 * xxhash-wasm sets itself up asynchronously (it compiles its WebAssembly), which a top-level await
 * cannot wait for in the single-file executable (a CommonJS bundle): frames wait for it, once.
 */
const loading = xxhash().then(({ create64 }) => {
  xxh64 = (data) => create64(0n).update(data).digest();
});
loading.catch(() => undefined); // reported by the first frame that needs it

const MAGIC = 0xfd2fb528;
/** Frame_Content_Size_flag 2 (4 bytes), Single_Segment_flag, Content_Checksum_flag. */
const DESCRIPTOR = (2 << 6) | (1 << 5) | (1 << 2);
const HEADER_SIZE = 4 + 1 + 4;
/** zstd's largest block. */
const MAX_BLOCK = 128 * 1024;
const BLOCK_HEADER = 3;
const CHECKSUM = 4;

/** The size of the raw frame of `length` bytes. */
export function rawFrameSize(length: number): number {
  return HEADER_SIZE + Math.max(1, Math.ceil(length / MAX_BLOCK)) * BLOCK_HEADER + length + CHECKSUM;
}

/** One complete zstd frame storing `data` (under 4 GiB) as it is, built in `into` (which has room for it). */
export function rawFrame(data: Buffer, into: Buffer): Buffer {
  if (!xxh64) throw new Error('rawFrame before XXH64 is ready: await rawZstdFrames.ready()');
  const { length } = data;
  if (length >= 2 ** 32) throw new RangeError('a raw zstd frame holds less than 4 GiB');
  const out = into.subarray(0, rawFrameSize(length));
  out.writeUInt32LE(MAGIC, 0);
  out[4] = DESCRIPTOR;
  out.writeUInt32LE(length, 5);
  let at = HEADER_SIZE;
  const blocks = Math.max(1, Math.ceil(length / MAX_BLOCK));
  for (let block = 0; block < blocks; block++) {
    const start = block * MAX_BLOCK;
    const size = Math.min(MAX_BLOCK, length - start);
    const last = block === blocks - 1 ? 1 : 0;
    out.writeUIntLE((size << 3) | last, at, BLOCK_HEADER); // Block_Type 0 (raw) in bits 1-2
    at += BLOCK_HEADER;
    at += data.copy(out, at, start, start + size);
  }
  out.writeUInt32LE(Number(xxh64(data) & 0xffffffffn), at);
  return out;
}

export const rawZstdFrames: StoredFormat = { frameSize: rawFrameSize, build: rawFrame, ready: () => (xxh64 ? undefined : loading) };
