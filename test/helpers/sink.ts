// A plain, uncompressed SqlSink for engine tests: collects the dump in memory and writes it to a file.
import { writeFile } from 'node:fs/promises';
import type { FrameStart, SpoolSink, SqlSink } from '../../src/engines/engine.js';

export class MemorySqlSink implements SqlSink {
  private readonly chunks: Buffer[] = [];
  bytesWritten = 0;

  async write(chunk: string | Buffer): Promise<void> {
    // A copy: the writer may fill its buffer again once this resolves (SqlSink.write).
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
    this.chunks.push(buffer);
    this.bytesWritten += buffer.length;
  }

  async cut(): Promise<FrameStart> {
    return { frameOffset: Promise.resolve(this.bytesWritten) }; // uncompressed: a member starts wherever we are
  }

  /** A spool for parallel dumps: kept in memory, moved into this sink as a whole. */
  async openSpool(): Promise<SpoolSink> {
    const spool = new MemorySqlSink();
    const moveInto = async (): Promise<number> => {
      const dataOffset = this.bytesWritten;
      await this.write(spool.toBuffer());
      return dataOffset;
    };
    return Object.assign(spool, {
      moveToMain: async () => {
        const dataOffset = await moveInto();
        spool.chunks.length = 0;
        spool.bytesWritten = 0;
        return { dataOffset, frameOffset: dataOffset };
      },
      dispose: async () => undefined,
    });
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }

  async saveTo(file: string): Promise<void> {
    await writeFile(file, this.toBuffer());
  }
}

/** Feeds a buffer to a restore in small pieces, so statement splitting across chunk edges is exercised. */
export async function* chunked(buffer: Buffer, size = 7919): AsyncIterable<Buffer> {
  for (let i = 0; i < buffer.length; i += size) yield buffer.subarray(i, i + size);
}
