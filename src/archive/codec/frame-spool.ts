// A parallel dump's spool: frames compressed on the thread pool into a temp file beside the archive,
// then copied byte for byte (no recompression) into the main FrameWriter when the worker gets its turn. The file is unlinked as soon as it is open, so even a killed process leaves nothing.
import { open, unlink, type FileHandle } from 'node:fs/promises';
import type { FrameStart, SpoolSink } from '../../shared/sinks.js';
import { FrameWriter, type FrameOptions } from './frame-writer.js';

/** Bytes copied from the spool into the archive per read. */
const COPY_CHUNK = 1 << 20;

export class FrameSpool implements SpoolSink {
  private writer: FrameWriter;
  /** Compressed bytes in the file. */
  private fileBytes = 0;

  private constructor(
    private readonly handle: FileHandle,
    private readonly main: FrameWriter,
    private readonly options: FrameOptions,
  ) {
    this.writer = this.freshWriter();
  }

  /** Creates the spool at `file` (which must not exist) for `main`, compressing with its codec as `options` say. */
  static async open(file: string, main: FrameWriter, options: FrameOptions = {}): Promise<FrameSpool> {
    const handle = await open(file, 'wx+', 0o600);
    try {
      await unlink(file);
    } catch (error) {
      await handle.close();
      throw error;
    }
    return new FrameSpool(handle, main, options);
  }

  get bytesWritten(): number {
    return this.writer.bytesWritten;
  }

  write(chunk: string | Buffer): Promise<void> {
    return this.writer.write(chunk);
  }

  cut(): Promise<FrameStart> {
    return this.writer.cut();
  }

  async moveToMain(): Promise<{ dataOffset: number; frameOffset: number }> {
    const uncompressed = await this.writer.finish();
    const landed = await this.main.appendFrames(this.readBack(), uncompressed);
    await this.handle.truncate(0);
    this.fileBytes = 0;
    this.writer = this.freshWriter();
    return landed;
  }

  async dispose(): Promise<void> {
    await this.handle.close();
  }

  private freshWriter(): FrameWriter {
    return new FrameWriter({ write: (frame) => this.append(frame) }, this.main.codec, this.options);
  }

  private async append(frame: Buffer): Promise<void> {
    let done = 0;
    while (done < frame.length) {
      const { bytesWritten } = await this.handle.write(frame, done, frame.length - done, this.fileBytes + done);
      done += bytesWritten;
    }
    this.fileBytes += frame.length;
  }

  private async *readBack(): AsyncIterable<Buffer> {
    for (let at = 0; at < this.fileBytes; ) {
      const buffer = Buffer.allocUnsafe(Math.min(COPY_CHUNK, this.fileBytes - at));
      const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, at);
      if (bytesRead === 0) throw new Error('the dump spool file ended early (was the disk changed under it?)');
      yield buffer.subarray(0, bytesRead);
      at += bytesRead;
    }
  }
}
