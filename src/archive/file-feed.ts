// Feeding a file into a stream (a gunzip) through two buffers used in turn. fs.ReadStream allocates a
// new buffer for every read: a tree rollback read its 2.5 GB archive that way, 1 MiB at a time, and
// each buffer waited in the gunzip's queue long enough to be promoted to V8's old generation, so only
// the next full collection freed it; the dead buffers between collections set the peak RSS.
import { open, type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';

const CHUNK = 1 << 20;

/**
 * Writes the file into `into`, then ends it; a read error destroys `into` with that error. `onChunk`
 * sees each chunk first and must not keep it: its buffer is read into again once `into` consumed it.
 * Never rejects; stops when `into` is destroyed (a failed extraction destroys it).
 */
export async function feedFile(file: string, into: Writable, onChunk?: (chunk: Buffer) => void): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'r');
    const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    let consumed: Promise<void> = Promise.resolve();
    for (let turn = 0, position = 0; !into.destroyed; turn++) {
      // This buffer's previous chunk (two turns ago) was consumed before the last write was issued.
      const buffer = buffers[turn % 2];
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, position);
      if (bytesRead === 0) {
        await consumed;
        into.end();
        break;
      }
      position += bytesRead;
      const chunk = buffer.subarray(0, bytesRead);
      onChunk?.(chunk);
      await consumed;
      consumed = consume(into, chunk);
      // The loop ends without awaiting it once `into` is destroyed: its rejection must not go unhandled.
      consumed.catch(() => undefined);
    }
  } catch (error) {
    if (!into.destroyed) into.destroy(error as Error);
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Resolves once `into` has processed the chunk (a zlib stream: all of it inflated). */
function consume(into: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    into.write(chunk, (error) => (error ? reject(error) : resolve()));
  });
}
