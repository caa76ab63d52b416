import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BackgroundHash } from '../../src/archive/background-hash.js';

const sha256 = (...chunks: Buffer[]) => chunks.reduce((hash, chunk) => hash.update(chunk), createHash('sha256')).digest('hex');

describe('BackgroundHash', () => {
  it('gives the sha256 of exactly the bytes added, also from views into larger buffers and reused buffers', async () => {
    const big = randomBytes(3 << 20);
    const views = [big.subarray(5, 1 << 20), big.subarray(2 << 20, (2 << 20) + 17), Buffer.alloc(0), Buffer.from('tail')];
    const hash = new BackgroundHash();
    const reused = Buffer.alloc(64 * 1024);
    const added: Buffer[] = [];
    for (const view of views) hash.update(view);
    for (let i = 0; i < 20; i++) {
      reused.fill(i); // overwritten right after update: the hash must already hold its own copy
      hash.update(reused);
      added.push(Buffer.from(reused));
    }
    expect(await hash.digest()).toBe(sha256(...views, ...added));
    await expect(hash.digest()).rejects.toThrow('called twice');
  });

  it('keeps hashes that run at the same time apart, and an empty one is the hash of nothing', async () => {
    const a = new BackgroundHash();
    const b = new BackgroundHash();
    const dropped = new BackgroundHash();
    const empty = new BackgroundHash();
    const chunks = Array.from({ length: 10 }, () => randomBytes(10_000));
    chunks.forEach((chunk, i) => {
      a.update(chunk);
      if (i % 2 === 0) b.update(chunk);
      dropped.update(chunk);
    });
    dropped.discard();
    const [hexA, hexB, hexEmpty] = await Promise.all([a.digest(), b.digest(), empty.digest()]);
    expect(hexA).toBe(sha256(...chunks));
    expect(hexB).toBe(sha256(...chunks.filter((_, i) => i % 2 === 0)));
    expect(hexEmpty).toBe(sha256());
  });
});
