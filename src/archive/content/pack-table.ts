// A pack's own blob table, read from its end (pack-writer.ts: blobs, table, the table's length, the
// magic): a pack describes itself, so an index can be rebuilt from packs alone (a copy fetched from
// off-site storage is indexed this way), and the index can be checked against the packs.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { PACK_MAGIC } from './pack-writer.js';
import type { BlobPlace } from './store-layout.js';

const TAIL = 4 + PACK_MAGIC.length;

/** The table's bytes (as written: JSON) of the open pack of `size` bytes, or what is wrong with it. */
export async function readPackTable(handle: FileHandle, size: number, packId: string): Promise<{ table: Buffer } | { problem: string }> {
  if (size < TAIL) return { problem: `pack ${packId} does not end in a blob table` };
  const tail = Buffer.alloc(TAIL);
  await handle.read(tail, 0, TAIL, size - TAIL);
  if (!tail.subarray(4).equals(PACK_MAGIC)) return { problem: `pack ${packId} does not end in a blob table` };
  const tableLength = tail.readUInt32LE(0);
  if (tableLength > size - TAIL) return { problem: `pack ${packId} has a blob table longer than itself` };
  const table = Buffer.alloc(tableLength);
  await handle.read(table, 0, tableLength, size - TAIL - tableLength);
  return { table };
}

/** The table's bytes of the pack `packId` (an open file of `size` bytes), which must hash to its id; an Error naming the pack otherwise. */
export async function checkedPackTable(handle: FileHandle, size: number, packId: string): Promise<Buffer> {
  const read = await readPackTable(handle, size, packId);
  if ('problem' in read) throw new Error(read.problem);
  if (createHash('sha256').update(read.table).digest('hex') !== packId) throw new Error(`pack ${packId}'s blob table does not hash to its id`);
  return read.table;
}

/**
 * The blobs of the pack `packId` (an open file of `size` bytes), checked: its table must hash to the
 * pack's id (the id names the table) and every blob must lie before the table. An Error naming the
 * pack otherwise.
 */
export async function packBlobs(handle: FileHandle, size: number, packId: string): Promise<BlobPlace[]> {
  const table = await checkedPackTable(handle, size, packId);
  const blobs = JSON.parse(table.toString('utf8')) as BlobPlace[];
  const end = size - TAIL - table.length;
  if (!Array.isArray(blobs) || blobs.some((b) => !(b.offset + b.length <= end))) throw new Error(`pack ${packId}'s blob table reaches past its blobs`);
  return blobs;
}
