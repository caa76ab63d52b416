// A pack's own blob table, read from its end (pack-writer.ts: blobs, table, the table's length, the
// magic): a pack describes itself, so an index can be rebuilt from packs alone (a copy fetched from
// off-site storage is indexed this way), and the index can be checked against the packs. The table is
// a zstd frame of its JSON (`LBPACK02`) or, in packs written before, the JSON itself (`LBPACK01`):
// readers get the JSON either way.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { zstdDecompress } from 'node:zlib';
import { PACK_MAGIC, PACK_MAGIC_ZSTD } from './pack-writer.js';
import type { BlobPlace } from './store-layout.js';

const TAIL = 4 + PACK_MAGIC.length;
const decompressTable = promisify(zstdDecompress);
/** More than the JSON of the largest table a pack has (16,384 blobs): a damaged frame must not fill the memory. */
const MAX_TABLE = 64 << 20;

/**
 * The table of the open pack of `size` bytes, or what is wrong with it: `table` its JSON bytes (as
 * written, decompressed when the pack stores it compressed), `stored` how many bytes of the pack it
 * takes before the tail.
 */
export async function readPackTable(handle: FileHandle, size: number, packId: string): Promise<{ table: Buffer; stored: number } | { problem: string }> {
  if (size < TAIL) return { problem: `pack ${packId} does not end in a blob table` };
  const tail = Buffer.alloc(TAIL);
  await handle.read(tail, 0, TAIL, size - TAIL);
  const magic = tail.subarray(4);
  const compressed = magic.equals(PACK_MAGIC_ZSTD);
  if (!compressed && !magic.equals(PACK_MAGIC)) return { problem: `pack ${packId} does not end in a blob table` };
  const stored = tail.readUInt32LE(0);
  if (stored > size - TAIL) return { problem: `pack ${packId} has a blob table longer than itself` };
  const bytes = Buffer.alloc(stored);
  await handle.read(bytes, 0, stored, size - TAIL - stored);
  if (!compressed) return { table: bytes, stored };
  try {
    return { table: await decompressTable(bytes, { maxOutputLength: MAX_TABLE }), stored };
  } catch (error) {
    return { problem: `pack ${packId}'s blob table cannot be decompressed (${(error as Error).message})` };
  }
}

/** The table's bytes of the pack `packId` (an open file of `size` bytes), which must hash to its id; an Error naming the pack otherwise. */
export async function checkedPackTable(handle: FileHandle, size: number, packId: string): Promise<Buffer> {
  return (await checkedTable(handle, size, packId)).table;
}

async function checkedTable(handle: FileHandle, size: number, packId: string): Promise<{ table: Buffer; stored: number }> {
  const read = await readPackTable(handle, size, packId);
  if ('problem' in read) throw new Error(read.problem);
  if (createHash('sha256').update(read.table).digest('hex') !== packId) throw new Error(`pack ${packId}'s blob table does not hash to its id`);
  return read;
}

/**
 * The blobs of the pack `packId` (an open file of `size` bytes), checked: its table must hash to the
 * pack's id (the id names the table) and every blob must lie before the table. An Error naming the
 * pack otherwise.
 */
export async function packBlobs(handle: FileHandle, size: number, packId: string): Promise<BlobPlace[]> {
  const { table, stored } = await checkedTable(handle, size, packId);
  const blobs = JSON.parse(table.toString('utf8')) as BlobPlace[];
  const end = size - TAIL - stored;
  if (!Array.isArray(blobs) || blobs.some((b) => !(b.offset + b.length <= end))) throw new Error(`pack ${packId}'s blob table reaches past its blobs`);
  return blobs;
}
