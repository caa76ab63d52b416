// What a tree will put in an archive, counted before it is read (for the free-space check of a backup):
// a walk as the backup's own, on a worker thread, so that its listing and lstat calls (about a second per
// 30 k files, a sixth of the main thread of a System backup of the bench's shop tree at scale 0.15) do
// not hold up the packing, which runs at the same time. On two cores a backup whose tree is read on a
// worker thread has that thread count it instead (TreeRead.estimate, spare-cores.ts).
import { SMALL_HEAP, startWorker } from './worker-module.js';
import type { TreeEstimate } from './tree-count.js';
import type { TreeRules } from './tree-rules.js';
import type { TreeEstimateInput, TreeEstimateMessage } from './tree-estimate-worker.js';
import type { FileIdentity } from './walk.js';

export type { TreeEstimate } from './tree-count.js';

export interface TreeEstimateOptions {
  rules: TreeRules;
  skip?: FileIdentity[];
  followMediaRoots?: boolean;
  signal?: AbortSignal;
}

/** Walks the tree as a backup would, counting only. */
export async function estimateTree(root: string, options: TreeEstimateOptions): Promise<TreeEstimate> {
  options.signal?.throwIfAborted();
  const input: TreeEstimateInput = { root, rules: options.rules.options, skip: options.skip, followMediaRoots: options.followMediaRoots };
  const worker = startWorker('tree-estimate-worker', { workerData: input, resourceLimits: SMALL_HEAP });
  const stop = () => void worker.terminate();
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    return await new Promise<TreeEstimate>((resolve, reject) => {
      worker.on('message', (message: TreeEstimateMessage) => (message.type === 'estimate' ? resolve(message.estimate) : reject(new Error(message.message))));
      worker.on('error', reject);
      worker.on('exit', (code) => reject(options.signal?.aborted ? options.signal.reason : new Error(`the tree estimate's thread stopped (exit code ${code})`)));
    });
  } finally {
    options.signal?.removeEventListener('abort', stop);
    stop();
  }
}
