// The worker thread of an incremental backup's walk (content/walk-lines.ts): posts each batch to the
// main thread, which answers each one it has taken; the walk waits while MAX_IN_FLIGHT batches are not
// taken yet (in-flight.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { InFlight } from './in-flight.js';
import { walkLines } from './content/walk-lines.js';
import { TreeRules, type TreeRulesOptions } from './tree-rules.js';
import type { FileIdentity } from './walk.js';

export interface WalkLinesWorkerInput {
  root: string;
  rules: TreeRulesOptions;
  skip?: FileIdentity[];
  followMediaRoots?: boolean;
  batchRecords: number;
}

/** Messages to the main thread; it answers each batch with any message once it took it. */
export type WalkLinesWorkerMessage = { type: 'batch'; text: string } | { type: 'done' } | { type: 'error'; message: string };

const MAX_IN_FLIGHT = 8;

const port = parentPort;
if (!port) throw new Error('walk-lines-worker.js runs as a worker thread');
const input = workerData as WalkLinesWorkerInput;

const inFlight = new InFlight(MAX_IN_FLIGHT);
port.on('message', () => inFlight.answered());
const send = (message: WalkLinesWorkerMessage) => port.postMessage(message);

try {
  const options = { rules: new TreeRules(input.rules), skip: input.skip, followMediaRoots: input.followMediaRoots, batchRecords: input.batchRecords };
  await walkLines(input.root, options, async (text) => {
    send({ type: 'batch', text });
    await inFlight.sent();
  });
  send({ type: 'done' });
} catch (error) {
  send({ type: 'error', message: (error as Error).message ?? String(error) });
}
