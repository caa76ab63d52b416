// The batches of tree-read.ts as an async iterable for the packer: read on a worker thread, so that the
// walk and the reads overlap with the tar and gzip work of the main thread (a System backup's main
// thread was its bottleneck, a third of it in those system calls); or on this thread when a test hook
// must run before each file is opened.
import { Channel, producedHere } from './channel.js';
import type { TreeEstimate } from './tree-count.js';
import { readTreeBatches, type TreeBatch, type TreeReadOptions } from './tree-read.js';
import type { PackedBatch, TreeReadWorkerInput, TreeReadWorkerMessage } from './tree-read-worker.js';
import type { TreeRules } from './tree-rules.js';
import { startWorker } from './worker-module.js';

/** A tree being read in batches: iterated once, or closed unread. */
export interface TreeRead extends AsyncIterable<TreeBatch> {
  /** Stops the reading (needed only when it is not iterated to its end). */
  close(): Promise<void>;
  /**
   * The tree counted with the rules given to startTreeRead, on the reading's thread; undefined once
   * the reading stopped before the count was done (a failure the reading reports). Absent where the
   * reading cannot count (on the calling thread): the caller counts on a thread of its own.
   */
  estimate?: Promise<TreeEstimate | undefined>;
}

/** Settles once `signal` is aborted (never without one). */
const aborted = (signal: AbortSignal | undefined) => new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));

function onWorker(root: string, options: TreeReadOptions, estimateRules: TreeRules | undefined): TreeRead {
  const input: TreeReadWorkerInput = { root, rules: options.rules.options, skip: options.skip, followMediaRoots: options.followMediaRoots, estimateRules: estimateRules?.options };
  const worker = startWorker('tree-read-worker', { workerData: input });
  let counted: (estimate: TreeEstimate | undefined) => void = () => undefined;
  let countFailed: (error: Error) => void = () => undefined;
  const estimate = estimateRules ? new Promise<TreeEstimate | undefined>((resolve, reject) => ((counted = resolve), (countFailed = reject))) : undefined;
  const channel = new Channel<TreeBatch>(({ data }) => {
    const packed: PackedBatch = { data: data.buffer as ArrayBuffer };
    worker.postMessage(packed, [packed.data]);
  });
  worker.on('message', (message: TreeReadWorkerMessage) => {
    if (message.type === 'batch') channel.push({ records: message.records, data: Buffer.from(message.data, 0, message.length) });
    else if (message.type === 'done') channel.end();
    else if (message.type === 'estimate') counted(message.estimate);
    else if (message.type === 'estimate-error') countFailed(new Error(message.message));
    else channel.end(new Error(message.message));
  });
  worker.on('error', (error) => channel.end(error));
  worker.on('exit', (code) => {
    channel.end(new Error(`the tree reader's thread stopped (exit code ${code}) before the walk finished`));
    counted(undefined);
  });
  const close = async () => void (await worker.terminate());
  return {
    async *[Symbol.asyncIterator]() {
      let read = false;
      try {
        yield* channel.take(options.signal);
        read = true;
      } finally {
        // A count still going on after a complete reading is waited for (unless cancelled); after a
        // failure it is not.
        if (read && estimate) await Promise.race([estimate.catch(() => undefined), aborted(options.signal)]);
        await close();
      }
    },
    close,
    ...(estimate ? { estimate } : {}),
  };
}

function onThisThread(root: string, options: TreeReadOptions): AsyncGenerator<TreeBatch> {
  // One batch at a time: the reader waits until the packer is done with it, and stops when it left.
  return producedHere<TreeBatch>((emit) => readTreeBatches(root, options, emit), options.signal);
}

/**
 * The tree under `root` in batches, in walk order. On a worker thread the reading starts at once, so the
 * thread's start and the first batches overlap with what the caller does before it iterates (a System
 * backup's dump); with a test hook it starts when iterated. With `estimateRules`, the worker thread also
 * counts the tree with them (TreeRead.estimate).
 */
export function startTreeRead(root: string, options: TreeReadOptions, estimateRules?: TreeRules): TreeRead {
  if (!options.beforeFile) return onWorker(root, options, estimateRules);
  const batches = onThisThread(root, options);
  return { [Symbol.asyncIterator]: () => batches, close: async () => void (await batches.return(undefined)) };
}
