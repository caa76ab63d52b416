// Streams as filter chains (after pgBackRest's filter groups): on its way out to a store or back in, an
// archive's bytes pass meters (size, sha256, progress), the cipher and the codec, always in the same
// order, composed here and nowhere else:
//   writing: plain archive -> [plain meter] -> [encrypt] -> [stored meter] -> the store
//   reading: stored bytes -> [stored meter] -> [decrypt] -> [plain meter] -> [decompress] -> the consumer
// Compressing is the frame writer's part, as a backup is written (codec/frame-writer.ts: frames need
// cuts and per-write levels, which a stream has not); what leaves the backup folder is then plain bytes
// here. Reading on a worker thread (archive-read.ts) is the same read chain, run off the main thread.
import { createHash, type Hash } from 'node:crypto';
import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import type { Codec } from './codec/codec.js';
import { createDecryptor, createEncryptor, type EncryptionSecret } from './encrypt.js';

/** Counts the bytes that pass, and hashes them when asked; read its results once the stream ended. */
export class Meter {
  bytes = 0;
  private readonly hash: Hash | undefined;
  private readonly onBytes: ((bytes: number) => void) | undefined;

  constructor(options: { sha256?: boolean; onBytes?: (bytes: number) => void } = {}) {
    this.hash = options.sha256 ? createHash('sha256') : undefined;
    this.onBytes = options.onBytes;
  }

  /** A pass-through stream that measures what goes through it (one per read or write). */
  stream(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, callback: TransformCallback) => {
        this.bytes += chunk.length;
        this.hash?.update(chunk);
        this.onBytes?.(this.bytes);
        callback(null, chunk);
      },
    });
  }

  /** The sha256 of what passed (once: the hash is finished by it). */
  sha256(): string {
    if (!this.hash) throw new Error('this meter was not asked to hash');
    return this.hash.digest('hex');
  }
}

export interface ReadChain {
  /** Measures the bytes as stored (encrypted, when they are). */
  stored?: Meter;
  decrypt?: EncryptionSecret;
  /** Measures the plain archive's bytes. */
  plain?: Meter;
  /** The archive's codec: the consumer gets the decompressed content. */
  decompress?: Codec;
}

export interface WriteChain {
  /** Measures the plain archive's bytes. */
  plain?: Meter;
  encrypt?: EncryptionSecret;
  /** Measures the bytes as they will be stored. */
  stored?: Meter;
}

type Source = Readable | AsyncIterable<Buffer> | Iterable<Buffer>;

/**
 * `source` through `filters`, as one stream. An error anywhere (the source's read, a damaged stream, a
 * failed authentication) destroys it with that error, which its reader gets; destroying it stops the
 * source too.
 */
function chained(source: Source, filters: Transform[]): Readable {
  const readable = source instanceof Readable ? source : Readable.from(source, { objectMode: false });
  if (filters.length === 0) return readable;
  // The callback sees the error the last stream is destroyed with: its reader is told.
  return pipeline(readable, ...(filters as [Transform]), () => undefined);
}

/** Stored bytes back to the plain archive or, with `decompress`, to its content. */
export function readChain(source: Source, chain: ReadChain): Readable {
  const filters: Transform[] = [];
  if (chain.stored) filters.push(chain.stored.stream());
  if (chain.decrypt) filters.push(createDecryptor(chain.decrypt));
  if (chain.plain) filters.push(chain.plain.stream());
  if (chain.decompress) filters.push(chain.decompress.createDecompressor());
  return chained(source, filters);
}

/** A plain archive's bytes on their way to a store: measured, encrypted when a secret is given, measured again. */
export async function writeChain(source: Source, chain: WriteChain): Promise<Readable> {
  const filters: Transform[] = [];
  if (chain.plain) filters.push(chain.plain.stream());
  if (chain.encrypt) filters.push(await createEncryptor(chain.encrypt));
  if (chain.stored) filters.push(chain.stored.stream());
  return chained(source, filters);
}
