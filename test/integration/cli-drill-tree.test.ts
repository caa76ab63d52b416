// `lifeboat drill` of file backups through the real command, on the real MariaDB as the shop's own user:
// a System backup of a generated tree is extracted into a scratch folder in Lifeboat's home and every file
// is compared with the file index written at backup time, and its database part is drilled as a database
// backup is; a changed recorded hash names the file, an archive changed after its manifest names the
// damage, a backup without an index is drilled as far as it can be; an incremental backup's restored
// entries are compared with its listing (a scratch copy changed while the drill is paused before its
// comparison names each changed entry), and one with a damaged pack does not restore; the shop's tree and
// database are byte for byte as they were, and the scratch folder is gone afterwards, also after a kill -9.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, link, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { cliShop, type CliShop } from '../helpers/cli-shop.js';
import { fingerprint } from '../helpers/mysql.js';
import { fingerprintTree } from '../helpers/tree.js';
import { startWebhookReceiver } from '../helpers/webhook.js';

const SHOP = `
CREATE TABLE catalog_product_entity (entity_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(64), note TEXT) ENGINE=InnoDB;
INSERT INTO catalog_product_entity (sku, note) SELECT CONCAT('sku-', seq), CONCAT('it''s product\\n', seq) FROM seq_1_to_3000;
`;

interface FileDifference {
  path: string;
  problem: string;
}

interface TreeDrill {
  ok: boolean;
  file: string;
  scratch: string;
  tables: { name: string; rows: number; restoredRows: number; same: boolean }[];
  tree: { scratch: string; counts: { files: number; hardlinks: number }; compared: number; notCompared?: string; differing: FileDifference[]; moreDiffering: number; damaged?: string };
}

interface Manifest {
  tree: { files: number; dirs: number; symlinks: number; hardlinks: number; index?: { file: string; size: number; sha256: string; entries: number } };
}

/** A shop tree: code in nested folders, an empty file, a file over 1 MiB (streamed, not read whole), media, a hard link, a symlink, a non-ASCII name. */
async function generateTree(root: string): Promise<void> {
  for (let module = 0; module < 12; module++) {
    const dir = path.join(root, 'app', 'code', 'Vendor', `Module${module}`, 'Model');
    await mkdir(dir, { recursive: true });
    for (let i = 0; i < 25; i++) await writeFile(path.join(dir, `Class${i}.php`), `<?php\nclass Class${i} { /* ${'x'.repeat(i * 37)} */ }\n`);
  }
  await mkdir(path.join(root, 'app', 'etc'), { recursive: true });
  await writeFile(path.join(root, 'app', 'etc', 'config.php'), "<?php return ['modules' => []];\n");
  await writeFile(path.join(root, 'app', 'etc', 'empty.txt'), '');
  await mkdir(path.join(root, 'pub', 'media', 'catalog'), { recursive: true });
  await writeFile(path.join(root, 'pub', 'media', 'catalog', 'big.jpg'), randomBytes(3 << 20));
  await writeFile(path.join(root, 'pub', 'media', 'catalog', 'Bücher Ärger.png'), randomBytes(5000));
  await link(path.join(root, 'app', 'etc', 'config.php'), path.join(root, 'app', 'etc', 'config.linked.php'));
  await symlink('../app/etc/config.php', path.join(root, 'pub', 'config-link.php'));
}

