// The SQL a rollback of some tables needs, read from parts of a MySQL/MariaDB database archive instead
// of all of it (for an archive in off-site storage, where every byte is a download). The dump's layout
// (engines/mysql/dump.ts) is: header and sequences; per table its structure, then its data (a fresh
// frame of the codec starts there: the manifest's frame offset, stored as gzipOffset), then its
// triggers; views, events, routines, trailer. So table k needs:
//   - the header: archive bytes [0, offset of the first table) (session settings, first structure);
//   - its structure: the end of the frame before its data, i.e. the last bytes of [offset(k-1),
//     offset(k)): the `tail` from the end of table k-1's data (known from the manifest) on. That frame
//     is found by scanning back for a frame's magic bytes that decode up to offset(k);
//   - its data and triggers: [offset(k), offset(k+1)) (to the end of the archive for the last).
// Every part starts and ends at a statement boundary; the restore skips the statements of other tables
// as it does for a whole dump. Each frame's checksum (gzip's CRC) is checked as it is decoded.
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { Codec } from '../../archive/codec/codec.js';
import { codecNamed } from '../../archive/codec/registry.js';
import { DEFAULT_CHUNK_SIZE } from '../../archive/encrypt.js';
import { readChain } from '../../archive/filter-chain.js';
import type { Manifest } from '../../shared/types.js';

/** Reads archive bytes [start, end) (end excluded): a stream, or buffers. */
export type ArchiveRangeReader = (start: number, end: number) => Promise<AsyncIterable<Buffer> | Iterable<Buffer>>;

interface Part {
  /** Archive bytes [from, to): whole frames. */
  from: number;
  to: number;
  /** Keep only the last `tail` uncompressed bytes (found by scanning back from `to`). */
  tail?: number;
}

export interface TableSqlPlan {
  parts: Part[];
  /** Uncompressed bytes the parts give, for progress. */
  sqlBytes: number;
  /** The archive's codec, whose frames the parts are. */
  codec: Codec;
}

/** The first step back when looking for the frame that holds a structure; each next step is twice as long. */
const FIRST_WINDOW = DEFAULT_CHUNK_SIZE;

/**
 * The parts of the archive that hold `tables`, or undefined when the archive cannot be read by parts (an
 * SQLite dump, whose restore needs every definition; a dump without per-table offsets).
 */
export function planTableSql(manifest: Manifest, tables: string[]): TableSqlPlan | undefined {
  const entries = manifest.tables;
  if (manifest.type !== 'db' || manifest.engine?.kind !== 'mysql' || entries.length === 0) return undefined;
  const codec = codecNamed(manifest.archive.compression);
  const offsets = entries.map((t) => t.gzipOffset ?? -1);
  if (offsets.some((o, i) => o < 0 || (i > 0 && o < offsets[i - 1]))) return undefined;
  const at = (k: number) => offsets[k];
  const wanted = new Set(tables);
  const parts: Part[] = [{ from: 0, to: at(0) }];
  let sqlBytes = entries[0].dataOffset;
  entries.forEach((table, k) => {
    if (!wanted.has(table.name)) return;
    // Table 0's structure is in the header part; a selected table k-1's part ends with table k's.
    if (k > 0 && !wanted.has(entries[k - 1].name)) {
      const previous = entries[k - 1];
      const tail = table.dataOffset - (previous.dataOffset + previous.dataLength);
      parts.push({ from: at(k - 1), to: at(k), tail });
      sqlBytes += tail;
    }
    const last = k === entries.length - 1;
    const from = at(k);
    const to = last ? manifest.archive.size : at(k + 1);
    const before = parts[parts.length - 1];
    if (before.tail === undefined && before.to === from) before.to = to; // one read for neighbours
    else parts.push({ from, to });
    sqlBytes += (last ? manifest.sqlBytes : entries[k + 1].dataOffset) - table.dataOffset;
  });
  return { parts, sqlBytes, codec };
}

/** All of a range's bytes (the reader may give a stream or a list of buffers). */
const readAll = async (chunks: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<Buffer> => buffer(Readable.from(chunks));

/**
 * The last `tail` uncompressed bytes of the frames in [from, to): reads back from `to` in growing steps
 * (each byte once) until a frame's start is found that decodes to `to` with enough bytes.
 */
async function readTail(read: ArchiveRangeReader, codec: Codec, part: Part & { tail: number }): Promise<Buffer> {
  const magic = codec.frameMagic;
  let bytes = Buffer.alloc(0);
  let start = part.to;
  for (let step = FIRST_WINDOW; start > part.from; step *= 2) {
    // Steps end on multiples of 1 MiB, the chunk size of an encrypted copy: each chunk is read once.
    const added = await readAll(await read(Math.max(part.from, Math.floor((start - step) / DEFAULT_CHUNK_SIZE) * DEFAULT_CHUNK_SIZE), start));
    start -= added.length;
    bytes = Buffer.concat([added, bytes]);
    // Candidates starting in the new bytes, last first (those further on were tried with fewer bytes).
    for (let at = bytes.lastIndexOf(magic, added.length - 1); at >= 0; at = at === 0 ? -1 : bytes.lastIndexOf(magic, at - 1)) {
      let sql: Buffer;
      try {
        sql = codec.decompressSync(bytes.subarray(at));
      } catch {
        continue; // the magic bytes were compressed data, not a frame's start
      }
      if (sql.length >= part.tail) return sql.subarray(sql.length - part.tail);
    }
  }
  throw new Error(`the archive's bytes ${part.from}-${part.to} do not hold the table structure the manifest promises`);
}

/** The uncompressed SQL of the plan's parts, in order, as one stream. */
export async function* readTableSql(read: ArchiveRangeReader, plan: TableSqlPlan): AsyncGenerator<Buffer> {
  for (const part of plan.parts) {
    if (part.tail !== undefined) {
      yield await readTail(read, plan.codec, { ...part, tail: part.tail });
      continue;
    }
    // Concatenated frames are read as one stream by the codec's decompressor, each frame's checksum
    // checked. An error of the read or of the decompressor destroys `sql`, which throws it here.
    const sql = readChain(await read(part.from, part.to), { decompress: plan.codec });
    try {
      for await (const chunk of sql) yield chunk as Buffer;
    } finally {
      sql.destroy();
    }
  }
}
