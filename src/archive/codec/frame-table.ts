// Where each frame of an archive being written starts, uncompressed and compressed, so that a position
// in the uncompressed stream (a tar member's header) can be turned into the compressed offset of the
// frame holding it and the position inside that frame: a reader then seeks there and inflates from
// that frame on (file-index.ts records this for every file). A frame's uncompressed start is known when
// it is handed to a compressor; its compressed start only once the frames before it are written, as
// frames are compressed in parallel but written in order.
import { grown } from '../grown-array.js';

/** Where a position of the uncompressed stream can be read from. */
export interface FrameLocation {
  /** The compressed offset of the frame (gzip member, zstd frame) that holds it. */
  frame: number;
  /** Its position in that frame's uncompressed bytes. */
  within: number;
}

export class FrameTable {
  /** Uncompressed start of frame i; the first `started` are set. */
  private uncompressed = new Float64Array(1024);
  /** Compressed start of frame i; the first `written` are set. */
  private compressed = new Float64Array(1024);
  private started = 0;
  private written = 0;
  /** Where the last started frame ends (uncompressed). */
  private end = 0;

  /** A frame of `length` uncompressed bytes from `start` was handed to a compressor. */
  frameStarted(start: number, length: number): void {
    if (this.started === this.uncompressed.length) this.uncompressed = grown(this.uncompressed, this.started * 2);
    this.uncompressed[this.started++] = start;
    this.end = start + length;
  }

  /** The next frame (in order) starts at compressed offset `offset` of the output. */
  frameWritten(offset: number): void {
    if (this.written === this.compressed.length) this.compressed = grown(this.compressed, this.written * 2);
    this.compressed[this.written++] = offset;
  }

  /** Where the uncompressed `position` can be read from; undefined until its frame's start is written. */
  locate(position: number): FrameLocation | undefined {
    if (position >= this.end || this.written === 0) return undefined;
    // The last frame that starts at or before the position.
    let low = 0;
    let high = this.started - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.uncompressed[middle] <= position) low = middle;
      else high = middle - 1;
    }
    if (low >= this.written) return undefined;
    return { frame: this.compressed[low], within: position - this.uncompressed[low] };
  }
}
