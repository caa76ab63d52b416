// Reading blobs back: the place from the index, the stored bytes from the pack (a few pack files kept
// open), decompressed and checked against the blob's id on the thread pool.
import { readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { BlobIndex } from './blob-index.js';
import { BlobDamagedError, BlobDecoder, decodeNow } from './blob-codec.js';
import { packPathOf, type BlobPlace } from './store-layout.js';

/**
 * Pack files kept open. Readers keep at most a few dozen reads in flight (snapshot-tar.ts: 16), so the
 * least recently used of 64 is never one a read still uses.
 */
const OPEN_PACKS = 64;

/** Blobs of at most this many plain bytes may be read by readSmall on the calling thread. */
const SMALL_BLOB = 64 << 10;

const endsBefore = (packId: string, place: BlobPlace, got: number) =>
  new BlobDamagedError(`pack ${packId} ends before blob ${place.id} (at ${place.offset + got} of ${place.offset + place.length})`);

export class BlobReader {
  /** Open pack files, least recently used first. */
  private readonly handles = new Map<string, Promise<FileHandle>>();
  private readonly decoder = new BlobDecoder();

  constructor(
    private readonly storeDir: string,
    readonly index: BlobIndex,
  ) {}

  /** The plain bytes of blob `id`, checked; BlobDamagedError when missing or damaged. */
  async read(id: string): Promise<Buffer> {
    const { packId, place } = this.placeOf(id);
    return this.readAt(packId, place);
  }

  private placeOf(id: string): { packId: string; place: BlobPlace } {
    const found = this.index.find(id);
    if (!found) throw new BlobDamagedError(`blob ${id} is not in the incremental store's index`);
    return found;
  }

  /** A blob at a known place. */
  async readAt(packId: string, place: BlobPlace): Promise<Buffer> {
    const handle = await this.handle(packId);
    const stored = Buffer.allocUnsafe(place.length);
    let got = 0;
    while (got < place.length) {
      const { bytesRead } = await handle.read(stored, got, place.length - got, place.offset + got);
      if (bytesRead === 0) throw endsBefore(packId, place, got);
      got += bytesRead;
    }
    return this.decoder.decode(place.id, stored, place.zstd, place.size);
  }

  /**
   * The same for a small blob, read and decompressed on this thread (a listing's blobs, a few KiB each):
   * for hundreds of them that took a third of the time of a read through the thread pool each, and
   * never waits on a pool busy with the files. Bigger blobs go the usual way.
   */
  async readSmall(id: string): Promise<Buffer> {
    const { packId, place } = this.placeOf(id);
    return this.readSmallAt(packId, place);
  }

  /** readSmall of a blob at a known place. */
  async readSmallAt(packId: string, place: BlobPlace): Promise<Buffer> {
    if (place.size > SMALL_BLOB) return this.readAt(packId, place);
    const handle = await this.handle(packId);
    // A compressed blob's stored bytes are done with once decompressed, in this same synchronous step:
    // read into one reused buffer, they leave the collector no garbage.
    const stored = place.zstd ? this.scratchOf(place.length) : Buffer.allocUnsafe(place.length);
    const got = readSync(handle.fd, stored, 0, place.length, place.offset);
    if (got < place.length) throw endsBefore(packId, place, got);
    return decodeNow(place.id, stored, place.zstd, place.size);
  }

  private scratch = Buffer.alloc(0);

  /** The reused buffer, `length` bytes of it. */
  private scratchOf(length: number): Buffer {
    if (this.scratch.length < length) this.scratch = Buffer.allocUnsafeSlow(Math.max(length, 2 * this.scratch.length, 64 << 10));
    return this.scratch.subarray(0, length);
  }

  private handle(packId: string): Promise<FileHandle> {
    let handle = this.handles.get(packId);
    if (handle) {
      this.handles.delete(packId); // to the end: most recently used
    } else {
      handle = open(packPathOf(this.storeDir, packId), 'r').catch((error: NodeJS.ErrnoException) => {
        this.handles.delete(packId);
        throw error.code === 'ENOENT' ? new BlobDamagedError(`pack ${packId} of the incremental store is missing`) : error;
      });
      handle.catch(() => undefined);
      if (this.handles.size >= OPEN_PACKS) {
        const [oldest, closing] = this.handles.entries().next().value as [string, Promise<FileHandle>];
        this.handles.delete(oldest);
        void closing.then((h) => h.close()).catch(() => undefined);
      }
    }
    this.handles.set(packId, handle);
    return handle;
  }

  async close(): Promise<void> {
    const all = [...this.handles.values()];
    this.handles.clear();
    this.decoder.close();
    await Promise.allSettled(all.map(async (h) => (await h).close()));
  }
}
