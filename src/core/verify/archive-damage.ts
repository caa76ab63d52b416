// Where an archive's damage lies, in tables: a drill of a damaged archive names the table whose part of
// the archive does not decode, as a drill that restored names the tables that differ. A database
// archive's frames are independent and a new one starts where each table's rows start (the manifest's
// frame offsets), so each table's part, from its offset to the next table's, is decoded alone, its
// frames' checksums checked; the part before the first table holds the header and that table's
// structure. An archive without frame offsets is decoded whole, and the damage is not placed.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Codec } from '../../archive/codec/codec.js';
import type { TableEntry } from '../../shared/types.js';

export interface ArchiveDamage {
  /** The table whose part holds the damage; absent when it is in the header (or could not be placed). */
  table?: string;
  /** What the codec said. */
  problem: string;
}

interface Part {
  table?: string;
  from: number;
  to: number;
}

/** The first damaged part of the archive `file`, or undefined when every part decodes. */
export async function locateDamage(file: string, codec: Codec, tables: readonly TableEntry[]): Promise<ArchiveDamage | undefined> {
  const { size } = await stat(file);
  for (const part of partsOf(tables, size)) {
    if (part.to <= part.from) continue;
    const problem = await decodeProblem(file, codec, part);
    if (problem !== undefined) return { ...(part.table ? { table: part.table } : {}), problem };
  }
  return undefined;
}

/** "table X's part" or "its header". */
export function damagedPart(damage: ArchiveDamage): string {
  return damage.table ? `table ${damage.table}'s part` : 'its header';
}

function partsOf(tables: readonly TableEntry[], size: number): Part[] {
  const offsets = tables.map((t) => t.gzipOffset ?? -1);
  if (offsets.length === 0 || offsets.some((o, i) => o < 0 || (i > 0 && o < offsets[i - 1]))) return [{ from: 0, to: size }];
  return [{ from: 0, to: offsets[0] }, ...tables.map((t, k) => ({ table: t.name, from: offsets[k], to: offsets[k + 1] ?? size }))];
}

async function decodeProblem(file: string, codec: Codec, part: Part): Promise<string | undefined> {
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  try {
    await pipeline(createReadStream(file, { start: part.from, end: part.to - 1 }), codec.createDecompressor(), discard);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
