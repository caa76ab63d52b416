// A gzip member holding its data in stored (uncompressed) deflate blocks, built directly: for
// already-compressed media, deflate at level 0 only copies the bytes, and going through a zlib stream
// for that costs more than the copy (an object, a thread-pool job and a round trip per member).
import zlib from 'node:zlib';

/** Deflate's limit for one stored block. */
const MAX_STORED = 0xffff;
/** ID1 ID2, CM=deflate, no flags, no mtime, XFL 0, OS=3 (Unix), as zlib writes it. */
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);

/** zlib.crc32 exists from Node 20.15 and 22.2; without it, members go through zlib at level 0. */
const crc32: ((data: Buffer, value?: number) => number) | undefined = (zlib as { crc32?: (data: Buffer, value?: number) => number }).crc32;

export const canBuildStoredMembers = crc32 !== undefined;

/** One complete gzip member storing `parts` (`length` bytes in all) as they are: gunzip gives them back, joined. */
export function storedMember(parts: Buffer[], length: number): Buffer {
  if (!crc32) throw new Error('storedMember needs zlib.crc32 (Node 20.15 or later)');
  const blocks = Math.max(1, Math.ceil(length / MAX_STORED));
  const out = Buffer.allocUnsafe(HEADER.length + blocks * 5 + length + 8);
  let at = HEADER.copy(out, 0);
  let crc = 0;
  let part = 0;
  let partOffset = 0;
  for (let block = 0; block < blocks; block++) {
    let left = Math.min(MAX_STORED, length - block * MAX_STORED);
    out[at] = block === blocks - 1 ? 1 : 0; // BFINAL on the last block, BTYPE 00 (stored)
    out.writeUInt16LE(left, at + 1);
    out.writeUInt16LE(~left & 0xffff, at + 3);
    at += 5;
    while (left > 0) {
      const source = parts[part];
      const piece = source.subarray(partOffset, partOffset + left);
      crc = crc32(piece, crc);
      at += piece.copy(out, at);
      left -= piece.length;
      partOffset += piece.length;
      if (partOffset === source.length) {
        part++;
        partOffset = 0;
      }
    }
  }
  out.writeUInt32LE(crc >>> 0, at);
  out.writeUInt32LE(length % 2 ** 32, at + 4);
  return out;
}
