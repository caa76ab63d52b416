// The in-memory index of a content store: every blob found at its place, ids that share their first
// 31 bits told apart, a blob listed twice keeping its first place, and growth past the first arrays.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BlobIndex } from '../../src/archive/content/blob-index.js';

const id = (n: number) => createHash('sha256').update(String(n)).digest('hex');

describe('blob index', () => {
  it('finds every blob at its place, across growth, and keeps the first place of a blob listed twice', () => {
    const index = new BlobIndex();
    const blobs = Array.from({ length: 5000 }, (_, i) => ({ id: id(i), offset: i * 10, length: 9, size: 20 + i, zstd: i % 2 === 0 }));
    index.addPack({ id: id(-1), size: 50_000, blobs });
    index.addPack({ id: id(-2), size: 100, blobs: [{ id: id(7), offset: 0, length: 1, size: 27, zstd: true }] });
    expect(index.size).toBe(5000);
    for (const blob of blobs) expect(index.find(blob.id)).toEqual({ packId: id(-1), place: blob });
    expect(index.has(id(5000))).toBe(false);
  });

  it('tells apart ids that share their first 31 bits', () => {
    const index = new BlobIndex();
    const a = `0000000${'a'.repeat(57)}`;
    const b = `0000000${'b'.repeat(57)}`;
    const c = `0000000${'c'.repeat(57)}`;
    index.addPack({ id: id(1), size: 100, blobs: [a, b].map((x, i) => ({ id: x, offset: i, length: 1, size: 1, zstd: false })) });
    expect(index.find(a)?.place.offset).toBe(0);
    expect(index.find(b)?.place.offset).toBe(1);
    expect(index.has(c)).toBe(false);
  });
});
