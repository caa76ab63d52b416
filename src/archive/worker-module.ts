// Where a worker thread's module is. Run from the TypeScript sources (the tests), a module's neighbour
// is a .ts file that Node cannot load as a worker: the compiled one is used, which a test run builds
// first.
export function workerModule(name: string, importMetaUrl: string): URL {
  const fromSources = importMetaUrl.endsWith('.ts');
  return new URL(fromSources ? `../../dist/archive/${name}.js` : `./${name}.js`, importMetaUrl);
}
