// The buffers an incremental backup reads files into, used again once what was read is stored. A
// fresh buffer per file (or per window of a big file) became garbage as soon as its blobs were in a
// pack, and V8 collects such buffers only when the garbage outside its heap has grown by tens of
// MiB: at scale 1 a first backup's peak RSS was 245-256 MiB, of which about 30 MiB was that garbage
// (217-222 MiB when the main thread was made to collect every 100 ms). Here reads are cut one after
// the other from slabs of SLAB bytes; a slab is filled again once every region cut from it is
// released, and regions are released in about the order they were cut (blobs are compressed and
// written in order), so few slabs are ever in use.

/** A slab holds many small files, or one window of a file of up to SLAB bytes. */
export const SLAB = 4 << 20;
/** Slabs kept for reuse beyond those in use. */
const SPARE_SLABS = 2;

interface Slab {
  buffer: Buffer<ArrayBuffer>;
  /** Bytes cut from it since it was last empty. */
  used: number;
  /** Regions cut from it (and retains) not yet released. */
  users: number;
}

export class ReadBuffers {
  private current: Slab | undefined;
  private readonly spare: Slab[] = [];
  private readonly slabOf = new WeakMap<ArrayBuffer, Slab>();

  /**
   * `size` bytes to read into, held until `release` (once, and once per `retain`). A request bigger
   * than a slab gets a buffer of its own, left to the garbage collector.
   */
  take(size: number): Buffer {
    if (size > SLAB) return Buffer.allocUnsafeSlow(size);
    let slab = this.current;
    if (!slab || slab.used + size > SLAB) {
      if (slab) this.leave(slab);
      slab = this.current = this.spare.pop() ?? this.newSlab();
      slab.used = 0;
    }
    slab.users++;
    const region = slab.buffer.subarray(slab.used, slab.used + size);
    slab.used += size;
    return region;
  }

  /** One more hold on the region `bytes` is part of (each `retain` is ended by a `release`). */
  retain(bytes: Buffer): void {
    const slab = this.slabOf.get(bytes.buffer as ArrayBuffer);
    if (slab) slab.users++;
  }

  /** Ends a hold on the region `bytes` is part of: once none is left, its slab may be filled again. */
  release(bytes: Buffer): void {
    const slab = this.slabOf.get(bytes.buffer as ArrayBuffer);
    if (!slab || slab.users === 0) return;
    slab.users--;
    if (slab.users === 0 && slab !== this.current) this.recycle(slab);
  }

  /** The slab is no longer cut from: reused once its regions are released. */
  private leave(slab: Slab): void {
    this.current = undefined;
    if (slab.users === 0) this.recycle(slab);
  }

  private recycle(slab: Slab): void {
    if (this.spare.length < SPARE_SLABS) this.spare.push(slab);
    else this.slabOf.delete(slab.buffer.buffer);
  }

  private newSlab(): Slab {
    const slab: Slab = { buffer: Buffer.allocUnsafeSlow(SLAB), used: 0, users: 0 };
    this.slabOf.set(slab.buffer.buffer, slab);
    return slab;
  }
}
