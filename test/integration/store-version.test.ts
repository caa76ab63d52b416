// The incremental store's format version, through the real `lifeboat` command on the demo shop: a
// store of version 1 (packs with plain-JSON tables, as Lifeboat wrote before version 2) is read as it
// is and becomes version 2 with the first backup that adds packs to it, so an older Lifeboat refuses it
// in one line instead of failing on a pack; a store of a version this Lifeboat does not know is refused
// in one line by backup and verify, and a delete's removal of unused data leaves it as it is.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { cornerDemoShop, type CornerDemoShop } from '../helpers/corner-demo-shop.js';

describe('the incremental store format version', () => {
  let base: string;
  let shop: CornerDemoShop;
  let configFile: string;
  let firstId: string;
  const cli = (args: string[]) => runCli(args, shop.env);
  const config = async () => JSON.parse(await readFile(configFile, 'utf8')) as { format: string; version: number };
  const setVersion = (version: number) => writeFile(configFile, JSON.stringify({ format: 'lifeboat-content-store', version }, null, 2) + '\n');
  const storeFiles = async () => (await readdir(path.join(shop.backupDir, 'incremental'), { recursive: true })).sort();

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'lifeboat-store-version-'));
    shop = await cornerDemoShop(base);
    configFile = path.join(shop.backupDir, 'incremental', 'config.json');
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('a new store is version 2', async () => {
    const taken = await cli(['backup', 'code', '--incremental', '--json']);
    expect(taken.stderr).toBe('');
    expect(taken.code).toBe(0);
    firstId = (JSON.parse(taken.stdout) as { id: string }).id;
    expect(await config()).toEqual({ format: 'lifeboat-content-store', version: 2 });
  });

  it('a version 1 store is read as it is, and the next backup makes it version 2', async () => {
    await setVersion(1);
    const verified = await cli(['verify', firstId]);
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
    expect((await config()).version).toBe(1);
    await writeFile(path.join(shop.root, 'app', 'changed.php'), '<?php // changed since the first backup\n');
    const taken = await cli(['backup', 'code', '--incremental', '--json']);
    expect(taken.stderr).toBe('');
    expect(taken.code).toBe(0);
    expect(await config()).toEqual({ format: 'lifeboat-content-store', version: 2 });
  });

  it('a store of an unknown version is refused in one line by backup and verify; a delete removes the backup but leaves the store alone', async () => {
    await setVersion(3);
    const before = await storeFiles();
    const backupsBefore = (await readdir(shop.backupDir)).sort();
    const refusal = `${configFile} has format version 3, which this Lifeboat does not read (it reads 1 and 2): a newer Lifeboat wrote it; upgrade Lifeboat`;
    for (const args of [['backup', 'code', '--incremental'], ['verify', firstId]]) {
      const refused = await cli(args);
      expect(refused.code, args.join(' ')).not.toBe(0);
      expect(refused.stderr, args.join(' ')).toContain(refusal);
      expect(refused.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    expect(await storeFiles()).toEqual(before);
    expect((await readdir(shop.backupDir)).sort()).toEqual(backupsBefore);
    const deleted = await cli(['delete', firstId, '--yes']);
    expect(deleted.code).toBe(0);
    expect(deleted.stderr).toContain(`incremental data no backup uses was not removed: ${refusal}; the next delete or prune removes it`);
    expect(await storeFiles()).toEqual(before);
    expect((await config()).version).toBe(3);
  });
});
