// The batches of tree-read.ts as an async iterable for the packer: read on a worker thread, so that the
// walk and the reads overlap with the tar and gzip work of the main thread (a System backup's main
// thread was its bottleneck, a third of it in those system calls); or on this thread when a test hook
// must run before each file is opened.
import { Channel } from './channel.js';
import { readTreeBatches, type TreeBatch, type TreeReadOptions } from './tree-read.js';
import type { PackedBatch, TreeReadWorkerInput, TreeReadWorkerMessage } from './tree-read-worker.js';
import { startWorker } from './worker-module.js';

async function* onWorker(root: string, options: TreeReadOptions): AsyncGenerator<TreeBatch> {
  const input: TreeReadWorkerInput = { root, rules: options.rules.options, skip: options.skip, followMediaRoots: options.followMediaRoots };
  const worker = startWorker('tree-read-worker', { workerData: input });
  const channel = new Channel<TreeBatch>(({ data }) => {
    const packed: PackedBatch = { data: data.buffer as ArrayBuffer };
    worker.postMessage(packed, [packed.data]);
  });
  worker.on('message', (message: TreeReadWorkerMessage) => {
    if (message.type === 'batch') channel.push({ records: message.records, data: Buffer.from(message.data, 0, message.length) });
    else if (message.type === 'done') channel.end();
    else channel.end(new Error(message.message));
  });
  worker.on('error', (error) => channel.end(error));
  worker.on('exit', (code) => channel.end(new Error(`the tree reader's thread stopped (exit code ${code}) before the walk finished`)));
  try {
    yield* channel.take(options.signal);
  } finally {
    await worker.terminate();
  }
}

async function* onThisThread(root: string, options: TreeReadOptions): AsyncGenerator<TreeBatch> {
  let taken: (() => void) | undefined;
  let stopped = false;
  const channel = new Channel<TreeBatch>(() => taken?.());
  // One batch at a time: the reader waits until the packer is done with it, and stops when it left.
  const reading = readTreeBatches(root, options, async (batch) => {
    const wasTaken = new Promise<void>((resolve) => (taken = resolve));
    channel.push(batch);
    await wasTaken;
    if (stopped) throw new Error('the packer stopped reading');
  }).then(
    () => channel.end(),
    (error: Error) => channel.end(error),
  );
  try {
    yield* channel.take(options.signal);
  } finally {
    stopped = true;
    taken?.();
    await reading;
  }
}

/** The tree under `root` in batches, in walk order. */
export function treeBatches(root: string, options: TreeReadOptions): AsyncGenerator<TreeBatch> {
  return options.beforeFile ? onThisThread(root, options) : onWorker(root, options);
}
