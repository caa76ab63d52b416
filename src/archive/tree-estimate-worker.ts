// The worker thread of tree-estimate.ts: walks the tree with the backup's rules and counts what the
// archive will hold.
import { parentPort, workerData } from 'node:worker_threads';
import { countTree, type TreeEstimate } from './tree-count.js';
import { TreeRules, type TreeRulesOptions } from './tree-rules.js';
import type { FileIdentity } from './walk.js';

export interface TreeEstimateInput {
  root: string;
  rules: TreeRulesOptions;
  skip?: FileIdentity[];
  followMediaRoots?: boolean;
}

export type TreeEstimateMessage = { type: 'estimate'; estimate: TreeEstimate } | { type: 'error'; message: string };

const port = parentPort;
if (!port) throw new Error('tree-estimate-worker.js runs as a worker thread');
const input = workerData as TreeEstimateInput;

try {
  const estimate = await countTree(input.root, { rules: new TreeRules(input.rules), skip: input.skip, followMediaRoots: input.followMediaRoots });
  const message: TreeEstimateMessage = { type: 'estimate', estimate };
  port.postMessage(message);
} catch (error) {
  const message: TreeEstimateMessage = { type: 'error', message: (error as Error).message ?? String(error) };
  port.postMessage(message);
}
