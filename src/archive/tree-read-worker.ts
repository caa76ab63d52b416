// The worker thread of tree-reader.ts: walks the tree and reads its small files (tree-read.ts), handing
// each batch to the main thread with its buffer transferred. The main thread sends each buffer back
// once the batch is packed (the tar writer copies what it keeps), to be filled again: a fresh 2 MiB
// buffer per batch made the garbage collector run several times as often. The walk waits while
// MAX_IN_FLIGHT batches are not packed yet, so memory stays bounded when the main thread falls behind.
import { parentPort, workerData } from 'node:worker_threads';
import { InFlight } from './in-flight.js';
import { readTreeBatches, SLAB, type TreeRecord } from './tree-read.js';
import { TreeRules, type TreeRulesOptions } from './tree-rules.js';
import type { FileIdentity } from './walk.js';

export interface TreeReadWorkerInput {
  root: string;
  rules: TreeRulesOptions;
  skip?: FileIdentity[];
  followMediaRoots?: boolean;
}

/** Messages to the main thread; it answers each batch with its buffer (a PackedBatch). */
export type TreeReadWorkerMessage =
  | { type: 'batch'; records: TreeRecord[]; data: ArrayBuffer; length: number }
  | { type: 'done' }
  | { type: 'error'; message: string };

/** The main thread's answer to a batch: its buffer, free to be filled again. */
export interface PackedBatch {
  data: ArrayBuffer;
}

const MAX_IN_FLIGHT = 4;

const port = parentPort;
if (!port) throw new Error('tree-read-worker.js runs as a worker thread');
const input = workerData as TreeReadWorkerInput;

const inFlight = new InFlight(MAX_IN_FLIGHT);
const spareSlabs: Buffer[] = [];
port.on('message', ({ data }: PackedBatch) => {
  if (data.byteLength === SLAB) spareSlabs.push(Buffer.from(data));
  inFlight.answered();
});
const takeSlab = () => spareSlabs.pop() ?? Buffer.allocUnsafeSlow(SLAB);

const send = (message: TreeReadWorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

try {
  const rules = new TreeRules(input.rules);
  const options = { rules, skip: input.skip, followMediaRoots: input.followMediaRoots };
  const emit = async ({ records, data }: { records: TreeRecord[]; data: Buffer }) => {
    // The batch's buffer is a whole ArrayBuffer of its own (allocUnsafeSlow), so it can be handed over.
    const whole = data.buffer as ArrayBuffer;
    send({ type: 'batch', records, data: whole, length: data.length }, [whole]);
    await inFlight.sent();
  };
  await readTreeBatches(input.root, options, emit, takeSlab);
  send({ type: 'done' });
} catch (error) {
  send({ type: 'error', message: (error as Error).message ?? String(error) });
}
