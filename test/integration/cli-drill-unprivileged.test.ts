// `lifeboat drill` run as an unprivileged user, as the shop's own user runs it: a tree whose owner took
// away their own read permission from a file and a folder (mode 000, which root reads anyway) is restored
// into the drill's scratch folder with those modes; the drill opens up its own scratch copy to compare
// it, instead of stopping with "permission denied", and removes the scratch folder afterwards. The
// backups are made as root (who can read the files), then handed to the unprivileged user.
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { chownTree, NOBODY, nodeForAnyUser } from '../helpers/unprivileged.js';

describe('lifeboat drill as an unprivileged user', () => {
  let root: string;
  let env: Record<string, string>;
  let node: string;

  beforeAll(async () => {
    node = await nodeForAnyUser();
    root = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-drill-nobody-'));
    await chmod(root, 0o755);
    env = { LIFEBOAT_ROOT: root };
    await mkdir(path.join(root, 'app', 'etc'), { recursive: true });
    await writeFile(path.join(root, 'app', 'etc', 'config.php'), "<?php return [];\n");
    await writeFile(path.join(root, 'app', 'etc', 'locked.php'), '<?php // only the owner, and not even them\n');
    await mkdir(path.join(root, 'pub', 'closed'), { recursive: true });
    await writeFile(path.join(root, 'pub', 'closed', 'inside.txt'), 'in a folder nobody may open\n');
    await chmod(path.join(root, 'app', 'etc', 'locked.php'), 0o000);
    await chmod(path.join(root, 'pub', 'closed'), 0o000);
    for (const args of [['backup', 'code'], ['backup', 'code', '--compression', 'zstd'], ['backup', 'code', '--incremental']]) {
      const made = await runCli(args, env);
      expect(made.code, made.stderr).toBe(0);
    }
    await chownTree(path.join(root, 'var'));
  });

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('compares every file of a .tgz, a .tar.zst and an incremental backup, modes 000 included, and leaves no scratch folder', async () => {
    const listed = await runCli(['list', '--json'], env, undefined, { node, user: NOBODY });
    expect(listed.code, listed.stderr).toBe(0);
    const backups = JSON.parse(listed.stdout) as { id: string; file: string }[];
    expect(backups.map((b) => b.file.replace(/^\d+/, ''))).toEqual(expect.arrayContaining(['_filesystem_code.tgz', '_filesystem_code.tar.zst', '_filesystem_code.incremental.json']));
    for (const backup of backups) {
      const drilled = await runCli(['drill', backup.id, '--json'], env, undefined, { node, user: NOBODY });
      expect(drilled.code, `${backup.file}: ${drilled.stderr}`).toBe(0);
      const result = JSON.parse(drilled.stdout) as { ok: boolean; tree: { compared: number; differing: unknown[] } };
      expect(result).toMatchObject({ ok: true, tree: { compared: 3, differing: [] } });
    }
    const human = await runCli(['drill', backups[0].id], env, undefined, { node, user: NOBODY });
    expect(human.stdout).toMatch(/: RESTORES: 3 files restored into the scratch folder .* \(removed\) in [\d.]+ s; every file is as the backup recorded it$/m);
    const home = await readdir(path.join(root, 'var', 'lifeboat'));
    expect(home.filter((name) => name.startsWith('lifeboat-drill-tree-'))).toEqual([]);
  });
});
