#!/usr/bin/env node
// The published entry point: the compiled CLI lives in dist/ (built by `npm run build`, run on install).
import module from 'node:module';

// V8's compiled code of Lifeboat's modules is kept on disk between runs (Node's compile cache, in the
// temporary folder): every cron run and script call starts faster. Nothing else changes.
module.enableCompileCache?.();
const { main } = await import('../dist/cli/main.js');

main(process.argv).then((code) => {
  process.exitCode = code;
});
