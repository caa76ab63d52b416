// A database rollback from a local Lifeboat archive reads it as two streams at once: the first tables
// (about half of the data) from the start of the archive, and the rest (with the views, routines and
// events after them) from where those tables end, using the manifest's per-table offsets (the same parts
// `rollback --table` reads, table-sql.ts). Each stream loads its own tables on its own session, so the
// server loads two tables at once without two sessions appending to the same table (which contend on
// the end of its primary key). The archive's checksum is taken by a third read (checked-sql.ts).
import { createReadStream } from 'node:fs';
import { planTableSql, readTableSql, type ArchiveRangeReader } from './table-sql.js';
import type { Manifest } from '../../shared/types.js';

/** What a row costs the server beyond its bytes, in bytes of SQL: an estimate (see openParallelSql). */
const ROW_COST = 150;
/**
 * What a table costs the server whatever its rows, in bytes of SQL: its CREATE TABLE, the ALTER TABLE
 * that adds its indexes, each a DDL statement that commits and writes the binary log. Fitted to a
 * rollback of the bench's shop at scale 0.15 on a server with the binary log on: without it, the stream
 * with the 61 smaller tables finished 2.3 s after the one with the 3 largest (of 9.6 s), about 36 ms a
 * table, which the load of 0.9 MB of rows takes.
 */
const TABLE_COST = 900_000;

export interface ParallelSql {
  /** Everything but `first.tables`. */
  main: AsyncIterable<Buffer>;
  first: { sql: AsyncIterable<Buffer>; tables: string[] };
}

/**
 * Where to cut the archive's tables in two for the best balance: tables [0, cut) in one stream, the rest
 * in the other. Rows cost the server work beyond their bytes (index entries above all), so many-row
 * tables of short rows weigh more than their bytes: balanced by bytes alone, the stream with the bench
 * shop's short-row tables finished 6 s after the other (of 45). And every table costs its definition.
 */
export function balancedCut(entries: { dataLength: number; rows: number }[]): number {
  const cost = (t: (typeof entries)[number]) => t.dataLength + ROW_COST * t.rows + TABLE_COST;
  const total = entries.reduce((sum, t) => sum + cost(t), 0);
  let cut = 1;
  let best = Infinity;
  for (let k = 1, sum = 0; k < entries.length; k++) {
    sum += cost(entries[k - 1]); // tables [0, k)
    if (Math.abs(total - 2 * sum) < best) {
      best = Math.abs(total - 2 * sum);
      cut = k;
    }
  }
  return cut;
}

/** The split, or undefined when the archive cannot be read by parts (see planTableSql) or has one table. */
export function openParallelSql(file: string, manifest: Manifest): ParallelSql | undefined {
  const entries = manifest.tables;
  if (entries.length < 2) return undefined;
  const cut = balancedCut(entries);
  const firstTables = entries.slice(0, cut).map((t) => t.name);
  const restTables = entries.slice(cut).map((t) => t.name);
  const firstPlan = planTableSql(manifest, firstTables);
  const restPlan = planTableSql(manifest, restTables);
  if (!firstPlan || !restPlan) return undefined;
  const read: ArchiveRangeReader = async (start, end) => createReadStream(file, { start, end: end - 1, highWaterMark: 1 << 20 });
  // The rest's last part runs to the end of the archive: views, routines, events and the trailer.
  return { main: readTableSql(read, restPlan), first: { sql: readTableSql(read, firstPlan), tables: firstTables } };
}
