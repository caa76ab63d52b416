// Reading an archive file on a worker thread (archive-read-worker.ts): the reading, its sha256 and,
// when asked, the inflating happen there, and the main thread gets the bytes as an async iterable. On a
// tree rollback's main thread, which parses and checks every member and so sets the pace, the sha256
// alone was an eighth of its time, and zlib driven from there stalled whenever the parsing was busy.
import type { Writable } from 'node:stream';
import type { Codec } from './codec/codec.js';
import type { ArchiveReadWorkerInput, ArchiveReadWorkerMessage, TakenChunk } from './archive-read-worker.js';
import { Channel } from './channel.js';
import { SMALL_HEAP, startAhead, startWorker, stopWorker } from './worker-module.js';

export interface FileDigest {
  bytes: number;
  /** Unless the read was asked not to hash. */
  sha256?: string;
}

export interface ArchiveRead {
  /**
   * The file's bytes (decompressed when asked). A raw chunk's buffer goes back to be read into again once
   * the next chunk is asked for; an inflated chunk's (all 2 MiB but the last) once the one after the next
   * is: a consumer may hold on to what it got from the last two chunks only (readTar does: a header or a
   * small file spans two at most, and it asks for more only when done with what came before). A buffer
   * that went back is detached here: a view still held on it is empty, never overwritten. Throws a read
   * error, or the codec's (with its code: Codec.isDataError) for a damaged stream.
   */
  chunks: AsyncGenerator<Buffer>;
  /** Size (and sha256) of the file once all of it was read; rejects as `chunks` does. */
  digest: Promise<FileDigest>;
  /** Stops the reading (after a failure elsewhere); `chunks` ends. */
  close(): Promise<void>;
}

/** Starts readArchive's thread before it is needed (startAhead); the function returned stops it if unused. */
export const startArchiveReadAhead = () => startAhead('archive-read-worker', { resourceLimits: SMALL_HEAP });

/**
 * The size and sha256 of `file`, read on a worker thread that hands none of it over (a rollback that
 * inflates only some of the archive's frames still checks all of it: members-from-index.ts).
 */
export function digestArchive(file: string): Pick<ArchiveRead, 'digest' | 'close'> {
  const read = readArchive(file, { digestOnly: true });
  void read.digest.then(read.close, read.close); // the thread has nothing more to do
  return { digest: read.digest, close: read.close };
}

/** Reads `file` on a worker thread, decompressed with `decompress` when given, hashed unless `hash` is false. */
export function readArchive(file: string, options: { decompress?: Codec; hash?: boolean; asStream?: boolean; digestOnly?: boolean }): ArchiveRead {
  const inflate = options.decompress !== undefined;
  const input: ArchiveReadWorkerInput = {
    file,
    ...(options.decompress ? { codec: options.decompress.name } : {}),
    hash: options.hash ?? true,
    ...(options.asStream ? { asStream: true } : {}),
    ...(options.digestOnly ? { digestOnly: true } : {}),
  };
  const worker = startWorker('archive-read-worker', { workerData: input, resourceLimits: SMALL_HEAP });
  let settle: { resolve: (digest: FileDigest) => void; reject: (error: Error) => void } | undefined;
  const digest = new Promise<FileDigest>((resolve, reject) => (settle = { resolve, reject }));
  digest.catch(() => undefined); // the same failure reaches the reader of `chunks`
  const giveBack = (chunk: Buffer) => {
    const taken: TakenChunk = { data: chunk.buffer as ArrayBuffer };
    worker.postMessage(taken, [taken.data]);
  };
  let held: Buffer | undefined;
  const channel = new Channel<Buffer>((chunk) => {
    if (!inflate) return giveBack(chunk);
    if (held) giveBack(held);
    held = chunk;
  });
  const finish = (failure?: Error) => {
    channel.end(failure);
    if (failure) settle?.reject(failure);
  };
  worker.on('message', (message: ArchiveReadWorkerMessage) => {
    if (message.type === 'chunk') channel.push(Buffer.from(message.data, 0, message.length));
    else if (message.type === 'end') {
      settle?.resolve({ bytes: message.bytes, ...(message.sha256 ? { sha256: message.sha256 } : {}) });
      finish();
    } else finish(Object.assign(new Error(message.message), message.code ? { code: message.code } : {}));
  });
  worker.on('error', (error) => finish(error));
  worker.on('exit', (code) => finish(new Error(`the archive's reading thread stopped (exit code ${code})`)));
  // Its 'exit' listeners are removed by stopWorker alone: removed again after a first stop began, they
  // would take that stop's own.
  const close = async () => {
    finish(new Error('the archive was not read to its end'));
    await stopWorker(worker);
  };
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      yield* channel.take();
    } finally {
      await close();
    }
  }
  return { chunks: chunks(), digest, close };
}

/**
 * Writes the file into `into`, hashing it on the way, then ends it; a read error destroys `into` with
 * that error. Stops when `into` is destroyed.
 */
export function feedFileHashed(file: string, into: Writable): Promise<FileDigest> {
  const read = readArchive(file, {});
  into.once('close', () => void read.close());
  void (async () => {
    try {
      for await (const chunk of read.chunks) {
        if (into.destroyed) break;
        // The buffer is read into again once the stream has processed it (a zlib stream: inflated).
        await new Promise<void>((resolve, reject) => into.write(chunk, (error) => (error ? reject(error) : resolve())));
      }
      if (!into.destroyed) into.end();
    } catch (error) {
      if (!into.destroyed) into.destroy(error as Error);
    }
  })();
  return read.digest;
}
