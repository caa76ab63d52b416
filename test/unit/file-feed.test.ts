import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedFile } from '../../src/archive/file-feed.js';

describe('feedFile', () => {
  let dir: string;
  let file: string;
  const content = randomBytes(5 * 1024 * 1024 + 123);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-feed-'));
    file = path.join(dir, 'data');
    await writeFile(file, content);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes every byte in order, then ends the stream', async () => {
    const chunks: Buffer[] = [];
    const into = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(Buffer.from(chunk)); // a copy: feedFile reuses its buffers
        callback();
      },
    });
    await feedFile(file, into);
    expect(into.writableEnded).toBe(true);
    expect(Buffer.concat(chunks).equals(content)).toBe(true);
  });

  it('stops quietly when the reader destroys the stream mid-way (no unhandled rejection)', async () => {
    let writes = 0;
    const into: Writable = new Writable({
      write(_chunk, _encoding, callback) {
        writes++;
        callback();
        // As a restore that stopped reading does: while feedFile reads the next chunk.
        setImmediate(() => into.destroy());
      },
    });
    into.on('error', () => undefined);
    await expect(feedFile(file, into)).resolves.toBeUndefined();
    expect(writes).toBeLessThan(6);
  });
});
