// The batches of content/walk-lines.ts for an incremental backup: walked on a worker thread, so that
// the readdir and lstat calls of every entry (more than a third of a second backup's main thread, which
// was its bottleneck, with the second core mostly idle) overlap with the comparing and listing; or on
// this thread: a record a batch when a test hook must run before each file is read (the walk is then
// where it was with the walk on this thread: no further than the folder of the file being read), and
// in batches for a first backup, which reads every file: its walk is a small part of its work, and the
// walking thread's heap made its peak RSS 18 MiB higher (227-235 against 209-218 MiB at scale 0.15).
import { Channel, producedHere } from './channel.js';
import { walkLines, type WalkLinesOptions } from './content/walk-lines.js';
import type { WalkLinesWorkerInput, WalkLinesWorkerMessage } from './walk-lines-worker.js';
import type { WalkOptions } from './walk.js';
import { SMALL_HEAP, startWorker } from './worker-module.js';

/** Records a batch from the worker holds: the main thread starts on the first soon, and a message each costs little. */
const BATCH_RECORDS = 256;

export type WalkLinesReadOptions = Omit<WalkOptions, 'onWarning' | 'fileStats'> & { onThisThread?: 'record by record' | 'batched' };

async function* onWorker(root: string, options: WalkLinesReadOptions): AsyncGenerator<string> {
  const input: WalkLinesWorkerInput = { root, rules: options.rules.options, skip: options.skip, followMediaRoots: options.followMediaRoots, batchRecords: BATCH_RECORDS };
  const worker = startWorker('walk-lines-worker', { workerData: input, resourceLimits: SMALL_HEAP });
  const channel = new Channel<string>(() => worker.postMessage(0));
  worker.on('message', (message: WalkLinesWorkerMessage) => {
    if (message.type === 'batch') channel.push(message.text);
    else if (message.type === 'done') channel.end();
    else channel.end(new Error(message.message));
  });
  worker.on('error', (error) => channel.end(error));
  worker.on('exit', (code) => channel.end(new Error(`the walking thread stopped (exit code ${code}) before the walk finished`)));
  try {
    yield* channel.take(options.signal);
  } finally {
    await worker.terminate();
  }
}

/** The walk of `root` as batches (walk-lines.ts), in walk order; stopped when the iteration stops. */
export function walkLinesBatches(root: string, options: WalkLinesReadOptions): AsyncGenerator<string> {
  if (!options.onThisThread) return onWorker(root, options);
  const here: WalkLinesOptions = { ...options, batchRecords: options.onThisThread === 'record by record' ? 1 : BATCH_RECORDS };
  return producedHere<string>((emit) => walkLines(root, here, emit), options.signal);
}
