// A gzip member holding its data in stored (uncompressed) deflate blocks, built directly (see
// stored-frames.ts for why).
import zlib from 'node:zlib';
import type { StoredFormat } from './stored-frames.js';

/** Deflate's limit for one stored block. */
const MAX_STORED = 0xffff;
/** ID1 ID2, CM=deflate, no flags, no mtime, XFL 0, OS=3 (Unix), as zlib writes it. */
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);

/** zlib.crc32 exists from Node 20.15 and 22.2; without it, members go through zlib at level 0. */
const crc32: ((data: Buffer, value?: number) => number) | undefined = (zlib as { crc32?: (data: Buffer, value?: number) => number }).crc32;

export const canBuildStoredMembers = crc32 !== undefined;

/** The size of the stored member of `length` bytes. */
function storedMemberSize(length: number): number {
  return HEADER.length + Math.max(1, Math.ceil(length / MAX_STORED)) * 5 + length + 8;
}

/**
 * One complete gzip member storing `data` as it is: gunzip gives it back. Built in `into` when given (it
 * must have room for it), else in a new buffer.
 */
export function storedMember(data: Buffer, into?: Buffer): Buffer {
  if (!crc32) throw new Error('storedMember needs zlib.crc32 (Node 20.15 or later)');
  const { length } = data;
  const blocks = Math.max(1, Math.ceil(length / MAX_STORED));
  const out = into ? into.subarray(0, storedMemberSize(length)) : Buffer.allocUnsafe(storedMemberSize(length));
  let at = HEADER.copy(out, 0);
  for (let block = 0; block < blocks; block++) {
    const start = block * MAX_STORED;
    const size = Math.min(MAX_STORED, length - start);
    out[at] = block === blocks - 1 ? 1 : 0; // BFINAL on the last block, BTYPE 00 (stored)
    out.writeUInt16LE(size, at + 1);
    out.writeUInt16LE(~size & 0xffff, at + 3);
    at += 5;
    at += data.copy(out, at, start, start + size);
  }
  out.writeUInt32LE(crc32(data) >>> 0, at);
  out.writeUInt32LE(length % 2 ** 32, at + 4);
  return out;
}

export const storedGzipMembers: StoredFormat = { frameSize: storedMemberSize, build: storedMember };
