// The bookkeeping of values written in pieces (value-pieces.ts): which columns qualify, how long a piece
// may be, and which values of a row are still to be appended. The pieces themselves are checked against
// the real server in test/integration/mysql-long-values.test.ts.
import { describe, expect, it } from 'vitest';
import { canWriteInPieces, pendingValues, unitsFitting, type PieceColumn } from '../../src/engines/mysql/value-pieces.js';
import { formatLargeValue, type ColumnInfo } from '../../src/engines/mysql/values.js';

const column = (dataType: string, charset: string | null = null): ColumnInfo => ({
  name: dataType,
  dataType,
  columnType: dataType,
  charset,
  maxLength: null,
  generated: false,
  nullable: true,
});

describe('value pieces', () => {
  it('builds up only variable-length string values (not CHAR/BINARY, JSON, geometry, numbers)', () => {
    expect(canWriteInPieces(column('longtext', 'utf8mb4'))).toBe(true);
    expect(canWriteInPieces(column('longblob'))).toBe(true);
    expect(canWriteInPieces(column('mediumtext', 'sjis'))).toBe(true);
    expect(canWriteInPieces(column('varchar', 'utf8mb4'))).toBe(true);
    expect(canWriteInPieces(column('char', 'utf8mb4'))).toBe(false); // padded: a piece would lose its trailing spaces
    expect(canWriteInPieces(column('binary'))).toBe(false);
    expect(canWriteInPieces(column('json'))).toBe(false);
    expect(canWriteInPieces(column('geometry'))).toBe(false);
    expect(canWriteInPieces(column('int'))).toBe(false);
  });

  it('sizes a piece so that its literal fits, whatever the content', () => {
    const budget = 10_000;
    // Each unit (a byte, a character) at its longest as a literal; the worst ones nearly fill the budget.
    const units: [ColumnInfo, Buffer, number][] = [
      [column('longblob'), Buffer.alloc(1, 0x27), 0.9],
      [column('longtext', 'utf8mb4'), Buffer.from('😀'), 0.9],
      [column('longtext', 'utf8mb4'), Buffer.from("'"), 0.45],
      [column('mediumtext', 'utf32'), Buffer.alloc(4, 0x27), 0.9],
    ];
    for (const [col, unit, filled] of units) {
      const count = unitsFitting(col, budget);
      const literal = formatLargeValue(col, Buffer.concat(Array.from({ length: count }, () => unit)), 1 << 24);
      expect(literal.length, col.dataType).toBeLessThanOrEqual(budget);
      expect(literal.length, col.dataType).toBeGreaterThan(budget * filled);
    }
  });

  it('reads which values of a row are longer than their first piece, and the row key kept on one line', () => {
    const pieces: PieceColumn[] = [
      { column: column('longtext', 'utf8mb4'), units: 100 },
      { column: column('longblob'), units: 200 },
    ];
    const pending = pendingValues(Buffer.from("01`id`='a\nb\r' AND `n`=2"), pieces);
    expect(pending).toEqual([{ where: "`id`='a\\nb\\r' AND `n`=2", piece: pieces[1] }]);
  });
});
