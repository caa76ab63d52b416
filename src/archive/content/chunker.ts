// Content-defined chunking (FastCDC, Xia et al. 2016, with normalised chunking): a big file is cut where
// a rolling "gear" hash of its last 32 bytes has many zero bits, so the cut points move with the
// content. An edit in one part of a file changes the chunks around it only; the rest keep their ids and
// are not stored again. Chunks are at least MIN_CHUNK and at most MAX_CHUNK bytes, AVERAGE_CHUNK on
// average: a harder mask (more bits) before the average size and an easier one after it keep the sizes
// close to it. A file no bigger than MIN_CHUNK is one chunk. The loop works on int32 values and on the
// caller's buffer in place: no allocation per byte or per chunk.
import { createHash } from 'node:crypto';

export const MIN_CHUNK = 256 << 10;
export const AVERAGE_CHUNK = 1 << 20;
export const MAX_CHUNK = 4 << 20;

/**
 * The gear table: 256 pseudo-random 32-bit values, gear[i] = the first 4 bytes (big-endian) of
 * sha256("lifeboat gear <i>"). Readers of a store never need it; writers must all use the same one, or
 * the same content would be cut differently and stored twice.
 */
const GEAR = new Int32Array(256);
for (let i = 0; i < 256; i++) GEAR[i] = createHash('sha256').update(`lifeboat gear ${i}`).digest().readInt32BE(0);

// The hash shifts left once per byte, so its high bits depend on the most bytes: the masks take the top
// bits. 22 bits (a cut every 4 MiB on average) until the average size, 18 bits (256 KiB) after it.
const MASK_HARD = 0xfffffc00 | 0;
const MASK_EASY = 0xffffc000 | 0;

/**
 * The length of the chunk that starts at `start` in `data`, which holds the file's bytes up to `end`.
 * `atEnd` says whether the file ends at `end`; when it does not, the caller must offer at least
 * MAX_CHUNK bytes (so a cut is always found within them).
 */
export function chunkLength(data: Uint8Array, start: number, end: number, atEnd: boolean): number {
  const available = end - start;
  if (available <= MIN_CHUNK) {
    if (!atEnd) throw new Error('chunkLength: offer at least MAX_CHUNK bytes before the end of the file');
    return available;
  }
  const limit = start + Math.min(available, MAX_CHUNK);
  const normal = Math.min(start + AVERAGE_CHUNK, limit);
  let hash = 0;
  let i = start + MIN_CHUNK;
  for (; i < normal; i++) {
    hash = ((hash << 1) + GEAR[data[i]]) | 0;
    if ((hash & MASK_HARD) === 0) return i + 1 - start;
  }
  for (; i < limit; i++) {
    hash = ((hash << 1) + GEAR[data[i]]) | 0;
    if ((hash & MASK_EASY) === 0) return i + 1 - start;
  }
  return limit - start;
}
