// Per-table hashes of a dump's SQL (table-hashes.ts): from a stream by offsets, and from a sink as it is
// written; equal bytes give equal hashes however the stream is cut, and one changed byte shows.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HashingSqlSink, hashTableRanges, type TableRange } from '../../src/core/verify/table-hashes.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** Writes a dump-like stream: before each table's rows a cut, then rows, then other statements. */
async function writeDump(sink: HashingSqlSink, tables: { name: string; rows: string }[]): Promise<TableRange[]> {
  const ranges: TableRange[] = [];
  await sink.write('-- header\n');
  for (const table of tables) {
    await sink.write(`CREATE TABLE ${table.name} (x INT);\n`);
    await sink.cut();
    const dataOffset = sink.bytesWritten;
    for (const piece of table.rows.match(/.{1,7}/gs) ?? []) await sink.write(piece);
    ranges.push({ name: table.name, dataOffset, dataLength: sink.bytesWritten - dataOffset });
    await sink.write(`CREATE TRIGGER t_${table.name} ...;\n`);
  }
  return ranges;
}

async function* pieces(text: string, size: number): AsyncIterable<Buffer> {
  for (let at = 0; at < text.length; at += size) yield Buffer.from(text.slice(at, at + size));
}

describe('table hashes', () => {
  const tables = [
    { name: 'a', rows: 'INSERT INTO a VALUES (1),(2);\n' },
    { name: 'empty', rows: '' },
    { name: 'b', rows: "INSERT INTO b VALUES ('x'),('y'),('z');\nINSERT INTO b VALUES ('w');\n" },
  ];

  it('gives every table the hash of its rows, from the sink and from the stream, however it is cut', async () => {
    const sink = new HashingSqlSink();
    const ranges = await writeDump(sink, tables);
    const text = ['-- header\n', ...tables.flatMap((t) => [`CREATE TABLE ${t.name} (x INT);\n`, t.rows, `CREATE TRIGGER t_${t.name} ...;\n`])].join('');
    for (const table of tables) expect(sink.rangeHash(ranges.find((r) => r.name === table.name)!)).toBe(sha(table.rows));
    for (const size of [1, 5, 64, 1 << 20]) {
      const hashes = await hashTableRanges(pieces(text, size), ranges);
      for (const table of tables) expect(hashes.get(table.name), `${table.name} in pieces of ${size}`).toBe(sha(table.rows));
    }
  });

  it('shows one changed byte, and cannot tell a range that no cut started', async () => {
    const sink = new HashingSqlSink();
    const ranges = await writeDump(sink, tables);
    const other = new HashingSqlSink();
    const changed = await writeDump(other, [tables[0], tables[1], { name: 'b', rows: tables[2].rows.replace('y', 'Y') }]);
    expect(other.rangeHash(changed[0])).toBe(sink.rangeHash(ranges[0]));
    expect(other.rangeHash(changed[2])).not.toBe(sink.rangeHash(ranges[2]));
    expect(sink.rangeHash({ name: 'a', dataOffset: ranges[0].dataOffset + 1, dataLength: ranges[0].dataLength - 1 })).toBeUndefined();
  });
});
