// Frames that store their data as it is (already-compressed media), built by hand in buffers that the
// frame writer hands back once written: going through a compression stream only to copy the bytes costs
// more than the copy (an object, a thread-pool job and a round trip per frame), and a new buffer per
// frame made the garbage collector run a full collection for about every 20 MB of media: a gzip System
// backup of the bench's shop tree at scale 0.15 (350 MB of images) ran 17 to 19 of them, with reused
// buffers 3 to 9, and took about half a second less CPU.
import type { FrameCompressor } from './codec.js';

/** How a codec stores data in one frame. */
export interface StoredFormat {
  /** The size of the frame that stores `length` bytes. */
  frameSize(length: number): number;
  /** Builds the frame storing `data` in `into` (which has room for it); returns the frame. */
  build(data: Buffer, into: Buffer): Buffer;
  /** What to wait for before the first frame, where the format needs setting up; undefined once ready. */
  ready?(): Promise<void> | undefined;
}

/** Buffers kept for the next frames: the frames in flight and a few more. */
const MAX_SPARE = 8;

export class StoredFrameCompressor implements FrameCompressor {
  private readonly spare: Buffer[] = [];

  constructor(
    private readonly format: StoredFormat,
    private readonly bufferSize: number,
  ) {}

  compress(data: Buffer): Buffer[] | Promise<Buffer[]> {
    const waiting = this.format.ready?.();
    return waiting ? waiting.then(() => this.build(data)) : this.build(data);
  }

  private build(data: Buffer): Buffer[] {
    const size = this.format.frameSize(data.length);
    const into = size > this.bufferSize ? Buffer.allocUnsafe(size) : (this.spare.pop() ?? Buffer.allocUnsafeSlow(this.bufferSize));
    return [this.format.build(data, into)];
  }

  recycle(piece: Buffer): void {
    // Only a piece cut from one of this compressor's own buffers (allocUnsafeSlow: a whole ArrayBuffer).
    if (piece.byteOffset === 0 && piece.buffer.byteLength === this.bufferSize && this.spare.length < MAX_SPARE) this.spare.push(Buffer.from(piece.buffer));
  }

  close(): void {
    this.spare.length = 0;
  }
}
