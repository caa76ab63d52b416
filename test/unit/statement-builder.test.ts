// The statement builder (statement-builder.ts): rows formatted in place into the piece being filled must
// give the same bytes, statements and pieces as rows formatted apart and added as tuples, across statement
// limits and piece boundaries. That the statements load is checked against the real server in
// test/integration/mysql-dump.test.ts.
import { describe, expect, it } from 'vitest';
import { COPY, QUOTE } from '../../src/engines/mysql/row-tuples.js';
import { formatRow, StatementBuilder } from '../../src/engines/mysql/statement-builder.js';

/** A text-protocol row of short fields (each under 251 bytes): length byte and bytes, or 0xfb for NULL. */
function rowPacket(fields: (string | null)[]): Buffer {
  return Buffer.concat(fields.map((field) => (field === null ? Buffer.from([0xfb]) : Buffer.concat([Buffer.from([Buffer.byteLength(field)]), Buffer.from(field)]))));
}

const forms = Uint8Array.from([COPY, QUOTE, QUOTE, COPY]);
const prefix = Buffer.from('INSERT INTO `t` (`id`,`name`,`note`,`price`) VALUES ');

/** Rows of varied length, some with characters to escape and NULLs. */
function rows(count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) =>
    rowPacket([String(i), `name ${i} it's`.repeat(1 + (i % 7)), i % 5 === 0 ? null : `line\nbreak ${'x'.repeat(i % 90)}`, `${i}.50`]),
  );
}

/** Everything the builder emits, as one buffer, and the rows each piece completed. */
function build(limit: number, packets: Buffer[], inPlace: boolean): { bytes: Buffer; counts: number[] } {
  const builder = new StatementBuilder(prefix, limit);
  const pieces: Buffer[] = [];
  const counts: number[] = [];
  const emit = (piece: Buffer, rowCount: number) => {
    // As a sink does: the bytes are copied, then the piece goes back to be filled again.
    pieces.push(Buffer.from(piece));
    counts.push(rowCount);
    StatementBuilder.recycle(piece);
  };
  for (const packet of packets) {
    if (inPlace) builder.addRow(packet, 0, packet.length, forms, emit);
    else builder.add(formatRow(packet, 0, packet.length, forms), emit);
  }
  builder.flush(emit);
  builder.release();
  return { bytes: Buffer.concat(pieces), counts };
}

describe('statement builder', () => {
  for (const limit of [200, 4096, 1 << 20, 4 << 20]) {
    it(`formats rows in place exactly as apart (statement limit ${limit})`, () => {
      const packets = rows(12_000);
      const apart = build(limit, packets, false);
      const inPlace = build(limit, packets, true);
      expect(inPlace.bytes.equals(apart.bytes)).toBe(true);
      expect(inPlace.counts).toEqual(apart.counts);
      expect(apart.counts.reduce((a, b) => a + b, 0)).toBe(12_000);
      // Every statement stays within the limit unless it holds a single row.
      for (const statement of apart.bytes.toString('latin1').split(';\n').slice(0, -1)) {
        if (statement.includes('),\n(')) expect(statement.length + 2).toBeLessThanOrEqual(limit);
      }
    });
  }
});
