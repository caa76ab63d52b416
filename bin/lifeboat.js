#!/bin/sh
':' //; exec node --max-semi-space-size=2 --heap-growing-percent=100 "$0" "$@"
// Run as a command, this file is first a shell script (the line above) that starts Node with V8's young
// generation capped at 2 MiB per semi-space instead of growing to 16: a System backup with zstd of the
// bench's tree at scale 0.15 then peaked at 197-199 MiB instead of 250-261 (with gzip 188-192 instead of
// 200-210, a database dump 157-162 instead of 186-197), in the same time. The old generation may grow to
// twice what a full collection left before the next one (V8 picks up to four times under a backup's
// allocation rate): at scale 1 the first incremental backup then peaked at 198-212 MiB instead of
// 244-250, the System backup at 187-190 instead of 202-233 and the tree rollback at 166-168 instead of
// 178-185, for about 40 more full collections (0.4 s) in the incremental backup's 20 s of CPU. V8 takes
// these flags only at start-up, and `#!/usr/bin/env -S node ...` needs an env that knows -S (BusyBox's
// does not). To Node the line is a string and a comment; `node bin/lifeboat.js` runs the same code
// without them.
// The published entry point: the compiled CLI lives in dist/ (built by `npm run build`, run on install).
import module from 'node:module';

// V8's compiled code of Lifeboat's modules is kept on disk between runs (Node's compile cache, in the
// temporary folder): every cron run and script call starts faster. Nothing else changes.
module.enableCompileCache?.();
const { main } = await import('../dist/cli/main.js');

main(process.argv).then((code) => {
  process.exitCode = code;
});
