// The worker thread of tree-estimate.ts: walks the tree with the backup's rules and counts what the
// archive will hold.
import { parentPort, workerData } from 'node:worker_threads';
import type { TreeEstimate } from './tree-estimate.js';
import { compressionLevelFor, TreeRules, type TreeRulesOptions } from './tree-rules.js';
import { walkTree, type FileIdentity } from './walk.js';

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
  const estimate: TreeEstimate = { bytes: 0, storedBytes: 0, entries: 0 };
  const options = { rules: new TreeRules(input.rules), skip: input.skip, followMediaRoots: input.followMediaRoots, onWarning: () => undefined };
  await walkTree(input.root, options, async (entry) => {
    estimate.entries++;
    if (entry.kind !== 'file') return;
    const size = Number(entry.stats?.size ?? 0n); // files are lstat'ed: fileStats is not turned off here
    estimate.bytes += size;
    if (compressionLevelFor(entry.rel) === 0) estimate.storedBytes += size;
  });
  const message: TreeEstimateMessage = { type: 'estimate', estimate };
  port.postMessage(message);
} catch (error) {
  const message: TreeEstimateMessage = { type: 'error', message: (error as Error).message ?? String(error) };
  port.postMessage(message);
}
