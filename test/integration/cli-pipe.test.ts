// A command whose output is piped into a reader that stopped reading (`lifeboat list | head -1`) must
// neither crash with a stack trace nor fail: the rest of its output goes nowhere. Above all a rollback
// whose log lines go into such a pipe must not stop half-way: the shop ends as the backup's.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { cornerDemoShop } from '../helpers/corner-demo-shop.js';

/** Runs `lifeboat args` in bash with `redirect` before a pipe into a reader that closes its end at once and lingers. */
function intoClosedPipe(args: string, redirect: string, env: Record<string, string> = {}) {
  const script = `set -o pipefail; "${process.execPath}" "${BIN}" ${args} ${redirect} | { exec 0<&-; sleep 1; }`;
  return spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { ...process.env, ...env } });
}

describe('output into a closed pipe', () => {
  const made: string[] = [];
  afterAll(async () => {
    for (const dir of made) await rm(dir, { recursive: true, force: true });
  });

  it('is dropped quietly, and the command exits as it would have', () => {
    const result = intoClosedPipe('--help', '');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('does not stop a rollback whose log lines go into it', async () => {
    const base = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-cli-pipe-'));
    made.push(base);
    const shop = await cornerDemoShop(base);
    const marker = path.join(shop.root, 'app', 'pipe-marker.php');
    await writeFile(marker, 'backed up\n');
    const backup = await runCli(['backup', 'system', '--json'], shop.env);
    expect(backup.code, backup.stderr).toBe(0);
    const { id } = JSON.parse(backup.stdout) as { id: string };
    await writeFile(marker, 'changed after the backup\n');
    // The log (JSON lines, on stderr) goes into the pipe; what the command prints goes to /dev/null.
    const result = intoClosedPipe(`rollback ${id} --yes`, '2>&1 >/dev/null', { ...shop.env, LIFEBOAT_LOG_FORMAT: 'json' });
    expect(result.status, result.stderr).toBe(0);
    expect(await readFile(marker, 'utf8')).toBe('backed up\n');
    const listed = await runCli(['list', '--json'], shop.env);
    expect(listed.stderr).not.toMatch(/unfinished|interrupted|recover/);
  });
});
