// The sha256 of an archive worked out on a thread of its own (background-hash.ts): the same digest as a
// hash on this thread, for a few bytes (hashed here) and for many (on the thread), however they come.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BackgroundHash, HashHere, type ArchiveHash } from '../../src/archive/background-hash.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function hashInPieces(data: Buffer, sizes: number[], hash: ArchiveHash = new BackgroundHash()): Promise<string> {
  const pending: Promise<void>[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const size = sizes[i % sizes.length];
    pending.push(hash.update(data.subarray(at, at + size)));
    at += size;
  }
  await Promise.all(pending);
  return hash.digest();
}

describe('background hash', () => {
  it('hashes a small file here, as it came', async () => {
    const data = randomBytes(300_000);
    expect(await hashInPieces(data, [1, 7, 4096, 65_536, 100_000])).toBe(sha256(data));
    expect(await new BackgroundHash().digest()).toBe(sha256(Buffer.alloc(0)));
  });

  it('hashes a large file on its thread, whatever the sizes of the writes', async () => {
    const data = randomBytes(13 * (1 << 20) + 12_345);
    expect(await hashInPieces(data, [3 << 20, 17, 1 << 20, 999_999, 5])).toBe(sha256(data));
    expect(await hashInPieces(data, [(1 << 20) - 1])).toBe(sha256(data));
  });

  it('hashes on this thread when told to (HashHere), the same', async () => {
    const data = randomBytes(5 * (1 << 20) + 3);
    expect(await hashInPieces(data, [1 << 20, 17, 65_536], new HashHere())).toBe(sha256(data));
    expect(await new HashHere().digest()).toBe(sha256(Buffer.alloc(0)));
  });

  it('can be given up on midway', async () => {
    const hash = new BackgroundHash();
    await hash.update(randomBytes(6 << 20));
    hash.close();
  });
});
