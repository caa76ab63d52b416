import { Worker, type WorkerOptions } from 'node:worker_threads';
import { executableAsset, inExecutable } from '../shared/shipped-files.js';

/**
 * Starts the worker thread whose module is `name` (a neighbour of this one, e.g. 'archive-read-worker').
 * Run from the TypeScript sources (the tests), a neighbour is a .ts file that Node cannot load as a
 * worker: the compiled one is used, which a test run builds first. The single executable has no module
 * files: the worker's code, bundled into one module, is an asset of it (scripts/build-executable.ts).
 */
export function startWorker(name: string, options: WorkerOptions): Worker {
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
