// Gzip output made of independent members, compressed in parallel on libuv's thread pool and written
// in order. A file of concatenated members is a valid .gz (gzip -t, zcat, gunzip and the mysql client
// pipeline all read it); starting a member at each table lets one table be read without the rest.
import { promisify } from 'node:util';
import { gzip, constants as zlibConstants } from 'node:zlib';
import type { MemberStart, SqlSink } from '../shared/sinks.js';
import { canBuildStoredMembers, storedMember } from './stored-gzip.js';

const gzipAsync = promisify(gzip);

/** A write level meaning "the pending block's level": see GzipMemberWriter.write. */
export const SAME_LEVEL = 'same';

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
  /** The block being filled (data is copied in: callers may reuse their buffers once write resolves). */
  private current: Buffer | undefined;
  private pendingBytes = 0;
  /** Blocks whose compression has finished, to be filled again (fewer big allocations, less GC). */
  private readonly spareBlocks: Buffer[] = [];
  /** The compression level of the pending block. */
  private pendingLevel: number | undefined;
  private uncompressed = 0;
  private compressed = 0;
  /** Compressed over uncompressed size of the last compressed member, for sizing the next one's output. */
  private lastRatio = 1;
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
   * can be stored (level 0) while the text around it is compressed. `SAME_LEVEL` joins the pending
   * block whatever its level: small bits (tar headers, padding) between two stored files would
   * otherwise cost two tiny members each. The data is copied before the returned promise resolves, so
   * the caller may then fill its buffer again.
   */
  async write(chunk: string | Buffer, level?: number | typeof SAME_LEVEL): Promise<void> {
    this.throwIfFailed();
    if (chunk.length === 0) return;
    const wanted = level === SAME_LEVEL ? (this.pendingLevel ?? this.level) : (level ?? this.level);
    if (wanted !== this.pendingLevel) {
      await this.dispatch();
      this.pendingLevel = wanted;
    }
    let bytes: Buffer;
    if (typeof chunk === 'string') {
      // A string that surely fits (UTF-8 takes at most 3 bytes per UTF-16 unit) is encoded in place.
      const block = this.block();
      if (block.length - this.pendingBytes < chunk.length * 3) bytes = Buffer.from(chunk, 'utf8');
      else return this.filled(block.write(chunk, this.pendingBytes));
    } else {
      bytes = chunk;
    }
    for (let at = 0; at < bytes.length; ) {
      const copied = bytes.copy(this.block(), this.pendingBytes, at);
      at += copied;
      await this.filled(copied);
    }
  }

  private block(): Buffer {
    this.current ??= this.spareBlocks.pop() ?? Buffer.allocUnsafeSlow(this.blockSize);
    return this.current;
  }

  /** Accounts for `count` bytes just copied into the block, and hands a full block over. */
  private async filled(count: number): Promise<void> {
    this.pendingBytes += count;
    this.uncompressed += count;
    if (this.pendingBytes >= this.blockSize) await this.dispatch();
  }

  /**
   * Ends the current member. Resolves once its block is handed over (the same backpressure as write);
   * `gzipOffset` resolves later, when the members before it are written, so the caller can go on
   * writing meanwhile. A failure rejects it and also surfaces through the next write, cut or finish.
   */
  async cut(): Promise<MemberStart> {
    this.enqueue();
    const gzipOffset = this.tail.then(() => this.compressed);
    gzipOffset.catch(() => undefined); // handled: the failure is reported by the writer's next call
    await this.limitInFlight();
    return { gzipOffset };
  }

  /**
   * Appends complete gzip members compressed elsewhere (a parallel dump's spool), byte for byte, after a
   * cut; `uncompressedBytes` is what they hold. Resolves to the uncompressed and compressed offsets where
   * they start. Nothing else may write meanwhile.
   */
  async appendMembers(members: AsyncIterable<Buffer>, uncompressedBytes: number): Promise<{ dataOffset: number; gzipOffset: number }> {
    this.enqueue();
    await this.drain();
    const gzipOffset = this.compressed;
    const dataOffset = this.uncompressed;
    for await (const chunk of members) {
      await this.output.write(chunk);
      this.compressed += chunk.length;
    }
    this.uncompressed += uncompressedBytes;
    return { dataOffset, gzipOffset };
  }

  /** Compresses what is left and waits until every member is written. Returns the uncompressed size. */
  async finish(): Promise<number> {
    this.enqueue();
    await this.drain();
    return this.uncompressed;
  }

  private async dispatch(): Promise<void> {
    this.enqueue();
    await this.limitInFlight();
  }

  /** Starts compressing the pending block and queues its member behind the ones before it. */
  private enqueue(): void {
    const buffer = this.current;
    if (this.pendingBytes === 0 || !buffer) return;
    const level = this.pendingLevel ?? this.level;
    const block = buffer.subarray(0, this.pendingBytes);
    this.current = undefined;
    this.pendingBytes = 0;
    let compressing: Promise<Buffer>;
    if (level === 0 && canBuildStoredMembers) {
      compressing = Promise.resolve(storedMember(block));
      this.recycle(buffer);
    } else {
      compressing = gzipAsync(block, { level, strategy: zlibConstants.Z_DEFAULT_STRATEGY, chunkSize: this.outputSize(block.length) });
      // The thread pool reads the block until the member is done; only then can it be filled again.
      compressing.then(
        (member) => {
          this.lastRatio = member.length / block.length;
          this.recycle(buffer);
        },
        () => undefined,
      );
    }
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
  }

  /** Waits while more members than `concurrency` are being compressed or written. */
  private async limitInFlight(): Promise<void> {
    while (this.inFlight.length > this.concurrency) await this.inFlight.shift();
    this.throwIfFailed();
  }

  /**
   * zlib's output buffer for a member of `length` bytes. The member is a slice of it, which keeps the
   * whole buffer alive until written: sized like the last member (SQL and text shrink to a quarter) plus
   * room, instead of the whole block, members in flight hold and churn through a third of the memory.
   * An output that does not fit costs one more round trip to the thread pool; zlib's default 16 KiB
   * would cost 64 for a 1 MiB member. Never more than the block can grow to (stored data grows by a
   * few bytes per 64 KiB).
   */
  private outputSize(length: number): number {
    const whole = length + (length >> 8) + 1024;
    const guess = Math.ceil(length * this.lastRatio * 1.25) + (64 << 10);
    return Math.max(zlibConstants.Z_MIN_CHUNK, Math.min(whole, guess));
  }

  private recycle(buffer: Buffer): void {
    if (this.spareBlocks.length <= this.concurrency) this.spareBlocks.push(buffer);
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
