// A rollback flushes the staged files to disk before it swaps them in: after a power loss the swapped-in
// tree must not come back as files of zero length. Node has no syncfs, so the rollback runs `sync -f`
// on the work folders; here a `sync` first on PATH logs how it was called and what the shop held at
// that moment, then runs the real one. A `sync` that fails stops the rollback before the swap, with
// one line, the shop as it was: on the demo shop (SQLite) and on MariaDB as the shop's own user, whose
// tables keep their checksums.
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { cliShop, type CliShop } from '../helpers/cli-shop.js';
import { tableChecksums, withConnection } from '../helpers/mysql.js';
import { cornerDemoShop, type CornerDemoShop } from '../helpers/corner-demo-shop.js';
import { rollbackCleanedUp } from '../helpers/rollback-cleanup.js';
import { fingerprintTree, ignoredInCornerShop, treeDifferences } from '../helpers/tree.js';

const REAL_SYNC = '/usr/bin/sync';
const CHANGED = 'app/flush-marker.php';

/** A `sync` in a folder of its own that says no, for a PATH that finds it first. */
async function refusingSync(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'sync'), '#!/bin/sh\necho "sync: not allowed here" >&2\nexit 1\n');
  await chmod(path.join(dir, 'sync'), 0o755);
  return dir;
}

describe('a rollback flushes the staged files before the swap', () => {
  let base: string;
  let shop: CornerDemoShop;
  let tools: string;
  let syncLog: string;
  let backupId: string;
  const at = (rel: string) => path.join(shop.root, rel);
  const shopPrint = () => fingerprintTree(shop.root, { follow: ['pub/media'], ignore: (rel) => ignoredInCornerShop(rel) || rel.startsWith('.lifeboat-rollback-') });
  const withSync = (script: string) => ({ ...shop.env, PATH: `${tools}:${process.env.PATH ?? ''}`, FLUSH_TEST_SCRIPT: script });

  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-rollback-flush-'));
    shop = await cornerDemoShop(base);
    tools = path.join(base, 'tools');
    syncLog = path.join(base, 'sync.log');
    await mkdir(tools);
    // Logs its arguments and the marker's content when called, then does what FLUSH_TEST_SCRIPT says.
    const sync = path.join(tools, 'sync');
    await writeFile(
      sync,
      `#!/bin/sh\nprintf '%s|%s\\n' "$*" "$(cat ${at(CHANGED)} 2>/dev/null)" >> ${syncLog}\nif [ "$FLUSH_TEST_SCRIPT" = fail ]; then echo "sync: not allowed here" >&2; exit 1; fi\nexec ${REAL_SYNC} "$@"\n`,
    );
    await chmod(sync, 0o755);
    await writeFile(at(CHANGED), 'backed up\n');
    const made = await runCli(['backup', 'system', '--json'], shop.env);
    expect(made.code, made.stderr).toBe(0);
    backupId = (JSON.parse(made.stdout) as { id: string }).id;
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('runs sync -f on the work folder while the shop still holds its own files, then puts the backup in place', async () => {
    await writeFile(at(CHANGED), 'changed after the backup\n');
    await rm(syncLog, { force: true });
    const rolled = await runCli(['rollback', backupId, '--yes'], withSync('pass'));
    await rollbackCleanedUp(at('var/lifeboat'));
    expect(rolled.code, rolled.stderr).toBe(0);
    const calls = (await readFile(syncLog, 'utf8')).trim().split('\n');
    expect(calls).toHaveLength(1);
    const [args, marker] = calls[0].split('|');
    // The work folders: beside the root, and inside the media folder pub/media points to.
    const [flag, dashes, ...folders] = args.split(' ');
    expect([flag, dashes]).toEqual(['-f', '--']);
    expect(folders.map((folder) => path.dirname(folder))).toEqual([base, shop.mediaStore]);
    for (const folder of folders) expect(path.basename(folder)).toMatch(/^\.lifeboat-rollback-\w+$/);
    expect(marker).toBe('changed after the backup');
    expect(await readFile(at(CHANGED), 'utf8')).toBe('backed up\n');
  });

  it('stops before the swap when the files cannot be flushed: one line, the shop as it was', async () => {
    await writeFile(at(CHANGED), 'changed again\n');
    const before = await shopPrint();
    await rm(syncLog, { force: true });
    const refused = await runCli(['rollback', backupId, '--yes'], withSync('fail'));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('the staged files could not be flushed to disk (sync -f: sync: not allowed here; sync: sync: not allowed here); nothing was changed');
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect((await readFile(syncLog, 'utf8')).trim().split('\n')).toHaveLength(2);
    // The work folders made and removed again in the root's parent and the media folder change only its mtime.
    expect(treeDifferences(before, await shopPrint(), 0n, ['var', 'pub/media'])).toEqual([]);
    expect(await readFile(at(CHANGED), 'utf8')).toBe('changed again\n');
  });
});

describe('a rollback on MariaDB whose files cannot be flushed', () => {
  let shop: CliShop;

  beforeAll(async () => {
    shop = await cliShop('flushfail', 'CREATE TABLE item (id INT PRIMARY KEY, name VARCHAR(40)); INSERT INTO item VALUES (1, "backed up"), (2, "kept");');
    await mkdir(path.join(shop.root, 'app'), { recursive: true });
    await writeFile(path.join(shop.root, 'app', 'config.php'), '<?php // backed up\n');
  });

  afterAll(async () => {
    await shop?.drop();
    if (shop) await rm(shop.root, { recursive: true, force: true });
  });

  it('is refused before the swap as the shop user: the tables keep their checksums, the files their bytes', async () => {
    const made = await runCli(['backup', 'system', '--json'], shop.env);
    expect(made.code, made.stderr).toBe(0);
    const id = (JSON.parse(made.stdout) as { id: string }).id;
    await withConnection(shop.shop, (conn) => conn.query('UPDATE item SET name = "changed" WHERE id = 1; INSERT INTO item VALUES (3, "added")'));
    await writeFile(path.join(shop.root, 'app', 'config.php'), '<?php // changed\n');
    const before = await tableChecksums(shop.shop, ['item']);
    const tools = await refusingSync(path.join(shop.root, '..', `${path.basename(shop.root)}-tools`));
    try {
      const refused = await runCli(['rollback', id, '--yes'], { ...shop.env, PATH: `${tools}:${process.env.PATH ?? ''}` });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr.trim()).toBe('lifeboat: the staged files could not be flushed to disk (sync -f: sync: not allowed here; sync: sync: not allowed here); nothing was changed');
    } finally {
      await rm(tools, { recursive: true, force: true });
    }
    expect(await tableChecksums(shop.shop, ['item'])).toEqual(before);
    expect(await readFile(path.join(shop.root, 'app', 'config.php'), 'utf8')).toBe('<?php // changed\n');
    // With a sync that works, the same rollback puts the backup's rows and file back.
    const rolled = await runCli(['rollback', id, '--yes'], shop.env);
    // Its work folder, beside the root in the run's shared temp folder, is removed by a detached process.
    await rollbackCleanedUp(path.join(shop.root, 'var/lifeboat'));
    expect(rolled.code, rolled.stderr).toBe(0);
    const names = await withConnection(shop.shop, async (conn) => (await conn.query('SELECT id, name FROM item ORDER BY id'))[0]);
    expect(names).toEqual([{ id: 1, name: 'backed up' }, { id: 2, name: 'kept' }]);
    expect(await readFile(path.join(shop.root, 'app', 'config.php'), 'utf8')).toBe('<?php // backed up\n');
  });
});
