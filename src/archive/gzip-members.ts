// Gzip output made of independent members, compressed in parallel on libuv's thread pool and written
// in order. A file of concatenated members is a valid .gz (gzip -t, zcat, gunzip and the mysql client
// pipeline all read it); starting a member at each table lets one table be read without the rest.
import { promisify } from 'node:util';
import { gzip, constants as zlibConstants } from 'node:zlib';
import type { SqlSink } from '../engines/engine.js';

const gzipAsync = promisify(gzip);

/** Where compressed bytes go (an AtomicFile, a hash, a test buffer). */
export interface ByteOutput {
  write(buffer: Buffer): Promise<void>;
}

export interface GzipMemberOptions {
  /** Uncompressed bytes per member (default 1 MiB). */
  blockSize?: number;
  /** zlib level 0-9 (default 6, as gzip); a write may ask for another level for its own block. */
  level?: number;
  /** Members being compressed at once (default 4, libuv's default pool size). */
  concurrency?: number;
}

export class GzipMemberWriter implements SqlSink {
  private readonly blockSize: number;
  private readonly level: number;
  private readonly concurrency: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The compression level of the pending block. */
  private pendingLevel: number | undefined;
  private uncompressed = 0;
  private compressed = 0;
  /** Write completions, oldest first; each resolves once its member is written. */
  private inFlight: Promise<void>[] = [];
  private tail: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly output: ByteOutput,
    options: GzipMemberOptions = {},
  ) {
    this.blockSize = options.blockSize ?? 1 << 20;
    this.level = options.level ?? 6;
    this.concurrency = options.concurrency ?? 4;
  }

  get bytesWritten(): number {
    return this.uncompressed;
  }

  /** Compressed bytes written to the output so far. */
  get compressedBytes(): number {
    return this.compressed;
  }

  /**
   * Appends data. `level` (0-9, default: the writer's level) is the compression level for this data:
   * data at another level than the pending block's starts a new member, so already-compressed media
   * can be stored (level 0) while the text around it is compressed.
   */
  async write(chunk: string | Buffer, level?: number): Promise<void> {
    this.throwIfFailed();
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (buffer.length === 0) return;
    const wanted = level ?? this.level;
    if (wanted !== this.pendingLevel) {
      await this.dispatch();
      this.pendingLevel = wanted;
    }
    this.pending.push(buffer);
    this.pendingBytes += buffer.length;
    this.uncompressed += buffer.length;
    if (this.pendingBytes >= this.blockSize) await this.dispatch();
  }

  async cut(): Promise<number> {
    await this.dispatch();
    await this.drain();
    return this.compressed;
  }

  /** Compresses what is left and waits until every member is written. Returns the uncompressed size. */
  async finish(): Promise<number> {
    await this.dispatch();
    await this.drain();
    return this.uncompressed;
  }

  private async dispatch(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const block = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    const level = this.pendingLevel ?? this.level;
    this.pending = [];
    this.pendingBytes = 0;
    const compressing = gzipAsync(block, { level, strategy: zlibConstants.Z_DEFAULT_STRATEGY });
    // Members are compressed concurrently but appended strictly in order.
    this.tail = this.tail.then(async () => {
      const member = await compressing;
      await this.output.write(member);
      this.compressed += member.length;
    });
    const written = this.tail.catch((error: unknown) => {
      this.failure ??= error;
    });
    this.inFlight.push(written);
    while (this.inFlight.length > this.concurrency) await this.inFlight.shift();
    this.throwIfFailed();
  }

  private async drain(): Promise<void> {
    await Promise.all(this.inFlight);
    this.inFlight = [];
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
