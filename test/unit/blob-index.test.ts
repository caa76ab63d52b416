// The in-memory index of a content store: every blob found at its place, ids that share their first
// bytes told apart, a blob listed twice keeping its first place, growth past the first arrays, and the
// blobs a backup has taken (pending) counted as held before their pack is placed, and mark bits set and
// read per blob.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BlobIndex } from '../../src/archive/content/blob-index.js';

const id = (n: number) => createHash('sha256').update(String(n)).digest('hex');

describe('blob index', () => {
  it('finds every blob at its place, across growth, and keeps the first place of a blob listed twice', () => {
    const index = new BlobIndex();
    // More than two blocks of 16,384 slots.
    const blobs = Array.from({ length: 40_000 }, (_, i) => ({ id: id(i), offset: i * 10, length: 9, size: 20 + i, zstd: i % 2 === 0 }));
    index.addPack({ id: id(-1), size: 400_000, blobs });
    index.addPack({ id: id(-2), size: 100, blobs: [{ id: id(7), offset: 0, length: 1, size: 27, zstd: true }] });
    expect(index.size).toBe(40_000);
    for (const blob of blobs) expect(index.find(blob.id)).toEqual({ packId: id(-1), place: blob });
    expect(index.has(id(40_000))).toBe(false);
  });

  it('tells apart ids that share their first bytes', () => {
    const index = new BlobIndex();
    const a = `0000000${'a'.repeat(57)}`;
    const b = `0000000${'b'.repeat(57)}`;
    const c = `0000000${'c'.repeat(57)}`;
    index.addPack({ id: id(1), size: 100, blobs: [a, b].map((x, i) => ({ id: x, offset: i, length: 1, size: 1, zstd: false })) });
    expect(index.find(a)?.place.offset).toBe(0);
    expect(index.find(b)?.place.offset).toBe(1);
    expect(index.has(c)).toBe(false);
  });

  it('counts a pending blob as held, has no place for it until its pack comes, then places it', () => {
    const index = new BlobIndex();
    index.addPack({ id: id(-1), size: 100, blobs: [{ id: id(1), offset: 0, length: 5, size: 5, zstd: false }] });
    expect(index.addPending(id(1))).toBe(false); // held already
    const pending = Array.from({ length: 3000 }, (_, i) => id(100 + i));
    for (const blob of pending) expect(index.addPending(blob)).toBe(true);
    expect(index.addPending(pending[0])).toBe(false); // taken already
    expect(index.has(pending[2999])).toBe(true);
    expect(index.find(pending[2999])).toBeUndefined();
    index.addPack({ id: id(-2), size: 30_000, blobs: pending.map((blob, i) => ({ id: blob, offset: i * 10, length: 10, size: 12, zstd: true })) });
    expect(index.size).toBe(3001);
    expect(index.find(pending[2999])).toEqual({ packId: id(-2), place: { id: pending[2999], offset: 29_990, length: 10, size: 12, zstd: true } });
    expect(index.find(id(1))?.packId).toBe(id(-1));
  });

  it('finds nothing for a string that is not a blob id, and refuses to add one', () => {
    const index = new BlobIndex();
    index.addPack({ id: id(-1), size: 100, blobs: [{ id: id(1), offset: 0, length: 5, size: 5, zstd: false }] });
    expect(index.has(id(1) + 'ab')).toBe(false);
    expect(index.has('zz' + id(1).slice(2))).toBe(false);
    expect(index.find(id(1).slice(0, 62))).toBeUndefined();
    expect(() => index.addPending('not an id')).toThrow(/is not a blob id/);
  });

  it('marks blobs a bit at a time, across blocks, and marks nothing it does not hold', () => {
    const index = new BlobIndex();
    const blobs = Array.from({ length: 20_000 }, (_, i) => ({ id: id(i), offset: i, length: 1, size: 1, zstd: false }));
    index.addPack({ id: id(-1), size: 20_000, blobs });
    expect(index.mark(id(3))).toBe(true);
    expect(index.mark(id(3))).toBe(false); // set already
    expect(index.mark(id(19_999), 2)).toBe(true); // in the second block
    expect(index.mark(id(3), 2)).toBe(true); // another bit of the same blob
    expect(index.isMarked(id(3))).toBe(true);
    expect(index.isMarked(id(3), 2)).toBe(true);
    expect(index.isMarked(id(19_999))).toBe(false);
    expect(index.isMarked(id(19_999), 2)).toBe(true);
    expect(index.isMarked(id(4))).toBe(false);
    expect(index.mark(id(20_000))).toBe(false); // not held
    expect(index.isMarked(id(20_000))).toBe(false);
    expect(index.mark('not an id')).toBe(false);
  });
});
