// Where a worker thread's module is. Run from the TypeScript sources (the tests), a module's neighbour
// is a .ts file that Node cannot load as a worker: the compiled one is used, which a test run builds
// first.
export function workerModule(name: string, importMetaUrl: string): URL {
  const fromSources = importMetaUrl.endsWith('.ts');
  return new URL(fromSources ? `../../dist/archive/${name}.js` : `./${name}.js`, importMetaUrl);
}

/**
 * For a thread that allocates little besides its buffers (which live outside the heap): a young
 * generation of 2 MiB instead of V8's default of up to 16 MiB per semi-space. With it on both of a tree
 * rollback's threads, its peak RSS was about 6 MiB lower (scale 0.3, two runs each).
 */
export const SMALL_HEAP = { maxYoungGenerationSizeMb: 2 };
