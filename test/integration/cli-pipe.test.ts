// A command whose output is piped into a reader that stopped reading (`lifeboat list | head -1`) must
// neither crash with a stack trace nor fail: the rest of its output goes nowhere. Above all a rollback
// whose log lines go into such a pipe must not stop half-way: on MariaDB, as the shop's own user, the
// shop ends as the backup's, rows and files, with no rollback left for a recovery to undo.
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { cliShop, type CliShop } from '../helpers/cli-shop.js';
import { tableChecksums, withConnection } from '../helpers/mysql.js';
import { rollbackCleanedUp, rollbackJournals } from '../helpers/rollback-cleanup.js';

/** Runs `lifeboat args` in bash with `redirect` before a pipe into a reader that closes its end at once and lingers. */
function intoClosedPipe(args: string, redirect: string, env: Record<string, string> = {}) {
  const script = `set -o pipefail; "${process.execPath}" "${BIN}" ${args} ${redirect} | { exec 0<&-; sleep 1; }`;
  return spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { ...process.env, ...env } });
}

describe('output into a closed pipe', () => {
  let shop: CliShop | undefined;
  afterAll(async () => {
    await shop?.drop();
    if (shop) await rm(shop.root, { recursive: true, force: true });
  });

  it('is dropped quietly, and the command exits as it would have', () => {
    const result = intoClosedPipe('--help', '');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('does not stop a rollback whose log lines go into it (MariaDB, the shop user)', async () => {
    shop = await cliShop('clipipe', 'CREATE TABLE item (id INT PRIMARY KEY, name VARCHAR(40)); INSERT INTO item VALUES (1, "backed up"), (2, "kept");');
    const marker = path.join(shop.root, 'app', 'pipe-marker.php');
    await mkdir(path.dirname(marker), { recursive: true });
    await writeFile(marker, 'backed up\n');
    const backup = await runCli(['backup', 'system', '--json'], shop.env);
    expect(backup.code, backup.stderr).toBe(0);
    const { id } = JSON.parse(backup.stdout) as { id: string };
    const backedUp = await tableChecksums(shop.shop, ['item']);
    await withConnection(shop.shop, (conn) => conn.query('UPDATE item SET name = "changed" WHERE id = 1; INSERT INTO item VALUES (3, "added")'));
    await writeFile(marker, 'changed after the backup\n');
    // The log (JSON lines, on stderr) goes into the pipe; what the command prints goes to /dev/null.
    const result = intoClosedPipe(`rollback ${id} --yes`, '2>&1 >/dev/null', { ...shop.env, LIFEBOAT_LOG_FORMAT: 'json' });
    expect(result.status, result.stderr).toBe(0);
    const home = path.join(shop.root, 'var/lifeboat');
    await rollbackCleanedUp(home); // the detached cleanup ends, and no journal is left for a recovery
    expect(await rollbackJournals(home)).toEqual([]);
    expect(await tableChecksums(shop.shop, ['item'])).toEqual(backedUp);
    expect(await readFile(marker, 'utf8')).toBe('backed up\n');
  });
});
