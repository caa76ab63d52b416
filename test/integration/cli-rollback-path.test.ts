// `lifeboat rollback ID --path PATH`: one file or folder of a tree backup (.tgz, .tar.zst, incremental)
// put back, a folder as a whole (what the backup's folder lacks goes), the rest of the shop and the
// database left as they are; a path the backup lacks, `..` and absolute paths refused before any change;
// killed with SIGKILL mid-swap or after its commit, `lifeboat recover` leaves each path wholly old or
// wholly the backup's. A path inside a symlinked media folder is restored inside its target; one below
// another symlink, or a hard link to a file outside the chosen paths, is refused. And `lifeboat list ID
// --files FOLDER`, which names what the backup holds.
import { existsSync } from 'node:fs';
import { cp, link, lstat, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync as Database } from 'node:sqlite';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { runCli, startCli } from '../helpers/cli.js';
import { workFoldersLeft } from '../helpers/rollback-cleanup.js';
import { valueInFile } from '../helpers/sqlite.js';

const ENV_PHP = 'app/etc/env.php';
const MODULE = 'app/code/Demo/Hello';

describe('rollback --path', () => {
  let env: Record<string, string>;
  let root: string;
  let dbFile: string;
  const backups: Record<'gzip' | 'zstd' | 'incremental', string> = { gzip: '', zstd: '', incremental: '' };
  let original: { env: string; registration: string; composer: string };

  const read = (rel: string) => readFile(path.join(root, rel), 'utf8');
  const storeName = () => valueInFile(dbFile, 'SELECT name FROM store WHERE store_id = 1');
  /** The shop changed after the backups: two files rewritten, a file added to the module, the database. */
  async function change(): Promise<void> {
    await writeFile(path.join(root, ENV_PHP), 'changed env\n');
    await writeFile(path.join(root, MODULE, 'registration.php'), 'changed registration\n');
    await writeFile(path.join(root, MODULE, 'added-after.php'), 'not in the backup\n');
    await writeFile(path.join(root, 'composer.json'), 'changed composer\n');
    const db = new Database(dbFile);
    db.exec("UPDATE store SET name = 'changed' WHERE store_id = 1");
    db.close();
  }
  // A rollback job removes its work folder in a detached process once the shop is whole: waited for.
  const workFolders = async () => [...(await workFoldersLeft(path.dirname(root))), ...(await workFoldersLeft(root))];

  beforeAll(async () => {
    const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-path-')), 'shop'));
    root = shop.root;
    dbFile = shop.databaseFile;
    env = { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: shop.databaseUrl };
    original = { env: await read(ENV_PHP), registration: await read(`${MODULE}/registration.php`), composer: await read('composer.json') };
    for (const [kind, args] of [
      ['gzip', []],
      ['zstd', ['--compression', 'zstd']],
      ['incremental', ['--incremental']],
    ] as const) {
      const made = await runCli(['backup', 'system', '--json', ...args], env);
      expect(made.code, made.stderr).toBe(0);
      backups[kind] = JSON.parse(made.stdout).id;
    }
  });

  for (const kind of ['gzip', 'zstd', 'incremental'] as const) {
    it(`puts back one file and one folder of a ${kind} backup, nothing else`, async () => {
      await change();
      const done = await runCli(['rollback', backups[kind], '--path', ENV_PHP, '--path', `${MODULE}/`, '--yes'], env);
      expect(done.code, done.stderr).toBe(0);
      expect(done.stdout).toContain(`restored ${ENV_PHP}`);
      expect(await read(ENV_PHP)).toBe(original.env);
      expect(await read(`${MODULE}/registration.php`)).toBe(original.registration);
      // The folder was swapped whole: what the backup's folder lacks went.
      expect(existsSync(path.join(root, MODULE, 'added-after.php'))).toBe(false);
      // The rest of the shop, and its database, as they were before this restore.
      expect(await read('composer.json')).toBe('changed composer\n');
      expect(storeName()).toBe('changed');
      expect(await workFolders()).toEqual([]);
    });
  }

  it('refuses a path the backup lacks, in one line naming it and how to list the backup, changing nothing', async () => {
    await change();
    const refused = await runCli(['rollback', backups.gzip, '--path', 'app/etc/missing.php', '--yes'], env);
    expect(refused.code).toBe(2);
    const lines = refused.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('app/etc/missing.php is not in backup');
    expect(lines[0]).toContain(`lifeboat list ${backups.gzip} --files app/etc`);
    expect(await read(ENV_PHP)).toBe('changed env\n');
    expect(await workFolders()).toEqual([]);
  });

  it('refuses paths that leave the shop root, and the root itself', async () => {
    for (const [given, words] of [
      ['../outside', 'climbs out of the shop root'],
      ['/etc/passwd', 'is absolute'],
      ['./', 'is the shop root itself'],
    ]) {
      const refused = await runCli(['rollback', backups.gzip, '--path', given, '--yes'], env);
      expect(refused.code, given).toBe(2);
      expect(refused.stderr).toContain(words);
    }
    const onDatabase = await runCli(['rollback', backups.gzip, '--table', 'store', '--yes'], env);
    expect(onDatabase.code).toBe(2);
    expect(onDatabase.stderr).toContain('--table works with database backups only');
  });

  it('lists what a backup holds, a folder at a time', async () => {
    const top = await runCli(['list', backups.gzip, '--files', '--json'], env);
    expect(top.code, top.stderr).toBe(0);
    const names = (JSON.parse(top.stdout) as { entries: { name: string; type: string }[] }).entries.map((e) => `${e.name}:${e.type}`);
    expect(names).toEqual(expect.arrayContaining(['app:dir', 'pub:dir', 'composer.json:file']));
    for (const id of [backups.gzip, backups.incremental]) {
      const etc = await runCli(['list', id, '--files', 'app/etc', '--json'], env);
      const page = JSON.parse(etc.stdout) as { total: number; entries: { name: string; size: number }[] };
      expect(page.entries).toEqual([expect.objectContaining({ name: 'env.php', size: Buffer.byteLength(original.env) })]);
    }
    const missing = await runCli(['list', backups.gzip, '--files', 'no/such/folder'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no/such/folder is not in backup');
  });

  /** Runs a restore of the two paths until it pauses at `step`, kills it with SIGKILL, then runs `lifeboat recover`. */
  async function killAt(step: string): Promise<void> {
    const child = startCli(['rollback', backups.gzip, '--path', ENV_PHP, '--path', MODULE, '--yes'], { ...env, LIFEBOAT_PAUSE_AT: step });
    const ended = new Promise((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve) => child.stderr?.on('data', (chunk: Buffer) => chunk.toString().includes('paused at') && resolve()));
    child.kill('SIGKILL');
    await ended;
    const recovered = await runCli(['recover'], env);
    expect(recovered.code, recovered.stderr).toBe(0);
  }

  for (const [step, expected] of [
    ['file-renamed#1', 'old'],
    ['file-renamed#2', 'old'],
    ['files-swapped', 'old'],
    ['committed', 'new'],
  ] as const) {
    it(`killed at ${step}: recover leaves each path ${expected === 'old' ? 'as it was' : "the backup's"}`, async () => {
      await change();
      await killAt(step);
      const now = { env: await read(ENV_PHP), registration: await read(`${MODULE}/registration.php`), added: existsSync(path.join(root, MODULE, 'added-after.php')) };
      if (expected === 'old') expect(now).toEqual({ env: 'changed env\n', registration: 'changed registration\n', added: true });
      else expect(now).toEqual({ env: original.env, registration: original.registration, added: false });
      expect(await read('composer.json')).toBe('changed composer\n');
      expect(await workFolders()).toEqual([]);
    });
  }
});

describe('rollback --path through symlinks and hard links', () => {
  const MEDIA_FILE = 'pub/media/catalog/product/l/i/lifeboat.txt';
  let env: Record<string, string>;
  let root: string;
  let backupId: string;
  const read = (rel: string) => readFile(path.join(root, rel), 'utf8');

  beforeAll(async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-path-links-'));
    const shop = await ensureDemoShop(path.join(dir, 'shop'));
    root = shop.root;
    env = { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: shop.databaseUrl };
    // The media folder lives elsewhere, as on many servers: pub/media is a symlink to it.
    await rename(path.join(root, 'pub/media'), path.join(dir, 'media'));
    await symlink(path.join(dir, 'media'), path.join(root, 'pub/media'));
    await link(path.join(root, ENV_PHP), path.join(root, 'app/etc/env-copy.php'));
    const made = await runCli(['backup', 'system', '--json'], env);
    expect(made.code, made.stderr).toBe(0);
    backupId = JSON.parse(made.stdout).id;
  });

  it('restores a file inside a symlinked media folder, which stays a symlink with its other files', async () => {
    const original = await read(MEDIA_FILE);
    await writeFile(path.join(root, MEDIA_FILE), 'changed\n');
    await writeFile(path.join(root, 'pub/media/added-after.txt'), 'kept\n');
    const done = await runCli(['rollback', backupId, '--path', MEDIA_FILE, '--yes'], env);
    expect(done.code, done.stderr).toBe(0);
    expect(await read(MEDIA_FILE)).toBe(original);
    expect((await lstat(path.join(root, 'pub/media'))).isSymbolicLink()).toBe(true);
    expect(await read('pub/media/added-after.txt')).toBe('kept\n');
  });

  it('refuses a path below another symlinked folder, changing nothing', async () => {
    const elsewhere = path.join(path.dirname(root), 'code-elsewhere');
    await cp(path.join(root, 'app/code'), elsewhere, { recursive: true });
    await rm(path.join(root, 'app/code'), { recursive: true });
    await symlink(elsewhere, path.join(root, 'app/code'));
    await writeFile(path.join(root, MODULE, 'registration.php'), 'changed\n');
    const refused = await runCli(['rollback', backupId, '--path', `${MODULE}/registration.php`, '--yes'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('app/code');
    expect(refused.stderr).toContain('is a symlink');
    expect((await lstat(path.join(root, 'app/code'))).isSymbolicLink()).toBe(true);
    expect(await read(`${MODULE}/registration.php`)).toBe('changed\n');
  });

  it('refuses a hard link whose file is outside the chosen paths, naming the path to add', async () => {
    // The archive holds env-copy.php (first in name order) as the file and env.php as a link to it.
    const refused = await runCli(['rollback', backupId, '--path', ENV_PHP, '--yes'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`add --path app/etc/env-copy.php`);
    const both = await runCli(['rollback', backupId, '--path', ENV_PHP, '--path', 'app/etc/env-copy.php', '--yes'], env);
    expect(both.code, both.stderr).toBe(0);
  });
});
