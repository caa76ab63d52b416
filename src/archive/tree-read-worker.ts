// The worker thread of tree-reader.ts: walks the tree and reads its small files (tree-read.ts), handing
// each batch to the main thread with its buffer transferred. The main thread sends each buffer back
// once the batch is packed (the tar writer copies what it keeps), to be filled again: a fresh 2 MiB
// buffer per batch made the garbage collector run several times as often. The walk waits while
// MAX_IN_FLIGHT batches are not packed yet, so memory stays bounded when the main thread falls behind.
// Asked for (on two cores: spare-cores.ts), the thread also counts the tree for the backup's size
// estimate (tree-count.ts), in turns with the reading (each walk lets the other run, and the count runs
// on while the reading waits for the packer): a thread of its own for it cost its start and a second
// compiled copy of the walk, and one more thread to share two cores with.
import { parentPort, workerData } from 'node:worker_threads';
import { InFlight } from './in-flight.js';
import { countTree, type TreeEstimate } from './tree-count.js';
import { readTreeBatches, SLAB, type TreeRecord } from './tree-read.js';
import { TreeRules, type TreeRulesOptions } from './tree-rules.js';
import type { FileIdentity } from './walk.js';

export interface TreeReadWorkerInput {
  root: string;
  rules: TreeRulesOptions;
  skip?: FileIdentity[];
  followMediaRoots?: boolean;
  /** The rules to count the tree with for the size estimate, if one is wanted. */
  estimateRules?: TreeRulesOptions;
}

/** Messages to the main thread; it answers each batch with its buffer (a PackedBatch). */
export type TreeReadWorkerMessage =
  | { type: 'batch'; records: TreeRecord[]; data: ArrayBuffer; length: number }
  | { type: 'done' }
  | { type: 'error'; message: string }
  | { type: 'estimate'; estimate: TreeEstimate }
  | { type: 'estimate-error'; message: string };

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
const errorText = (error: unknown) => (error as Error).message ?? String(error);

// The count starts with the reading and goes on after it if need be: the main thread waits for it
// before it stops this thread.
const estimateRules = input.estimateRules;
if (estimateRules) {
  void countTree(input.root, { rules: new TreeRules(estimateRules), skip: input.skip, followMediaRoots: input.followMediaRoots }).then(
    (estimate) => send({ type: 'estimate', estimate }),
    (error: unknown) => send({ type: 'estimate-error', message: errorText(error) }),
  );
}

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
  send({ type: 'error', message: errorText(error) });
}
