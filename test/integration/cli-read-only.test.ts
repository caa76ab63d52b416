// Commands that only read leave nothing behind: run in a folder that is no shop (or a shop without
// Lifeboat's state yet), they answer (an empty list, or a one-line refusal of a wrong id) and create
// neither var/backups nor var/lifeboat.
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const READ_ONLY: [string[], number][] = [
  [['list'], 0],
  [['list', '--json'], 0],
  [['rollback', 'abcd', '--yes'], 2],
  [['verify', 'abcd'], 2],
  [['delete', 'abcd', '--yes'], 2],
  [['user', 'list'], 0],
  [['role', 'list', '--json'], 0],
  [['jobs'], 0],
  [['jobs', 'jabcdef01'], 2],
  [['cancel', 'jabcdef01'], 2],
  [['schedule', 'show'], 0],
  [['maintenance', 'status'], 0],
  [['prune', '--dry-run', '--keep-last', '1'], 0],
];

describe('read-only commands', () => {
  it.each(READ_ONLY)('lifeboat %j creates nothing where it runs', async (args, code) => {
    const folder = await mkdtemp(path.join(tmpdir(), 'lifeboat-read-only-'));
    const result = await runCli(args, { LIFEBOAT_DATABASE_URL: `sqlite://${path.join(folder, 'shop.db')}` }, folder);
    expect(result.code, result.stderr).toBe(code);
    expect(result.stderr.split('\n').filter(Boolean).length).toBeLessThanOrEqual(1);
    expect(await readdir(folder)).toEqual([]);
  });
});
