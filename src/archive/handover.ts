// A worker thread's fixed set of handover buffers: output is written into one of them until it is full,
// then the buffer is transferred to the main thread, which sends it back once done with it. A fixed set
// that goes back and forth leaves no garbage for either thread's collector (a fresh buffer per chunk let
// dead ones pile up to over 256 MiB on a rollback), and bounds how far the thread runs ahead: with every
// buffer on the main thread, it waits for one to come back.

export class Handover {
  private readonly free: ArrayBuffer[] = [];
  private made = 0;
  private current: Buffer | undefined;
  /** Bytes in the buffer being filled. */
  used = 0;

  /** Up to `count` buffers of `size` bytes, made as they are first needed. */
  constructor(
    readonly size: number,
    private readonly count: number,
  ) {}

  /** The buffer to fill (a free one taken when none is); undefined while all are with the main thread. */
  target(): Buffer | undefined {
    if (!this.current) {
      if (this.free.length === 0 && this.made < this.count) {
        this.free.push(new ArrayBuffer(this.size));
        this.made++;
      }
      const data = this.free.pop();
      if (!data) return undefined;
      this.current = Buffer.from(data);
    }
    return this.current;
  }

  /** Bytes left in the buffer being filled (a whole buffer's when none is taken yet). */
  get room(): number {
    return this.size - this.used;
  }

  /** The buffer being filled and how much of it is used, to transfer (undefined when it holds nothing); the next target() takes another. */
  take(): { data: ArrayBuffer; length: number } | undefined {
    if (!this.current || this.used === 0) return undefined;
    const taken = { data: this.current.buffer as ArrayBuffer, length: this.used };
    this.current = undefined;
    this.used = 0;
    return taken;
  }

  /** A buffer the main thread is done with. */
  back(data: ArrayBuffer): void {
    this.free.push(data);
  }
}

/** What a decompressor of node:zlib keeps inside, which node:zlib's own synchronous calls drive it by. */
interface HandDriven {
  _handle?: {
    writeSync?(flush: number, input: Buffer, inOff: number, inLen: number, output: Buffer, outOff: number, outLen: number): void;
    reset?(): void;
  };
  /** After a writeSync: the output room left, the input left. */
  _writeState?: Uint32Array;
  _defaultFlushFlag?: number;
  _finishFlushFlag?: number;
}

/** A node:zlib decompressor driven by hand: synchronous writes straight into the caller's buffers. */
export interface DrivenByHand {
  /** Decompresses input[inOff, +inLen) into output[outOff, +outLen); `state` says what is left; an error lands in the stream's `errored`. */
  write(flush: number, input: Buffer, inOff: number, inLen: number, output: Buffer, outOff: number, outLen: number): void;
  /** Ready for a new stream (a new zstd frame). */
  reset(): void;
  /** After a write: [output room left, input left]. */
  state: Uint32Array;
  /** The flush flags of a write with more input to come, and of the last one. */
  more: number;
  last: number;
}

/**
 * `stream` (a decompressor of node:zlib) driven as node:zlib's own gunzipSync and zstdDecompressSync
 * drive theirs, or undefined when this Node's decompressor lacks what that needs. Its errors are left
 * in `stream.errored` (read it right after each write); the stream is unusable after one.
 */
export function driveByHand(stream: object): DrivenByHand | undefined {
  const { _handle: handle, _writeState: state, _defaultFlushFlag: more, _finishFlushFlag: last } = stream as HandDriven;
  if (typeof handle?.writeSync !== 'function' || typeof handle.reset !== 'function' || !(state instanceof Uint32Array) || more === undefined || last === undefined) return undefined;
  return { write: handle.writeSync.bind(handle), reset: handle.reset.bind(handle), state, more, last };
}
