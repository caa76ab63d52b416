// A codec's output made of independent frames (gzip's are members), compressed in parallel on libuv's
// thread pool and written in order. A file of concatenated frames is one valid stream for the codec's
// stock tools (gzip -t, zcat, and the mysql client pipeline read it whole); starting a frame at each
// table lets one table be read without the rest.
import type { FrameStart, SqlSink } from '../../shared/sinks.js';
import type { Codec, FrameCompressor } from './codec.js';
import type { FrameTable } from './frame-table.js';

/** A write level meaning "the pending block's level": see FrameWriter.write. */
export const SAME_LEVEL = 'same';

/** What a write that needed no waiting returns: no async function's promise and state per call. */
const WRITTEN: Promise<void> = Promise.resolve();

/** Where compressed bytes go (an AtomicFile, a hash, a test buffer). */
export interface ByteOutput {
  write(buffer: Buffer): Promise<void>;
}

export interface FrameOptions {
  /** Uncompressed bytes per frame (default 1 MiB). */
  blockSize?: number;
  /** The codec's level (default: the codec's default); a write may ask for another level for its own block. */
  level?: number;
  /** Frames being compressed at once (default 4, libuv's default pool size). */
  concurrency?: number;
  /**
   * The output is done with a buffer once its write resolves (an AtomicFile): the compressors may then
   * build later frames in it (FrameCompressor.recycle). Not for outputs that keep what they are given.
   */
  reuseOutput?: boolean;
  /** Records where every frame starts (a tree archive's file index says where each file can be read from). */
  table?: FrameTable;
}

