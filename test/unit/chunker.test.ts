// Content-defined chunking: sizes within bounds, the same cuts after an insertion (so an edit costs a
// chunk or two, not the rest of the file), and the walk order the previous listing is read in.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AVERAGE_CHUNK, chunkLength, MAX_CHUNK, MIN_CHUNK } from '../../src/archive/content/chunker.js';
import { compareWalkOrder } from '../../src/archive/content/previous-listing.js';

function cuts(data: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let start = 0; start < data.length; ) {
    const length = chunkLength(data, start, data.length, true);
    chunks.push(data.subarray(start, start + length));
    start += length;
  }
  return chunks;
}

describe('chunker', () => {
  const data = randomBytes(24 << 20);

  it('cuts random data into chunks between the bounds, about the average size', () => {
    const chunks = cuts(data);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk.length).toBeGreaterThanOrEqual(MIN_CHUNK);
      expect(chunk.length).toBeLessThanOrEqual(MAX_CHUNK);
    }
    const average = data.length / chunks.length;
    expect(average).toBeGreaterThan(AVERAGE_CHUNK / 2);
    expect(average).toBeLessThan(AVERAGE_CHUNK * 2);
  });

  it('finds the same cuts after an insertion near the start', () => {
    const before = new Set(cuts(data).map((c) => c.toString('base64', 0, 64) + c.length));
    const edited = Buffer.concat([data.subarray(0, 1000), Buffer.from('inserted bytes'), data.subarray(1000)]);
    const after = cuts(edited).map((c) => c.toString('base64', 0, 64) + c.length);
    const changed = after.filter((key) => !before.has(key));
    expect(changed.length).toBeLessThanOrEqual(2);
  });

  it('cuts a file of at most the minimum size as one chunk, and zeros at the maximum', () => {
    expect(chunkLength(data, 0, MIN_CHUNK, true)).toBe(MIN_CHUNK);
    expect(chunkLength(Buffer.alloc(9 << 20), 0, 9 << 20, false)).toBe(MAX_CHUNK);
  });
});

describe('walk order', () => {
  it('puts a folder before its contents and names in code-unit order, as the walk does', () => {
    const paths = ['a.txt', 'a/x', 'a', 'b', 'a/x/y', 'a-b', 'ä', 'A'];
    expect([...paths].sort(compareWalkOrder)).toEqual(['A', 'a', 'a/x', 'a/x/y', 'a-b', 'a.txt', 'b', 'ä']);
  });
});
