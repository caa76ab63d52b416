// The buffers files are read into for an incremental backup: regions of a slab do not overlap while
// held, a slab is filled again only once every region of it is released, and a request bigger than a
// slab gets a buffer of its own.
import { describe, expect, it } from 'vitest';
import { ReadBuffers, SLAB } from '../../src/archive/content/read-buffers.js';

describe('read buffers', () => {
  it('cuts regions one after the other and reuses a slab once all of its regions are released', () => {
    const buffers = new ReadBuffers();
    const a = buffers.take(1000);
    const b = buffers.take(2000);
    expect(a.buffer).toBe(b.buffer);
    expect(b.byteOffset).toBe(a.byteOffset + 1000);
    const c = buffers.take(SLAB - 2500); // does not fit: a second slab
    expect(c.buffer).not.toBe(a.buffer);
    buffers.release(a);
    expect(buffers.take(SLAB).buffer).not.toBe(a.buffer); // b still holds the first slab
    buffers.release(b);
    const again = buffers.take(SLAB);
    expect(again.buffer).toBe(a.buffer);
    expect(again.byteOffset).toBe(0);
  });

  it('keeps a slab while a retained part of a region is held', () => {
    const buffers = new ReadBuffers();
    const window = buffers.take(3 << 20);
    const chunk = window.subarray(1 << 20, 2 << 20);
    buffers.retain(chunk);
    buffers.release(window);
    buffers.take(2 << 20); // the next slab
    const next = buffers.take(SLAB);
    expect(next.buffer).not.toBe(window.buffer);
    buffers.release(chunk);
    expect(buffers.take(SLAB).buffer).toBe(window.buffer);
  });

  it('gives a request bigger than a slab a buffer of its own, and ignores releases of it', () => {
    const buffers = new ReadBuffers();
    const big = buffers.take(SLAB + 1);
    expect(big.length).toBe(SLAB + 1);
    buffers.release(big);
    buffers.release(big);
    const small = buffers.take(10);
    expect(small.buffer).not.toBe(big.buffer);
  });
});
