import { Worker, type WorkerOptions } from 'node:worker_threads';
import { executableAsset, inExecutable } from '../shared/shipped-files.js';
import { AHEAD, type InputMessage } from './worker-input.js';

/** Threads started ahead of need (startAhead), by module name, with the options they were made with. */
const ahead = new Map<string, { worker: Worker; options: string }>();

const optionsKey = (options: WorkerOptions) => JSON.stringify({ ...options, workerData: undefined, transferList: undefined });

/**
 * Starts the worker thread whose module is `name` (a neighbour of this one, e.g. 'archive-read-worker').
 * Run from the TypeScript sources (the tests), a neighbour is a .ts file that Node cannot load as a
 * worker: the compiled one is used, which a test run builds first. The single executable has no module
 * files: the worker's code, bundled into one module, is an asset of it (scripts/build-executable.ts).
 */
export function startWorker(name: string, options: WorkerOptions): Worker {
  const started = ahead.get(name);
  if (started && started.options === optionsKey(options)) {
    ahead.delete(name);
    started.worker.removeAllListeners();
    started.worker.ref();
    const message: InputMessage = { input: options.workerData };
    started.worker.postMessage(message, options.transferList);
    return started.worker;
  }
  return makeWorker(name, options);
}

/**
 * Starts the thread of worker module `name` before it is needed, made with `options` (no workerData), so
 * that the next startWorker(name) with the same options takes it already running: a thread takes about
 * 100 ms to start and load its module, more on a busy machine, which was a tenth of a small shop's
 * rollback. The module must take its input with `onInput` (worker-input.ts), and the taker gets no
 * 'online' event (it came before). Until taken, the thread keeps no process alive; the function returned
 * stops it if nothing took it (a job that failed before it needed the thread).
 */
export function startAhead(name: string, options: WorkerOptions): () => Promise<void> {
  if (ahead.has(name)) return async () => undefined;
  const worker = makeWorker(name, { ...options, workerData: AHEAD });
  worker.unref();
  const entry = { worker, options: optionsKey(options) };
  const forget = () => {
    if (ahead.get(name) === entry) ahead.delete(name);
  };
  worker.on('error', forget); // the taker starts a thread of its own, and meets the same error there
  worker.on('exit', forget);
  ahead.set(name, entry);
  return async () => {
    if (ahead.get(name) !== entry) return; // taken, or gone
    ahead.delete(name);
    await worker.terminate();
  };
}

const stopping = new WeakMap<Worker, Promise<void>>();

/**
 * Stops `worker` once, its 'exit' listeners removed first (a stop is not the thread failing), every
 * caller waiting for the same stop. Two terminate() calls with the listeners removed between them left
 * the first one waiting for ever (its own 'exit' listener went too), and a process with nothing else to
 * wait for then ended with exit code 0: a rollback in the middle of staging. Callers must not remove
 * the 'exit' listeners themselves once a stop may have begun (that takes the stop's own).
 */
export function stopWorker(worker: Worker): Promise<void> {
  let stopped = stopping.get(worker);
  if (!stopped) {
    worker.removeAllListeners('exit');
    stopped = worker.terminate().then(() => undefined);
    stopping.set(worker, stopped);
  }
  return stopped;
}

/** Whether a thread of module `name` started ahead waits to be taken. */
export const waitsAhead = (name: string): boolean => ahead.has(name);

function makeWorker(name: string, options: WorkerOptions): Worker {
  if (inExecutable) return new Worker(executableAsset(`workers/${name}.mjs`), { ...options, eval: true });
  const fromSources = import.meta.url.endsWith('.ts');
  return new Worker(new URL(fromSources ? `../../dist/archive/${name}.js` : `./${name}.js`, import.meta.url), options);
}

/**
 * For a thread that allocates little besides its buffers (which live outside the heap): a young
 * generation of 2 MiB instead of V8's default of up to 16 MiB per semi-space. With it on both of a tree
 * rollback's threads, its peak RSS was about 6 MiB lower (scale 0.3, two runs each).
 */
export const SMALL_HEAP = { maxYoungGenerationSizeMb: 2 };