export class FrameWriter implements SqlSink {
  private readonly blockSize: number;
  private readonly level: number;
  private readonly concurrency: number;
  private readonly reuseOutput: boolean;
  private readonly table: FrameTable | undefined;
  /** The block being filled (data is copied in: callers may reuse their buffers once write resolves). */
  private current: Buffer | undefined;
  private pendingBytes = 0;
  /** Blocks whose compression has finished, to be filled again (fewer big allocations, less GC). */
  private readonly spareBlocks: Buffer[] = [];
  /** The compression level of the pending block. */
  private pendingLevel: number | undefined;
  private uncompressed = 0;
  private compressed = 0;
  /** Per level, up to `concurrency` compressors, given frames in turn (each compresses one frame at a time). */
  private readonly compressors = new Map<number, FrameCompressor[]>();
  private turn = 0;
  /** Write completions, oldest first; each resolves once its frame is written. */
  private inFlight: Promise<void>[] = [];
  private tail: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly output: ByteOutput,
    readonly codec: Codec,
    options: FrameOptions = {},
  ) {
    this.blockSize = options.blockSize ?? 1 << 20;
    this.level = options.level ?? codec.levels.default;
    this.concurrency = options.concurrency ?? 4;
    this.reuseOutput = options.reuseOutput === true;
    this.table = options.table;
  }

  get bytesWritten(): number {
    return this.uncompressed;
  }

  /** Compressed bytes written to the output so far. */
  get compressedBytes(): number {
    return this.compressed;
  }

  /**
   * Appends data. `level` (the codec's, default: the writer's level) is the compression level for this
   * data: data at another level than the pending block's starts a new frame, so already-compressed media
   * can be stored (STORE_LEVEL) while the text around it is compressed. `SAME_LEVEL` joins the pending
   * block whatever its level: small bits (tar headers, padding) between two stored files would
   * otherwise cost two tiny frames each. The data is copied before the returned promise resolves, so
   * the caller may then fill its buffer again.
   *
   * A buffer that fits the pending block at its level is copied at once and a settled promise returned:
   * a tree's headers, paddings and small files are most writes, and an async call each (its promise,
   * its state, the caller's await of it) was a fifth of what a System backup's main thread allocated.
   */
  write(chunk: string | Buffer, level?: number | typeof SAME_LEVEL): Promise<void> {
    if (this.failure === undefined && typeof chunk !== 'string') {
      const wanted = level === SAME_LEVEL ? (this.pendingLevel ?? this.level) : (level ?? this.level);
      if (wanted === this.pendingLevel && this.pendingBytes + chunk.length < this.blockSize) {
        chunk.copy(this.block(), this.pendingBytes);
        this.pendingBytes += chunk.length;
        this.uncompressed += chunk.length;
        return WRITTEN;
      }
    }
    return this.writeWaiting(chunk, level);
  }

  /** write() for a chunk that may fill a block, change the level or meet a failure. */
  private async writeWaiting(chunk: string | Buffer, level?: number | typeof SAME_LEVEL): Promise<void> {
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
   * Ends the current frame. Resolves once its block is handed over (the same backpressure as write);
   * `frameOffset` resolves later, when the frames before it are written, so the caller can go on
   * writing meanwhile. A failure rejects it and also surfaces through the next write, cut or finish.
   */
  async cut(): Promise<FrameStart> {
    this.enqueue();
    const frameOffset = this.tail.then(() => this.compressed);
    frameOffset.catch(() => undefined); // handled: the failure is reported by the writer's next call
    await this.limitInFlight();
    return { frameOffset };
  }

  /**
   * Appends complete frames of this codec compressed elsewhere (a parallel dump's spool), byte for byte,
   * after a cut; `uncompressedBytes` is what they hold. Resolves to the uncompressed and compressed
   * offsets where they start. Nothing else may write meanwhile.
   */
  async appendFrames(frames: AsyncIterable<Buffer>, uncompressedBytes: number): Promise<{ dataOffset: number; frameOffset: number }> {
    this.enqueue();
    await this.drain();
    const frameOffset = this.compressed;
    const dataOffset = this.uncompressed;
    // The appended frames go into the table as one: a reader inflates them from the first on.
    this.table?.frameStarted(dataOffset, uncompressedBytes);
    this.table?.frameWritten(frameOffset);
    for await (const chunk of frames) {
      await this.output.write(chunk);
      this.compressed += chunk.length;
    }
    this.uncompressed += uncompressedBytes;
    return { dataOffset, frameOffset };
  }

  /** Compresses what is left and waits until every frame is written. Returns the uncompressed size. */
  async finish(): Promise<number> {
    this.enqueue();
    await this.drain();
    this.close();
    return this.uncompressed;
  }

  /**
   * Frees the compressors once the frames in flight have settled (closing a zlib stream in the middle of
   * a frame leaves that frame's promise unsettled for good): for a writer given up on midway.
   */
  async abandon(): Promise<void> {
    await Promise.allSettled(this.inFlight);
    this.close();
  }

  /** Frees the compressors (finish does). */
  close(): void {
    for (const compressors of this.compressors.values()) for (const compressor of compressors) compressor.close();
    this.compressors.clear();
  }

  private async dispatch(): Promise<void> {
    this.enqueue();
    await this.limitInFlight();
  }

  /** Starts compressing the pending block and queues its frame behind the ones before it. */
  private enqueue(): void {
    const buffer = this.current;
    if (this.pendingBytes === 0 || !buffer) return;
    const level = this.pendingLevel ?? this.level;
    const block = buffer.subarray(0, this.pendingBytes);
    this.table?.frameStarted(this.uncompressed - block.length, block.length);
    this.current = undefined;
    this.pendingBytes = 0;
    let compressing: Promise<Buffer[]>;
    const compressor = this.compressorFor(level);
    const made = compressor.compress(block);
    if (Array.isArray(made)) {
      // Built at once (a stored frame): the block was copied and can be filled again.
      compressing = Promise.resolve(made);
      this.recycle(buffer);
    } else {
      compressing = made;
      // The thread pool reads the block until the frame is done; only then can it be filled again.
      compressing.then(() => this.recycle(buffer), () => undefined);
    }
    // Frames are compressed concurrently but appended strictly in order.
    this.tail = this.tail.then(async () => {
      const pieces = await compressing;
      this.table?.frameWritten(this.compressed);
      for (const piece of pieces) {
        await this.output.write(piece);
        this.compressed += piece.length;
        if (this.reuseOutput) compressor.recycle?.(piece);
      }
    });
    const written = this.tail.catch((error: unknown) => {
      this.failure ??= error;
    });
    this.inFlight.push(written);
  }

  /** Waits while more frames than `concurrency` are being compressed or written. */
  private async limitInFlight(): Promise<void> {
    while (this.inFlight.length > this.concurrency) await this.inFlight.shift();
    this.throwIfFailed();
  }

  private compressorFor(level: number): FrameCompressor {
    let compressors = this.compressors.get(level);
    if (!compressors) this.compressors.set(level, (compressors = []));
    if (compressors.length < this.concurrency) {
      // Output pieces are cut from buffers of a whole block's size (and what stored data grows by), so
      // a frame comes out in one piece, and the pieces of small frames share a buffer.
      const compressor = this.codec.compressor(level, this.blockSize + (this.blockSize >> 8) + 1024);
      compressors.push(compressor);
      return compressor;
    }
    return compressors[this.turn++ % compressors.length];
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