describe('lifeboat drill of a file backup on MariaDB', () => {
  let setup: CliShop;
  let env: Record<string, string>;
  let home: string;
  /** The shop's tree as the drill must leave it: Lifeboat's own folders left out. */
  const shopTree = () => fingerprintTree(setup.root, { ignore: (rel) => rel === 'var' });
  const scratchFolders = async () => (await readdir(home).catch(() => [] as string[])).filter((name) => name.startsWith('lifeboat-drill-tree-'));

  beforeAll(async () => {
    setup = await cliShop('drilltree', SHOP);
    env = setup.env;
    home = path.join(setup.root, 'var', 'lifeboat');
    await generateTree(setup.root);
  });

  afterAll(async () => {
    await setup?.drop();
  });

  const backup = async (...args: string[]) => {
    const result = await runCli(['backup', ...args, '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as { id: string; file: string };
  };
  const drill = async (id: string) => {
    const result = await runCli(['drill', id, '--json'], env);
    return { code: result.code, stderr: result.stderr, drill: JSON.parse(result.stdout) as TreeDrill };
  };
  const manifestOf = async (file: string) => JSON.parse(await readFile(path.join(setup.backupDir, `${file}.manifest.json`), 'utf8')) as Manifest;

  it('records a file index beside a System backup and drills the tree and the database, leaving the shop as it was', async () => {
    const taken = await backup('system');
    const manifest = await manifestOf(taken.file);
    // Every member: the tree's, and the dump.
    const { files, dirs, symlinks, hardlinks } = manifest.tree;
    expect(manifest.tree.index).toMatchObject({ file: `${taken.file}.files.gz`, entries: files + dirs + symlinks + hardlinks + 1 });
    const indexed = gunzipSync(await readFile(path.join(setup.backupDir, manifest.tree.index!.file))).toString('utf8');
    // A file's line goes on with where its member can be read from (its frame's offset, its header's
    // place in it), then the inode and ctime the file had when it was read.
    expect(indexed).toMatch(/^\["pub\/media\/catalog\/Bücher Ärger\.png","file",5000,"\d+",\d+,\d+,\d+,"\d+","\d+"\]$/m);
    // Whichever of the two names the walk meets second is the hard link.
    expect(indexed).toMatch(/^\["app\/etc\/config(\.linked)?\.php","hardlink",\d+,"\d+",\d+\]$/m);
    // A folder's and a symlink's line go on with mode, uid and gid, a symlink's then with its target.
    expect(indexed).toMatch(/^\["pub\/config-link\.php","symlink",0,"\d+",\d+,\d+,\d+,"\.\.\/app\/etc\/config\.php"\]$/m);
    expect(indexed).toMatch(/^\["pub\/media","dir",0,"\d+",\d+,\d+,\d+\]$/m);

    const treeBefore = await shopTree();
    const databaseBefore = await fingerprint(setup.shop);
    const { code, stderr, drill: result } = await drill(taken.id);
    expect(code, stderr).toBe(0);
    expect(result).toMatchObject({ ok: true, file: taken.file });
    expect(result.tables).toEqual([{ name: 'catalog_product_entity', rows: 3000, restoredRows: 3000, same: true }]);
    // The files, the hard link and the dump.
    expect(result.tree).toMatchObject({ compared: 12 * 25 + 6, differing: [], counts: { files: 12 * 25 + 4, hardlinks: 1 } });
    expect(result.tree.scratch).toMatch(new RegExp(`^folder ${home}/lifeboat-drill-tree-[A-Za-z0-9]{6}$`));
    expect(result.scratch).toMatch(/^schema .*__lb_drill_[0-9a-f]{8} and folder /);
    expect(await shopTree()).toEqual(treeBefore);
    expect(await fingerprint(setup.shop)).toEqual(databaseBefore);
    expect(await scratchFolders()).toEqual([]);

    // Without an ID the newest backup is drilled, whatever its type: here this System backup.
    const human = await runCli(['drill'], env);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout.startsWith(`${taken.file}: RESTORES`)).toBe(true);
    expect(human.stdout).toMatch(/: RESTORES: 1 tables, 3000 rows and 304 files restored into the scratch schema .* and folder .* \(removed\) in [\d.]+ s; every table and file is as the backup recorded it/);
  });

  it('drills a zstd code backup, which holds no database', async () => {
    const taken = await backup('code', '--compression', 'zstd');
    const { code, stderr, drill: result } = await drill(taken.id);
    expect(code, stderr).toBe(0);
    expect(result).toMatchObject({ ok: true, tables: [], tree: { differing: [] } });
    expect(result.tree.compared).toBe(12 * 25 + 3); // no pub/media
  });

  it('drills a Database and Media backup, whose index does not name pub itself', async () => {
    const taken = await backup('media');
    const { code, stderr, drill: result } = await drill(taken.id);
    expect(code, stderr).toBe(0);
    expect(result).toMatchObject({ ok: true, tree: { differing: [] } });
    expect(result.tree.compared).toBe(3); // big.jpg, the png and the dump
  });

  it('fails naming the files whose recorded size or content differs from what the archive restores', async () => {
    const taken = await backup('system');
    const manifest = await manifestOf(taken.file);
    const indexFile = path.join(setup.backupDir, manifest.tree.index!.file);
    // The recorded hash of one file and the size of another are changed, one entry removed, and the
    // manifest made to vouch for that index: the archive no longer holds what the index says.
    const lines = gunzipSync(await readFile(indexFile))
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('["app/code/Vendor/Module3/Model/Class7.php"'))
      .map((line) => {
        const [rel, type, size, mtime, crc] = JSON.parse(line) as [string, string, number, string, number];
        if (rel === 'app/code/Vendor/Module1/Model/Class2.php') return JSON.stringify([rel, type, size, mtime, (crc + 1) >>> 0]);
        if (rel === 'pub/media/catalog/big.jpg') return JSON.stringify([rel, type, size + 1, mtime, crc]);
        return line;
      });
    const altered = gzipSync(lines.join('\n') + '\n');
    await writeFile(indexFile, altered);
    manifest.tree.index = { ...manifest.tree.index!, size: altered.length, sha256: createHash('sha256').update(altered).digest('hex') };
    await writeFile(path.join(setup.backupDir, `${taken.file}.manifest.json`), JSON.stringify(manifest, null, 2));

    const treeBefore = await shopTree();
    const { code, drill: result } = await drill(taken.id);
    expect(code).toBe(1);
    expect(result.ok).toBe(false);
    expect(result.tree.differing).toEqual([
      { path: 'app/code/Vendor/Module1/Model/Class2.php', problem: 'content', recordedSize: expect.any(Number), restoredSize: expect.any(Number) },
      { path: 'app/code/Vendor/Module3/Model/Class7.php', problem: 'extra', restored: 'file', restoredSize: expect.any(Number) },
      { path: 'pub/media/catalog/big.jpg', problem: 'size', recordedSize: (3 << 20) + 1, restoredSize: 3 << 20 },
    ]);
    expect(result.tables.every((t) => t.same)).toBe(true);
    const human = await runCli(['drill', taken.id], env);
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('file app/code/Vendor/Module1/Model/Class2.php: ');
    expect(human.stderr).toMatch(/file app\/code\/Vendor\/Module1\/Model\/Class2\.php: \d+ bytes, but their content differs from the backup's \(CRC-32\)/);
    expect(human.stderr).toContain(`file pub/media/catalog/big.jpg: ${(3 << 20) + 1} bytes in the backup, ${3 << 20} restored`);
    const jobs = JSON.parse((await runCli(['jobs', '--limit', '1', '--json'], env)).stdout) as { kind: string; state: string; error?: string }[];
    expect(jobs[0]).toMatchObject({ kind: 'drill', state: 'failed' });
    expect(jobs[0].error).toContain('file app/code/Vendor/Module1/Model/Class2.php (content)');
    expect(await shopTree()).toEqual(treeBefore);
    expect(await scratchFolders()).toEqual([]);
    await runCli(['delete', taken.id, '--yes'], env);
    expect(existsSync(indexFile)).toBe(false);
  });

  it('names the first 1000 entries that differ and counts the rest, so a tree missing a big folder is not listed whole', async () => {
    const taken = await backup('code');
    const manifest = await manifestOf(taken.file);
    const indexFile = path.join(setup.backupDir, manifest.tree.index!.file);
    // 1005 files the index names that the archive does not hold: each is missing after the restore.
    const absent = Array.from({ length: 1005 }, (_, i) => JSON.stringify([`zz/gone/${String(i).padStart(4, '0')}.php`, 'file', 1, '0', 0]));
    const altered = gzipSync(gunzipSync(await readFile(indexFile)).toString('utf8') + absent.join('\n') + '\n');
    await writeFile(indexFile, altered);
    manifest.tree.index = { ...manifest.tree.index!, size: altered.length, sha256: createHash('sha256').update(altered).digest('hex') };
    await writeFile(path.join(setup.backupDir, `${taken.file}.manifest.json`), JSON.stringify(manifest, null, 2));

    const { code, drill: result } = await drill(taken.id);
    expect(code).toBe(1);
    expect(result.tree.differing).toHaveLength(1000);
    expect(result.tree.differing[0]).toEqual({ path: 'zz/gone/0000.php', problem: 'missing', recordedSize: 1 });
    expect(result.tree.differing.at(-1)).toMatchObject({ path: 'zz/gone/0999.php' });
    expect(result.tree.moreDiffering).toBe(5);
    const human = await runCli(['drill', taken.id], env);
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('  and 5 more entries that differ (only the first 1000 are named)');
    const jobs = JSON.parse((await runCli(['jobs', '--limit', '1', '--json'], env)).stdout) as { error?: string }[];
    expect(jobs[0].error).toMatch(/file zz\/gone\/0019\.php \(missing\), 985 more files$/);
  });

  it('fails naming the damage of an archive changed after its manifest was written, and nothing is compared', async () => {
    const taken = await backup('system');
    const archive = path.join(setup.backupDir, taken.file);
    const bytes = await readFile(archive);
    bytes[Math.floor(bytes.length / 2)] ^= 0x55;
    await writeFile(archive, bytes);
    const treeBefore = await shopTree();
    const { code, drill: result } = await drill(taken.id);
    expect(code).toBe(1);
    expect(result.ok).toBe(false);
    // The gzip stream breaks where the byte was changed: the damage is placed after the last whole member.
    expect(result.tree.damaged).toMatch(/^the gzip stream is broken: .+, (after .+, the last member restored whole|before its first member)$/);
    const human = await runCli(['drill', taken.id], env);
    expect(human.stderr).toMatch(new RegExp(`${taken.file}: DOES NOT RESTORE: .+; nothing was compared`));
    expect(await shopTree()).toEqual(treeBefore);
    expect(await scratchFolders()).toEqual([]);
    await runCli(['delete', taken.id, '--yes'], env);
  });

  it('verify checks the file index against the manifest, and a drill refuses to compare files with another index', async () => {
    const taken = await backup('code');
    const indexFile = path.join(setup.backupDir, `${taken.file}.files.gz`);
    const good = await runCli(['verify', taken.id, '--json'], env);
    expect(good.code, good.stderr).toBe(0);
    expect((JSON.parse(good.stdout) as { checked: string[] }).checked).toContain('file index');
    await writeFile(indexFile, Buffer.concat([await readFile(indexFile), gzipSync('["app/etc/added.php","file",1,"1",1]\n')]));
    const bad = await runCli(['verify', taken.id], env);
    expect(bad.code).toBe(1);
    expect(bad.stdout + bad.stderr).toContain(`its file index ${taken.file}.files.gz is not the one its manifest names (size or sha256 differ)`);
    const { code, drill: result } = await drill(taken.id);
    expect(code).toBe(1);
    expect(result.tree.damaged).toBe(`its file index ${taken.file}.files.gz is not the one its manifest names (size or sha256 differ)`);
    await rm(indexFile);
    expect((await drill(taken.id)).drill.tree.damaged).toBe(`its file index ${taken.file}.files.gz is missing`);
    await runCli(['delete', taken.id, '--yes'], env);
  });

  it('lists a folder from the file index as it lists it from the archive', async () => {
    const taken = await backup('system');
    const listed = async (folder: string) => {
      const result = await runCli(['list', taken.id, '--files', folder, '--json'], env);
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as { entries: { name: string; type: string; size: number; mtime?: string }[] };
    };
    const fromIndex = [await listed(''), await listed('app/etc'), await listed('pub/media/catalog'), await listed('var')];
    expect(fromIndex[1].entries.map((e) => e.name)).toEqual(['config.linked.php', 'config.php', 'empty.txt']);
    expect(fromIndex[1].entries.filter((e) => e.type === 'hardlink')).toHaveLength(1);
    // The same backup without its index is listed by reading the archive: the same entries.
    const manifest = await manifestOf(taken.file);
    await rm(path.join(setup.backupDir, manifest.tree.index!.file));
    delete manifest.tree.index;
    await writeFile(path.join(setup.backupDir, `${taken.file}.manifest.json`), JSON.stringify(manifest, null, 2));
    expect([await listed(''), await listed('app/etc'), await listed('pub/media/catalog'), await listed('var')]).toEqual(fromIndex);
    await runCli(['delete', taken.id, '--yes'], env);
  });

  it('drills a backup made before file indexes as far as it can, and says its files were not compared', async () => {
    const taken = await backup('system');
    const manifest = await manifestOf(taken.file);
    await rm(path.join(setup.backupDir, manifest.tree.index!.file));
    delete manifest.tree.index;
    await writeFile(path.join(setup.backupDir, `${taken.file}.manifest.json`), JSON.stringify(manifest, null, 2));
    const { code, stderr, drill: result } = await drill(taken.id);
    expect(code, stderr).toBe(0);
    expect(result.ok).toBe(true);
    expect(result.tree).toMatchObject({ compared: 0, differing: [], counts: { files: 12 * 25 + 4 } });
    expect(result.tree.notCompared).toMatch(/^its files could not be compared with what the backup recorded: the backup was made before Lifeboat recorded a file index$/);
    const human = await runCli(['drill', taken.id], env);
    expect(human.stdout).toMatch(/RESTORES: .*; every table is as the backup recorded it$/m);
    expect(human.stderr).toContain('its files could not be compared with what the backup recorded');
  });

  it('drills an incremental backup from its content store, every restored entry compared with its listing', async () => {
    const taken = await backup('system', '--incremental');
    const { code, stderr, drill: result } = await drill(taken.id);
    expect(code, stderr).toBe(0);
    // The files, the hard link and the dump, as for the .tgz.
    expect(result).toMatchObject({ ok: true, tree: { compared: 12 * 25 + 6, differing: [], counts: { files: 12 * 25 + 4, hardlinks: 1 } } });
    expect(result.tree.notCompared).toBeUndefined();
    expect(result.tables.every((t) => t.same)).toBe(true);
    // Without an ID the newest backup is drilled, whatever its type: here this System backup.
    const human = await runCli(['drill'], env);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/: RESTORES: 1 tables, 3000 rows and 304 files restored into .*; every table and file is as the backup recorded it$/m);
    expect(human.stderr).toBe('');
  });

  it('fails an incremental drill naming each restored entry that is not as its listing recorded, and tells the notification channels', async () => {
    const taken = await backup('system', '--incremental');
    const hook = await startWebhookReceiver();
    // The drill pauses once its tree is restored; the restored tree is changed then, as a broken restore
    // would leave it, and the drill goes on to compare it.
    const drillAltered = async (args: string[]) => {
      const child = startCli(['drill', taken.id, ...args], { ...env, LIFEBOAT_PAUSE_AT: 'drill-restored', LIFEBOAT_NOTIFY_WEBHOOK: hook.url });
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
      const ended = new Promise<number | null>((resolve) => child.on('close', resolve));
      await new Promise<void>((resolve, reject) => {
        child.stderr?.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (stderr.includes('paused at drill-restored')) resolve();
        });
        void ended.then(() => reject(new Error(`the drill ended without pausing: ${stderr}`)));
      });
      const [folder] = await scratchFolders();
      const restored = path.join(home, folder, 'tree');
      const class2 = path.join(restored, 'app/code/Vendor/Module1/Model/Class2.php');
      const bytes = await readFile(class2);
      bytes[bytes.length - 3] ^= 0x20; // same size, other content
      await writeFile(class2, bytes);
      await rm(path.join(restored, 'app/code/Vendor/Module3/Model/Class7.php'));
      await writeFile(path.join(restored, 'app/etc/added.php'), 'not in the backup');
      await chmod(path.join(restored, 'app/etc/empty.txt'), 0o600);
      await rm(path.join(restored, 'pub/config-link.php'));
      await symlink('../elsewhere.php', path.join(restored, 'pub/config-link.php'));
      await rm(path.join(restored, 'pub/media/catalog'), { recursive: true });
      await writeFile(path.join(restored, 'pub/media/catalog'), 'a file where a folder was');
      child.kill('SIGUSR2');
      return { code: await ended, stdout, stderr };
    };
    try {
      const treeBefore = await shopTree();
      const json = await drillAltered(['--json']);
      expect(json.code, json.stderr).toBe(1);
      const result = JSON.parse(json.stdout) as TreeDrill;
      expect(result.ok).toBe(false);
      expect(result.tree.differing).toEqual([
        { path: 'app/code/Vendor/Module1/Model/Class2.php', problem: 'content', recordedSize: 104, restoredSize: 104, hash: 'sha256' },
        // A folder whose contents changed has another mtime.
        { path: 'app/code/Vendor/Module3/Model', problem: 'mtime', recorded: expect.stringMatching(/^\d+$/), restored: expect.stringMatching(/^\d+$/), entry: 'dir' },
        { path: 'app/code/Vendor/Module3/Model/Class7.php', problem: 'missing', recordedSize: 289 },
        { path: 'app/etc', problem: 'mtime', recorded: expect.any(String), restored: expect.any(String), entry: 'dir' },
        { path: 'app/etc/added.php', problem: 'extra', restored: 'file', restoredSize: 17 },
        { path: 'app/etc/empty.txt', problem: 'mode', recorded: expect.stringMatching(/^0[0-7]{3,4}$/), restored: '0600' },
        { path: 'pub', problem: 'mtime', recorded: expect.any(String), restored: expect.any(String), entry: 'dir' },
        { path: 'pub/config-link.php', problem: 'target', recorded: '../app/etc/config.php', restored: '../elsewhere.php', entry: 'symlink' },
        { path: 'pub/media', problem: 'mtime', recorded: expect.any(String), restored: expect.any(String), entry: 'dir' },
        { path: 'pub/media/catalog', problem: 'type', recorded: 'dir', restored: 'file', entry: 'dir' },
        { path: 'pub/media/catalog/Bücher Ärger.png', problem: 'missing', recordedSize: 5000 },
        { path: 'pub/media/catalog/big.jpg', problem: 'missing', recordedSize: 3 << 20 },
      ]);
      expect(result.tables.every((t) => t.same)).toBe(true);
      const jobs = JSON.parse((await runCli(['jobs', '--limit', '1', '--json'], env)).stdout) as { kind: string; state: string; error?: string }[];
      expect(jobs[0]).toMatchObject({ kind: 'drill', state: 'failed' });
      expect(jobs[0].error).toContain('file app/code/Vendor/Module1/Model/Class2.php (');
      expect(jobs[0].error).toContain('file app/etc/added.php (extra)');
      expect(hook.received).toHaveLength(1);
      expect(hook.received[0]).toMatchObject({ kind: 'drill', type: 'system', state: 'failed', error: expect.stringContaining('file app/code/Vendor/Module3/Model/Class7.php (missing)') });

      const human = await drillAltered([]);
      expect(human.code).toBe(1);
      expect(human.stderr).toMatch(new RegExp(`${taken.file}: DOES NOT RESTORE AS RECORDED: `));
      expect(human.stderr).toContain("file app/code/Vendor/Module1/Model/Class2.php: 104 bytes, but their content differs from the backup's (sha256)");
      expect(human.stderr).toMatch(/folder app\/etc: modified at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z in the backup, .+Z restored/);
      expect(human.stderr).toContain('file app/etc/added.php: restored (a file), but not in the backup\'s listing');
      expect(human.stderr).toMatch(/file app\/etc\/empty\.txt: mode 0[0-7]+ in the backup, 0600 restored/);
      expect(human.stderr).toContain('symlink pub/config-link.php: a symlink to ../app/etc/config.php in the backup, to ../elsewhere.php restored');
      expect(human.stderr).toContain('folder pub/media/catalog: a folder in the backup, a file restored');
      expect(human.stderr).toContain(`file pub/media/catalog/big.jpg: in the backup (${3 << 20} bytes), missing after the restore`);
      expect(await shopTree()).toEqual(treeBefore);
      expect(await scratchFolders()).toEqual([]);
    } finally {
      await hook.close();
    }
  });

  it('fails the drill of an incremental backup whose pack was damaged: nothing is compared, the database not restored', async () => {
    const taken = await backup('system', '--incremental');
    // The biggest pack holds big.jpg's pieces: one byte in its middle changed.
    const packs = (await readdir(path.join(setup.backupDir, 'incremental', 'data'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    const sized = await Promise.all(packs.map(async (e) => ({ file: path.join(e.parentPath, e.name), size: (await stat(path.join(e.parentPath, e.name))).size })));
    const biggest = sized.reduce((a, b) => (b.size > a.size ? b : a));
    const original = await readFile(biggest.file);
    const damaged = Buffer.from(original);
    damaged[damaged.length >> 1] ^= 0x55;
    await writeFile(biggest.file, damaged);
    try {
      const treeBefore = await shopTree();
      const databaseBefore = await fingerprint(setup.shop);
      const { code, drill: result } = await drill(taken.id);
      expect(code).toBe(1);
      expect(result).toMatchObject({ ok: false, tables: [], tree: { compared: 0, differing: [] } });
      expect(result.tree.damaged).toMatch(/blob [0-9a-f]{64}.*, (after .+, the last member restored whole|before its first member)$/);
      const human = await runCli(['drill', taken.id], env);
      expect(human.code).toBe(1);
      expect(human.stderr).toMatch(new RegExp(`${taken.file}: DOES NOT RESTORE: .+; nothing was compared`));
      const jobs = JSON.parse((await runCli(['jobs', '--limit', '1', '--json'], env)).stdout) as { kind: string; state: string; error?: string }[];
      expect(jobs[0]).toMatchObject({ kind: 'drill', state: 'failed', error: expect.stringContaining(`${taken.file} is damaged: `) });
      expect(await shopTree()).toEqual(treeBefore);
      expect(await fingerprint(setup.shop)).toEqual(databaseBefore);
      expect(await scratchFolders()).toEqual([]);
    } finally {
      await writeFile(biggest.file, original);
    }
  });

  it('removes the scratch folder a drill killed with kill -9 left, at the next drill', async () => {
    await writeFile(path.join(setup.root, 'pub', 'media', 'catalog', 'bigger.jpg'), randomBytes(48 << 20));
    const taken = await backup('code');
    const child = startCli(['drill', taken.id], env);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    // Killed once its scratch folder holds part of the tree (besides the owner record, written just after
    // the folder is made: a folder killed before it has no owner and is kept for an hour, by design).
    const holdsTree = async () => {
      const [folder] = await scratchFolders();
      return folder !== undefined && (await readdir(path.join(home, folder)).catch(() => [] as string[])).some((name) => name !== 'owner.json');
    };
    for (let i = 0; i < 600 && !(await holdsTree()); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGKILL');
    await exited;
    await rm(path.join(setup.root, 'pub', 'media', 'catalog', 'bigger.jpg'));
    const left = await scratchFolders();
    expect(left).toHaveLength(1);
    const { code, stderr, drill: result } = await drill(taken.id);
    expect(code, stderr).toBe(0);
    expect(result.ok).toBe(true);
    expect(await scratchFolders()).toEqual([]);
  });

  it('drills each scheduled System backup when the schedule says so', async () => {
    const set = await runCli(['schedule', 'set', '--type', 'system', '--frequency', 'daily', '--time', '02:00', '--timezone', 'UTC', '--drill'], env);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/then drilled/);
    const tomorrow = new Date(Date.now() + 24 * 3600 * 1000).toISOString().slice(0, 10);
    const ran = await runCli(['cron', '--at', `${tomorrow}T02:30:00Z`, '--json'], env);
    expect(ran.code, ran.stderr).toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject({ status: 'succeeded', drilled: true });
    expect(await scratchFolders()).toEqual([]);
  });
});
