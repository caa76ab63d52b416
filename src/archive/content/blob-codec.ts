// A blob as it is stored: its id is the sha256 of its plain bytes; its stored bytes are one zstd frame
// (with zstd's content checksum) or the plain bytes themselves, for already-compressed media and for
// anything zstd does not make smaller. Compressing runs on a worker thread (blob-compressor.ts),
// decompressing on libuv's thread pool (zlib's zstd streams), so the thread that reads and chunks files,
// or parses the tar stream, keeps going.
import { hash } from 'node:crypto';
import { createZstdDecompress, zstdDecompressSync } from 'node:zlib';

/** Streams decompressing at once: libuv's pool has 4 threads, and the hashing needs some too. */
const DECOMPRESSING_LANES = 3;

export interface EncodedBlob {
  /** The bytes that go into a pack. */
  stored: Buffer;
  /** True when `stored` is a zstd frame, false when it is the plain bytes. */
  zstd: boolean;
}

/**
 * The blob id of `plain`: its sha256, in hex. Hashed here, synchronously: WebCrypto's digest looks
 * asynchronous but spent more of the calling thread's time per MiB (copying the data for the job) than
 * hashing it does (0.7 ms per MiB). One call (crypto.hash), without a Hash object per blob.
 */
export function blobId(plain: Uint8Array): string {
  return hash('sha256', plain, 'hex');
}

/** One long-lived zstd decompressing stream: each write is one whole frame, and its output is that frame's content. */
class FrameDecoder {
  private stream = this.open();
  private pieces: Buffer[] = [];
  private previous: Promise<unknown> = Promise.resolve();
  /** The frame being decoded: how to fail it when the stream reports an error. */
  private failCurrent: ((error: Error) => void) | undefined;
  waiting = 0;

  private open() {
    const stream = createZstdDecompress({ chunkSize: 256 << 10 });
    stream.on('data', (piece: Buffer) => this.pieces.push(piece));
    // A damaged frame (a wrong checksum, a corrupt block) is reported here only: the write's callback
    // never comes. The stream is unusable after it.
    stream.on('error', (error: Error) => this.failCurrent?.(error));
    return stream;
  }

  /** A new stream for the next frame, after a damaged or cut-off one. */
  private reset(): void {
    this.stream.destroy();
    this.stream = this.open();
    this.pieces = [];
  }

  /** The content of `frame`, which should be `size` bytes. */
  decode(frame: Buffer, size: number): Promise<Buffer> {
    const done = this.previous.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          let settled = false;
          this.failCurrent = (error) => {
            if (settled) return;
            settled = true;
            this.failCurrent = undefined;
            this.reset();
            reject(error);
          };
          this.stream.write(frame, (error) => {
            if (settled) return;
            if (error) return this.failCurrent?.(error);
            settled = true;
            this.failCurrent = undefined;
            const pieces = this.pieces;
            this.pieces = [];
            const plain = pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
            if (plain.length !== size) this.reset(); // a cut-off frame leaves the stream waiting for its rest
            resolve(plain);
          });
        }),
    );
    this.previous = done.catch(() => undefined);
    return done;
  }

  close(): void {
    this.stream.close();
  }
}

/**
 * Decodes stored blobs and checks them against their ids: zstd frames on a few long-lived streams (a
 * one-shot zstdDecompress builds a decompressor per call, which for ten thousand small blobs took three
 * times as long, most of it the system's), the sha256 here.
 */
export class BlobDecoder {
  private readonly lanes = Array.from({ length: DECOMPRESSING_LANES }, () => new FrameDecoder());

  /** A blob's plain bytes from its stored ones, checked against its id (and its size). */
  async decode(id: string, stored: Buffer, zstd: boolean, size: number): Promise<Buffer> {
    let plain = stored;
    if (zstd) {
      const lane = this.lanes.reduce((a, b) => (b.waiting < a.waiting ? b : a));
      lane.waiting++;
      try {
        plain = await lane.decode(stored, size);
      } catch (error) {
        throw undecompressable(id, error);
      } finally {
        lane.waiting--;
      }
    }
    return checkedPlain(id, plain, size);
  }

  close(): void {
    for (const lane of this.lanes) lane.close();
  }
}

/** The same check and decoding as BlobDecoder's, on the calling thread (for small blobs: see BlobReader.readSmall). */
export function decodeNow(id: string, stored: Buffer, zstd: boolean, size: number): Buffer {
  let plain = stored;
  if (zstd) {
    try {
      plain = zstdDecompressSync(stored, { maxOutputLength: Math.max(size, 1) });
    } catch (error) {
      throw undecompressable(id, error);
    }
  }
  return checkedPlain(id, plain, size);
}

export const undecompressable = (id: string, error: unknown) => new BlobDamagedError(`blob ${id} cannot be decompressed (${(error as Error).message})`);

/** `plain`, when it is blob `id` (its size and sha256); a BlobDamagedError otherwise. */
export function checkedPlain(id: string, plain: Buffer, size: number): Buffer {
  if (plain.length !== size) throw new BlobDamagedError(`blob ${id} has ${plain.length} bytes, the index says ${size}`);
  if (blobId(plain) !== id) throw new BlobDamagedError(`blob ${id} does not match its sha256`);
  return plain;
}

/** Stored data that does not match its id, or cannot be decompressed. */
export class BlobDamagedError extends Error {
  override name = 'BlobDamagedError';
}
