// SHA-256 of each table's rows as SQL (its INSERT statements, TableEntry's data range), worked out in
// one pass: from an archive's SQL by the manifest's offsets, and from a dump as it is written (a sink
// that starts a hash at every frame cut, where a table's rows begin, and keeps the hash's state after
// every write, where they may end). A restore drill compares the two.
import { createHash, type Hash } from 'node:crypto';
import type { FrameStart, SqlSink } from '../../shared/sinks.js';

export interface TableRange {
  name: string;
  dataOffset: number;
  dataLength: number;
}

const EMPTY = createHash('sha256').digest('hex');

/** Each table's hash from the SQL read in order from its start (`sql`); tables by name. */
export async function hashTableRanges(sql: AsyncIterable<Buffer>, tables: readonly TableRange[]): Promise<Map<string, string>> {
  const order = [...tables].filter((t) => t.dataLength > 0).sort((a, b) => a.dataOffset - b.dataOffset);
  const hashes = new Map<string, string>(tables.filter((t) => t.dataLength === 0).map((t) => [t.name, EMPTY]));
  let position = 0;
  let next = 0;
  let open: { table: TableRange; hash: Hash } | undefined;
  for await (const chunk of sql) {
    let at = 0;
    while (at < chunk.length) {
      if (!open) {
        if (next >= order.length) break;
        const table = order[next];
        const start = table.dataOffset - position;
        if (start >= chunk.length) break;
        at = Math.max(at, start);
        open = { table, hash: createHash('sha256') };
        next++;
      }
      const end = open.table.dataOffset + open.table.dataLength - position;
      const stop = Math.min(chunk.length, end);
      open.hash.update(chunk.subarray(at, stop));
      at = stop;
      if (stop === end) {
        hashes.set(open.table.name, open.hash.digest('hex'));
        open = undefined;
      }
    }
    position += chunk.length;
  }
  return hashes;
}

/** A sink that keeps nothing but the hashes it needs to tell any table's hash once the dump is done. */
export class HashingSqlSink implements SqlSink {
  private written = 0;
  private segmentStart = 0;
  private hash = createHash('sha256');
  /** The hash of the segment up to each write's end: offset -> (segment start, hash state). */
  private readonly checkpoints = new Map<number, { start: number; hash: Hash }>();

  get bytesWritten(): number {
    return this.written;
  }

  async write(chunk: string | Buffer): Promise<void> {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (bytes.length === 0) return;
    this.hash.update(bytes);
    this.written += bytes.length;
    this.checkpoints.set(this.written, { start: this.segmentStart, hash: this.hash.copy() });
  }

  async cut(): Promise<FrameStart> {
    this.segmentStart = this.written;
    this.hash = createHash('sha256');
    return { frameOffset: Promise.resolve(this.written) };
  }

  /** The hash of `[dataOffset, dataOffset + dataLength)`, when a cut started it and a write ended it. */
  rangeHash(range: TableRange): string | undefined {
    if (range.dataLength === 0) return EMPTY;
    const checkpoint = this.checkpoints.get(range.dataOffset + range.dataLength);
    return checkpoint?.start === range.dataOffset ? checkpoint.hash.copy().digest('hex') : undefined;
  }
}
