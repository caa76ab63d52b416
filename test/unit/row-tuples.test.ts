// Rows of the text protocol written as SQL tuples (row-tuples.ts): length encodings, NULL, quoting and
// escaping. That the tuples load back to the same rows is checked against the real server in
// test/integration/mysql-dump.test.ts (the corner-case fixture) and mysql-hostile-dumps.test.ts.
import { describe, expect, it } from 'vitest';
import { COPY, QUOTE, tupleFields, tupleRoom, writeTuple } from '../../src/engines/mysql/row-tuples.js';
import type { ColumnInfo } from '../../src/engines/mysql/values.js';

/** A text-protocol row: each field as a length-encoded string, or 0xfb for NULL. */
function rowPacket(fields: (Buffer | null)[]): Buffer {
  const parts = fields.map((field) => {
    if (field === null) return Buffer.from([0xfb]);
    const n = field.length;
    const head = n < 251 ? Buffer.from([n]) : n < 1 << 16 ? Buffer.from([0xfc, n & 255, n >> 8]) : Buffer.from([0xfd, n & 255, (n >> 8) & 255, n >> 16]);
    return Buffer.concat([head, field]);
  });
  return Buffer.concat(parts);
}

function tupleOf(fields: (Buffer | null)[], forms: number[]): string {
  const packet = Buffer.concat([Buffer.from('junk'), rowPacket(fields)]); // a row starts anywhere in its buffer
  const out = Buffer.alloc(tupleRoom(packet.length, forms.length) + 3, 0x21);
  const end = writeTuple(packet, 4, Uint8Array.from(forms), out, 3);
  expect(out.subarray(0, 3).toString()).toBe('!!!'); // nothing written before `at`
  return out.subarray(3, end).toString('latin1');
}

describe('row tuples', () => {
  it('copies numbers, quotes text and writes NULL as the word', () => {
    const fields = [Buffer.from('42'), Buffer.from('-1.50'), Buffer.from("it's"), null, Buffer.from(''), Buffer.from('0x1F')];
    expect(tupleOf(fields, [COPY, COPY, QUOTE, QUOTE, QUOTE, COPY])).toBe("(42,-1.50,'it\\'s',NULL,'',0x1F)");
  });

  it('escapes NUL, line breaks, ^Z, quotes and backslashes as mysqldump does', () => {
    const raw = Buffer.from([0x61, 0x00, 0x0a, 0x0d, 0x1a, 0x27, 0x5c, 0x22, 0x62]);
    expect(tupleOf([raw], [QUOTE])).toBe("('a\\0\\n\\r\\Z\\'\\\\\"b')");
  });

  it('reads two- and three-byte lengths, and copies long fields whole', () => {
    const medium = Buffer.alloc(300, 'x');
    const long = Buffer.alloc(70_000, 'y');
    const digits = Buffer.from('1234567890'.repeat(5));
    const tuple = tupleOf([medium, long, digits, null], [QUOTE, QUOTE, COPY, COPY]);
    expect(tuple).toBe(`('${medium}','${long}',${digits},NULL)`);
  });

  it('keeps UTF-8 bytes as they are', () => {
    expect(tupleOf([Buffer.from('café ✓ 🚢')], [QUOTE])).toBe(`('${Buffer.from('café ✓ 🚢').toString('latin1')}')`);
  });

  it('stays within the room it asks for in the worst case', () => {
    const escapes = Buffer.alloc(1000, 0x27); // every byte escaped
    const fields = [escapes, null, null, Buffer.from(''), escapes];
    const packet = rowPacket(fields);
    const out = Buffer.alloc(tupleRoom(packet.length, fields.length));
    expect(writeTuple(packet, 0, Uint8Array.from([QUOTE, QUOTE, COPY, QUOTE, QUOTE]), out, 0)).toBeLessThanOrEqual(out.length);
  });

  it('selects numbers and text as they are, and the server-made literal where one is needed', () => {
    const column = (name: string, dataType: string, charset: string | null = null): ColumnInfo => ({
      name,
      dataType,
      columnType: dataType,
      charset,
      maxLength: 10,
      generated: false,
      nullable: true,
    });
    const { expressions, forms } = tupleFields([column('n', 'int'), column('s', 'varchar', 'latin1'), column('d', 'datetime'), column('b', 'varbinary'), column('u', 'uuid')]);
    expect(expressions.slice(0, 3)).toEqual(['`n`', '`s`', '`d`']);
    expect(expressions[3]).toContain('HEX(`b`)');
    expect(expressions[4]).toBe('CAST(`u` AS CHAR CHARACTER SET utf8mb4)');
    expect([...forms]).toEqual([COPY, QUOTE, QUOTE, COPY, QUOTE]);
  });
});
