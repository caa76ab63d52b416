// A frame compressor over one long-lived zlib-family stream whose every write is flushed to the end of
// a frame (zlib's Z_FINISH, zstd's ZSTD_e_end), so each write comes out as one complete, independent
// frame. The compressor's state is set up once, not once per frame: Node's one-shot calls (zlib.gzip,
// zlib.zstdCompress) build a new compressor per call on the main thread and then join the frame's
// output pieces with a copy; in a profile of a 500 MiB System backup with zstd, those two were a fifth
// of the main thread's work. Frames go through the stream one at a time, in order.
import type { Transform } from 'node:stream';
import type { FrameCompressor } from './codec.js';

export class StreamFrameCompressor implements FrameCompressor {
  /** The pieces of the frame being compressed, as the stream emits them. */
  private pieces: Buffer[] = [];
  private previous: Promise<unknown> = Promise.resolve();
  /** Fails the frame being compressed: a stream may report an error only as an event, never calling back. */
  private failFrame: ((error: Error) => void) | undefined;

  /** `afterFrame` readies the stream for the next frame, where the stream needs it (zlib's reset). */
  constructor(
    private readonly stream: Transform & { close(): void },
    private readonly afterFrame?: () => void,
  ) {
    stream.on('data', (piece: Buffer) => this.pieces.push(piece));
    // A failure usually reaches the write's callback too; where it comes only as an event (zlib's zstd
    // streams can do that), the frame fails here instead of waiting for ever. The event must not throw.
    stream.on('error', (error: Error) => this.failFrame?.(error));
  }

  compress(data: Buffer): Promise<Buffer[]> {
    const frame = this.previous.then(() => this.writeFrame(data));
    this.previous = frame.catch(() => undefined);
    return frame;
  }

  close(): void {
    this.stream.close();
  }

  private writeFrame(data: Buffer): Promise<Buffer[]> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (error: Error | null | undefined) => {
        if (settled) return;
        settled = true;
        this.failFrame = undefined;
        const pieces = this.pieces;
        this.pieces = [];
        if (error) return reject(error);
        this.afterFrame?.();
        resolve(pieces);
      };
      this.failFrame = settle;
      // The write's callback runs once the stream has compressed all of `data` and emitted its pieces.
      this.stream.write(data, settle);
    });
  }
}
