// What a compression is to Lifeboat: a codec. Archives are written as independent frames (for gzip,
// members) compressed in parallel and concatenated in order, so that the stock tool reads
// the whole file as one stream and a table or a member can be read alone from its frame's offset.
// Everything that differs between compressions is here; the frame writer, the spool, the readers and
// the file names work through this interface and know no codec by name.
import type { Transform } from 'node:stream';
import type { CompressionName } from '../../shared/types.js';

/** The level that stores data as it is (already-compressed media): gzip's level 0, whatever the codec. */
export const STORE_LEVEL = 0;

export interface Codec {
  /** As manifests record it and the settings take it. */
  readonly name: CompressionName;
  /** File-name extensions (no dot) of the archives Lifeboat writes: a database dump, a file-tree archive. */
  readonly extensions: { readonly db: string; readonly tree: string };
  /** Every extension this codec's archives are recognised by when read (Magento's `.gz` dumps too). */
  readonly readExtensions: { readonly db: readonly string[]; readonly tree: readonly string[] };
  /** The Content-Type of a download. */
  readonly mediaType: string;
  /**
   * Levels a user may choose (1 to `max`), the frame writer's default, and Lifeboat's defaults for SQL
   * dumps and for a tree's text (chosen by measurement: see the codec).
   */
  readonly levels: { readonly max: number; readonly default: number; readonly sql: number; readonly text: number };
  /** The bytes every frame Lifeboat writes starts with (a scan back for a frame's start looks for them). */
  readonly frameMagic: Buffer;
  /**
   * A compressor of independent frames at `level` (STORE_LEVEL stores the data as it is), used frame
   * after frame; `outputChunk` is the size of the buffers its output pieces are cut from.
   */
  compressor(level: number, outputChunk: number): FrameCompressor;
  /** A stream that decompresses concatenated frames, in chunks of up to 1 MiB. */
  createDecompressor(): Transform;
  /** Decompresses whole frames at once (a frame found by scanning back). */
  decompressSync(data: Buffer): Buffer;
  /** Whether an error came from the decompressor finding damaged data (rather than from a read). */
  isDataError(error: unknown): boolean;
}

/** Compresses frames one after another, keeping its compressor's state between them. */
export interface FrameCompressor {
  /**
   * One complete, independent frame holding `data`, as the pieces it came out in: built at once where
   * the codec can (a stored frame; `data` was copied), else compressed on the thread pool, and then
   * `data` must stay as it is until the promise settles.
   */
  compress(data: Buffer): Buffer[] | Promise<Buffer[]>;
  /**
   * Takes back a piece it made, once written, to build later frames in (where the frame writer's output
   * is done with a buffer when its write resolves: FrameOptions.reuseOutput).
   */
  recycle?(piece: Buffer): void;
  /** Frees the compressor; frames asked for after this fail. */
  close(): void;
}

/** The chunk size of decompressed output: 1 MiB, large enough that the consumer's per-chunk cost is small. */
export const DECOMPRESSED_CHUNK = 1 << 20;

/** The error code a zlib-family stream attached to an error, if any. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
