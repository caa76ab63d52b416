// A parallel dump's spool: gzip members compressed on the thread pool into a temp file beside the
// archive, then copied byte for byte (no recompression) into the main GzipMemberWriter when the worker
// gets its turn. The file is unlinked as soon as it is open, so even a killed process leaves nothing.
import { open, unlink, type FileHandle } from 'node:fs/promises';
import type { MemberStart, SpoolSink } from '../shared/sinks.js';
import { GzipMemberWriter, type GzipMemberOptions } from './gzip-members.js';

/** Bytes copied from the spool into the archive per read. */
const COPY_CHUNK = 1 << 20;

export class GzipSpool implements SpoolSink {
  private writer: GzipMemberWriter;
  /** Compressed bytes in the file. */
  private fileBytes = 0;

  private constructor(
    private readonly handle: FileHandle,
    private readonly main: GzipMemberWriter,
    private readonly options: GzipMemberOptions,
  ) {
    this.writer = this.freshWriter();
  }

  /** Creates the spool at `file` (which must not exist) for `main`, compressing as `options` say. */
  static async open(file: string, main: GzipMemberWriter, options: GzipMemberOptions = {}): Promise<GzipSpool> {
    const handle = await open(file, 'wx+', 0o600);
    try {
      await unlink(file);
    } catch (error) {
      await handle.close();
      throw error;
    }
    return new GzipSpool(handle, main, options);
  }

  get bytesWritten(): number {
    return this.writer.bytesWritten;
  }

  write(chunk: string | Buffer): Promise<void> {
    return this.writer.write(chunk);
  }

  cut(): Promise<MemberStart> {
    return this.writer.cut();
  }

  async moveToMain(): Promise<{ dataOffset: number; gzipOffset: number }> {
    const uncompressed = await this.writer.finish();
    const landed = await this.main.appendMembers(this.readBack(), uncompressed);
    await this.handle.truncate(0);
    this.fileBytes = 0;
    this.writer = this.freshWriter();
    return landed;
  }

  async dispose(): Promise<void> {
    await this.handle.close();
  }

  private freshWriter(): GzipMemberWriter {
    return new GzipMemberWriter({ write: (member) => this.append(member) }, this.options);
  }

  private async append(member: Buffer): Promise<void> {
    let done = 0;
    while (done < member.length) {
      const { bytesWritten } = await this.handle.write(member, done, member.length - done, this.fileBytes + done);
      done += bytesWritten;
    }
    this.fileBytes += member.length;
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
