#!/bin/sh
':' //; exec node --max-semi-space-size=2 "$0" "$@"
// Run as a command, this file is first a shell script (the line above) that starts Node with V8's young
// generation capped at 2 MiB per semi-space instead of growing to 16: a System backup with zstd of the
// bench's tree at scale 0.15 then peaked at 197-199 MiB instead of 250-261 (with gzip 188-192 instead of
// 200-210, a database dump 157-162 instead of 186-197), in the same time. V8 takes that flag only at
// start-up, and `#!/usr/bin/env -S node ...` needs an env that knows -S (BusyBox's does not). To Node
// the line is a string and a comment; `node bin/lifeboat.js` runs the same code without the cap.
// The published entry point: the compiled CLI lives in dist/ (built by `npm run build`, run on install).
import module from 'node:module';

// V8's compiled code of Lifeboat's modules is kept on disk between runs (Node's compile cache, in the
// temporary folder): every cron run and script call starts faster. Nothing else changes.
module.enableCompileCache?.();
const { main } = await import('../dist/cli/main.js');

main(process.argv).then((code) => {
  process.exitCode = code;
});
