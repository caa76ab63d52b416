// bin/lifeboat.js run as a command (as `lifeboat` is, installed): its first lines, a shell script, start
// the `node` on PATH with the heap's caps (see the file), and the code runs as under `node
// bin/lifeboat.js`. A `node` placed first on PATH records how it was started, then runs the real one.
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';

const run = promisify(execFile);

describe('bin/lifeboat.js as a command', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-bin-'));
    const recorder = `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args"\nexec "${process.execPath}" "$@"\n`;
    await writeFile(path.join(dir, 'node'), recorder);
    await chmod(path.join(dir, 'node'), 0o755);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('starts the node on PATH with the heap capped, and runs the command', async () => {
    const { stdout } = await run(BIN, ['--version'], { env: { ...process.env, PATH: `${dir}${path.delimiter}${process.env.PATH ?? ''}` } });
    const packageVersion = (JSON.parse(await readFile(path.join(path.dirname(BIN), '..', 'package.json'), 'utf8')) as { version: string }).version;
    expect(stdout.trim()).toBe(packageVersion);
    const args = (await readFile(path.join(dir, 'args'), 'utf8')).trim().split('\n');
    expect(args).toEqual(['--max-semi-space-size=2', '--heap-growing-percent=100', BIN, '--version']);
  });
});
