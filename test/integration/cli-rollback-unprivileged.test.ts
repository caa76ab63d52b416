// `lifeboat rollback` run as an unprivileged user, as the shop's own user runs it, over a tree with a
// read-only code folder (0555, as deploy tools leave it) and a folder and a file their owner may not even
// read (000). Moving a folder to another parent needs write permission on the folder itself, which only
// root has without asking: the swap gives such a folder of the user's own u+w for the rename and its mode
// back at once. A .tgz and an incremental backup (made as root, who reads everything) each put the tree
// back exactly, modes included, after files were edited, added and removed.
import { chmod, mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { chownTree, NOBODY, nodeForAnyUser } from '../helpers/unprivileged.js';
import { fingerprintTree, treeDifferences, type TreeEntry } from '../helpers/tree.js';

describe('lifeboat rollback as an unprivileged user', () => {
  let root: string;
  let env: Record<string, string>;
  let node: string;
  let backedUp: TreeEntry[];
  const ids: Record<string, string> = {};
  /** The shop's tree without Lifeboat's own folders (var) and the work folder a detached cleanup may still be removing. */
  const shopTree = () => fingerprintTree(root, { ignore: (rel) => rel === 'var' || rel.startsWith('.lifeboat-rollback-') });
  const asNobody = (args: string[]) => runCli(args, env, undefined, { node, user: NOBODY });

  /** Edits, adds and removes files as root (whom the modes do not keep out). */
  async function changeTree(round: number): Promise<void> {
    await writeFile(path.join(root, 'app/code/Vendor/Model.php'), `<?php // changed in round ${round}\n`);
    await writeFile(path.join(root, 'pub/closed', `added-${round}.txt`), 'not in the backup\n');
    await unlink(path.join(root, 'app/etc/config.php')).catch(() => undefined);
    await chownTree(root);
  }

  beforeAll(async () => {
    node = await nodeForAnyUser();
    root = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-rollback-nobody-'));
    await chmod(root, 0o755);
    env = { LIFEBOAT_ROOT: root };
    await mkdir(path.join(root, 'app/code/Vendor'), { recursive: true });
    await mkdir(path.join(root, 'app/etc'), { recursive: true });
    await mkdir(path.join(root, 'pub/closed'), { recursive: true });
    await writeFile(path.join(root, 'app/code/Vendor/Model.php'), '<?php class Model {}\n');
    await writeFile(path.join(root, 'app/etc/config.php'), "<?php return [];\n");
    await writeFile(path.join(root, 'app/etc/di.xml'), '<config/>\n'); // never changed: kept by each rollback
    await writeFile(path.join(root, 'app/etc/locked.php'), '<?php // only the owner, and not even them\n');
    await writeFile(path.join(root, 'pub/closed/inside.txt'), 'in a folder nobody may open\n');
    await chmod(path.join(root, 'app/etc/locked.php'), 0o000);
    await chmod(path.join(root, 'app/code/Vendor'), 0o555);
    await chmod(path.join(root, 'app/code'), 0o555);
    await chmod(path.join(root, 'app'), 0o555);
    await chmod(path.join(root, 'pub/closed'), 0o000);
    await chownTree(root);
    for (const [name, args] of [['tgz', ['backup', 'code', '--json']], ['incremental', ['backup', 'code', '--incremental', '--json']]] as const) {
      const made = await runCli([...args], env);
      expect(made.code, made.stderr).toBe(0);
      ids[name] = (JSON.parse(made.stdout) as { id: string }).id;
    }
    await chownTree(path.join(root, 'var'));
    backedUp = await shopTree();
  });

  afterAll(async () => {
    if (root) {
      await rm(root, { recursive: true, force: true });
    }
  });

  for (const [round, kind] of [[1, 'tgz'], [2, 'incremental']] as const) {
    it(`rolls back from the ${kind} backup to exactly the backed-up tree, read-only and 000 folders included`, async () => {
      await changeTree(round);
      expect(treeDifferences(backedUp, await shopTree(), 1000n)).not.toEqual([]);
      const rolled = await asNobody(['rollback', ids[kind], '--yes']);
      expect(rolled.code, rolled.stderr).toBe(0);
      // The shop user's unchanged file is kept (hard-linked), not written again; the unreadable ones are written.
      expect(rolled.stdout).toMatch(/: 5 files \(1 of them unchanged in the shop: kept, not written again\)/);
      expect(treeDifferences(backedUp, await shopTree(), 1000n)).toEqual([]);
    });
  }
});
