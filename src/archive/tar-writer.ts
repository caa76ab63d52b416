// A streaming tar writer: members go out one after the other, file data in the chunks it is read in,
// so memory stays flat whatever the size of a file. The output is usually a FrameWriter; each data
// chunk can carry the compression level it deserves (already-compressed media at 0, text at 6).
import { SAME_LEVEL } from './codec/frame-writer.js';
import { BLOCK, encodeHeader, type TarHeader } from './tar-header.js';

/**
 * Where the tar stream goes. `level` is the compression level for the chunk (undefined: the output's
 * default). Headers and padding go at SAME_LEVEL (whatever the data around them gets): between two
 * stored media files they are stored too, which costs a few hundred bytes each and saves two members.
 * The chunk's buffer is reused once `write` resolves: an output that keeps it must copy it.
 */
export interface TarOutput {
  write(chunk: Buffer, level?: number | typeof SAME_LEVEL): Promise<void>;
}

/** How a file's body compared to the size announced in its header. */
export interface FileBodyResult {
  /** Bytes that were missing (the file shrank while read) and were written as zeros. */
  missing: number;
  /** True when the source had more bytes than announced (the file grew); the extra was left out. */
  truncated: boolean;
}

/** GNU tar writes archives in records of 20 blocks; readers expect nothing less. */
const RECORD = 20 * BLOCK;
const ZEROS = Buffer.alloc(1 << 16);
const WRITTEN: Promise<void> = Promise.resolve();

export class TarWriter {
  private offset = 0;
  private finished = false;
  /** Headers are encoded here: the output copies each chunk before its write resolves. */
  private readonly headerScratch = Buffer.allocUnsafe(4 * BLOCK);

  constructor(private readonly out: TarOutput) {}

  /** Bytes of tar written so far (uncompressed). */
  get bytesWritten(): number {
    return this.offset;
  }

  /**
   * Writes `chunk`; the offset counts it at once (every caller waits for the write before it asks for
   * bytesWritten). Not an async function: the output's own promise is returned, one promise per write.
   */
  private emit(chunk: Buffer, level: number | typeof SAME_LEVEL | undefined): Promise<void> {
    if (this.finished) return Promise.reject(new Error('TarWriter: write after finish()'));
    if (chunk.length === 0) return WRITTEN;
    this.offset += chunk.length;
    return this.out.write(chunk, level);
  }

  private async zeros(count: number, level: number | typeof SAME_LEVEL | undefined): Promise<void> {
    for (let left = count; left > 0; left -= ZEROS.length) await this.emit(ZEROS.subarray(0, Math.min(left, ZEROS.length)), level);
  }

  async addDirectory(header: Omit<TarHeader, 'type' | 'size'>): Promise<void> {
    await this.emit(encodeHeader({ ...header, type: 'dir', size: 0 }, this.headerScratch), SAME_LEVEL);
  }

  async addSymlink(header: Omit<TarHeader, 'type' | 'size'> & { linkname: string }): Promise<void> {
    await this.emit(encodeHeader({ ...header, type: 'symlink', size: 0 }, this.headerScratch), SAME_LEVEL);
  }

  /** A second (or later) name of a file already in the archive under `linkname`. */
  async addHardLink(header: Omit<TarHeader, 'type' | 'size'> & { linkname: string }): Promise<void> {
    await this.emit(encodeHeader({ ...header, type: 'hardlink', size: 0 }, this.headerScratch), SAME_LEVEL);
  }

  /**
   * A regular file of `header.size` bytes whose data is `body` (read whole) or comes from it in
   * chunks. Exactly `size` bytes are written whatever the source does: missing bytes become zeros,
   * extra bytes are left out (the result says which), so the archive stays well-formed when a file
   * changes while it is read.
   */
  async addFile(header: Omit<TarHeader, 'type'>, body: Buffer | AsyncIterable<Buffer>, level?: number): Promise<FileBodyResult> {
    await this.emit(encodeHeader({ ...header, type: 'file' }, this.headerScratch), SAME_LEVEL);
    let left = header.size;
    let truncated = false;
    if (left > 0 && Buffer.isBuffer(body)) {
      // Read whole (most files of a tree): no iterator and no promise per chunk.
      truncated = body.length > left;
      const chunk = truncated ? body.subarray(0, left) : body;
      await this.emit(chunk, level);
      left -= chunk.length;
    } else if (left > 0) {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (chunk.length > left) {
          await this.emit(chunk.subarray(0, left), level);
          left = 0;
          truncated = true;
          break;
        }
        await this.emit(chunk, level);
        left -= chunk.length;
        if (left === 0) break;
      }
    }
    const missing = left;
    if (missing > 0) await this.zeros(missing, level);
    const padding = (BLOCK - (header.size % BLOCK)) % BLOCK;
    if (padding > 0) await this.emit(ZEROS.subarray(0, padding), SAME_LEVEL);
    return { missing, truncated };
  }

  /** Writes the end-of-archive marker (two zero blocks) and pads to a whole record. */
  async finish(): Promise<void> {
    const end = this.offset + 2 * BLOCK;
    await this.zeros(2 * BLOCK + ((RECORD - (end % RECORD)) % RECORD), SAME_LEVEL);
    this.finished = true;
  }
}
