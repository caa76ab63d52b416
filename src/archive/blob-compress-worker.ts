// The worker thread of the blob compressor (content/blob-compressor.ts): compresses a batch of blobs,
// each into one zstd frame with its content size and checksum, and sends the frames back in one buffer.
// A blob that zstd does not make smaller comes back as length -1 (it is stored as it is).
import { parentPort, workerData } from 'node:worker_threads';
import { zstd } from './codec/zstd.js';

/** zstd streams compressing at once, on the thread pool: one per core. */
const LANES = 2;

export interface CompressBatch {
  id: number;
  /** The batch's plain blobs back to back, and each one's length. */
  data: ArrayBuffer;
  lengths: number[];
}

export type CompressReply = CompressedBatch | { id: number; error: string };

export interface CompressedBatch {
  id: number;
  /** The request's buffer, handed back to be filled again. */
  spent: ArrayBuffer;
  /** The frames back to back, and each one's length (-1: the blob is stored as it is). */
  data: ArrayBuffer;
  lengths: number[];
}

const port = parentPort;
if (!port) throw new Error('blob-compress-worker.js runs as a worker thread');
const level = (workerData as { level: number }).level;
// Long-lived zstd streams, a frame per write: a one-shot zstdCompressSync per blob builds a compressor
// and an output buffer each time, and left so much for the garbage collector that this thread's memory
// grew by about 50 MiB. Each write is a handover to the thread pool, paid here, not by the reader.
const lanes = Array.from({ length: LANES }, () => ({ compressor: zstd.compressor(level, 256 << 10), waiting: 0 }));

async function compress(plain: Uint8Array): Promise<Buffer | undefined> {
  const lane = lanes.reduce((a, b) => (b.waiting < a.waiting ? b : a));
  lane.waiting++;
  try {
    const pieces = await lane.compressor.compress(Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength));
    const length = pieces.reduce((sum, piece) => sum + piece.length, 0);
    return length < plain.length ? (pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, length)) : undefined;
  } finally {
    lane.waiting--;
  }
}

port.on('message', ({ id, data, lengths }: CompressBatch) => {
  const blobs: Uint8Array[] = [];
  for (let at = 0, i = 0; i < lengths.length; at += lengths[i], i++) blobs.push(new Uint8Array(data, at, lengths[i]));
  void Promise.all(blobs.map(compress)).then(
    (frames) => {
      let total = 0;
      for (const frame of frames) total += frame?.length ?? 0;
      // A buffer of its own (not a slice of a shared pool), so that it can be handed over.
      const out = Buffer.allocUnsafeSlow(total);
      let at = 0;
      for (const frame of frames) at += frame ? frame.copy(out, at) : 0;
      const reply: CompressedBatch = { id, spent: data, data: out.buffer as ArrayBuffer, lengths: frames.map((frame) => frame?.length ?? -1) };
      port.postMessage(reply, [data, reply.data]);
    },
    (error: unknown) => port.postMessage({ id, error: (error as Error).message } satisfies CompressReply),
  );
});
