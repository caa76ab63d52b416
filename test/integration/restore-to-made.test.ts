// What `lifeboat restore` makes for its copy (a database that was missing, the folders of --to-root) it
// removes again when the copy ends as it was, on the real MariaDB as the shop's own user: a restore of a
// damaged archive leaves no database and no folder behind, and a database that existed exactly as it was
// (CHECKSUM TABLE and definitions); a restore of a System backup cancelled with `lifeboat cancel` from
// another process (paused at a step, cancelled, let go on to its next check) exits 1 and is recorded as
// cancelled, with the database and folders it made gone, or a database and folder that were there as
// they were, and the shop's database and files unchanged; a restore killed with SIGKILL is warned about
// by `lifeboat list` (one line naming the copy and `lifeboat recover`, exit 0) and by GET /api/backups
// (the page's warning above the grid), and `lifeboat recover` then drops the database it had created and
// removes its folders, from what its journal recorded.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAtStep, runCli, startCli } from '../helpers/cli.js';
import { fingerprintTree } from '../helpers/tree.js';
import { addAccounts, call, signIn, startServer } from '../helpers/server.js';
import { cliShop, type CliShop } from '../helpers/cli-shop.js';
import { createTestSchema, databaseUrl, fingerprint, queryRows, testTarget, withConnection } from '../helpers/mysql.js';
import type { MysqlTarget } from '../../src/engines/target.js';

const SHOP = `
CREATE TABLE orders (id INT PRIMARY KEY, total DECIMAL(10,2), note VARCHAR(64)) ENGINE=InnoDB;
INSERT INTO orders SELECT seq, seq * 2.5, CONCAT('order number ', seq) FROM seq_1_to_20000;
`;

const PASSWORD = 'correct horse battery staple';

/** Runs `fn` with the archive's bytes changed in its middle (its manifest then no longer matches), then puts them back. */
async function withDamagedArchiveFile(file: string, fn: () => Promise<void>): Promise<void> {
  const original = await readFile(file);
  const damaged = Buffer.from(original);
  for (let at = Math.floor(damaged.length / 2); at < Math.floor(damaged.length / 2) + 64; at++) damaged[at] ^= 0x5a;
  await writeFile(file, damaged);
  try {
    await fn();
  } finally {
    await writeFile(file, original);
  }
}


describe('a restore into another place removes what it made when the copy ends as it was', () => {
  let setup: CliShop;
  let env: Record<string, string>;
  let base: string;
  const backups: { db: string; system: string } = { db: '', system: '' };
  const archives: { db: string; system: string } = { db: '', system: '' };
  const targets: { drop: () => Promise<void> }[] = [];
  const home = () => path.join(setup.root, 'var/lifeboat');

  /** A database name the shop's user may create, that does not exist yet. */
  const missingDatabase = async (prefix: string): Promise<MysqlTarget> => {
    const schema = await createTestSchema(prefix, { asShopUser: true });
    const name = `\`${schema.target.database}\``;
    // Its user is dropped through a session on it: the database must be there again by then.
    targets.push({ drop: () => withConnection(testTarget('mysql'), (conn) => conn.query(`CREATE DATABASE IF NOT EXISTS ${name}`)).then(schema.drop) });
    await withConnection(testTarget('mysql'), (conn) => conn.query(`DROP DATABASE ${name}`));
    return schema.target;
  };
  /** The databases named `database` or starting with its helper schemas' prefix. */
  const databasesOf = async (target: MysqlTarget) =>
    (await queryRows<{ name: string }>(testTarget('mysql'), 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ? OR SCHEMA_NAME LIKE ?', [target.database, `${target.database}\\_\\_lb\\_%`])).map((row) => row.name);
  const exists = (file: string) => stat(file).then(() => true, () => false);
  /** The shop's tree as a restore elsewhere must leave it: Lifeboat's own folders left out. */
  const shopTree = () => fingerprintTree(setup.root, { ignore: (rel) => rel === 'var' });
  const restoreJournals = async () => (await readdir(path.join(home(), 'restores')).catch(() => [] as string[])).filter((name) => name.endsWith('.journal.json'));

  beforeAll(async () => {
    setup = await cliShop('rtmade', SHOP);
    env = setup.env;
    base = await mkdtemp(path.join(tmpdir(), 'lifeboat-restore-made-'));
    await mkdir(path.join(setup.root, 'app/etc'), { recursive: true });
    await writeFile(path.join(setup.root, 'app/etc/config.php'), '<?php return [];\n');
    await writeFile(path.join(setup.root, 'index.php'), '<?php // entry\n');
    for (const type of ['db', 'system'] as const) {
      const backup = await runCli(['backup', type, '--json'], env);
      expect(backup.stderr).toBe('');
      const record = JSON.parse(backup.stdout) as { id: string; file: string };
      backups[type] = record.id;
      archives[type] = path.join(setup.backupDir, record.file);
    }
  });

  afterAll(async () => {
    for (const target of targets) await target.drop();
    await setup?.drop();
    await rm(base, { recursive: true, force: true });
  });

  it('a damaged database archive: no database is left where there was none, and one that existed is as it was', async () => {
    const shopBefore = await fingerprint(setup.shop);
    const missing = await missingDatabase('rtmiss');
    const existing = await createTestSchema('rtkeep', { asShopUser: true });
    targets.push(existing);
    await withConnection(existing.target, (conn) => conn.query("CREATE TABLE kept (id INT PRIMARY KEY, v VARCHAR(16)); INSERT INTO kept VALUES (1, 'before')"));
    const existingBefore = await fingerprint(existing.target);

    await withDamagedArchiveFile(archives.db, async () => {
      const intoMissing = await runCli(['restore', backups.db, '--to-database', databaseUrl(missing), '--yes'], env);
      expect(intoMissing.code).toBe(1);
      expect(intoMissing.stderr).toMatch(/damaged/);
      expect(await databasesOf(missing)).toEqual([]);

      const intoExisting = await runCli(['restore', backups.db, '--to-database', databaseUrl(existing.target), '--yes'], env);
      expect(intoExisting.code).toBe(1);
      expect(intoExisting.stderr).toMatch(/damaged/);
      expect(await fingerprint(existing.target)).toEqual(existingBefore);
      expect(await databasesOf(existing.target)).toEqual([existing.target.database]);
    });
    expect(await restoreJournals()).toEqual([]);
    expect(await fingerprint(setup.shop)).toEqual(shopBefore);
  });

  it('a damaged System archive: neither the database nor the folders it would have made are left', async () => {
    const missing = await missingDatabase('rtsysmiss');
    const made = path.join(base, 'damaged');
    await withDamagedArchiveFile(archives.system, async () => {
      const result = await runCli(['restore', backups.system, '--to-database', databaseUrl(missing), '--to-root', path.join(made, 'staging/shop'), '--yes'], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/damaged|unsafe/);
    });
    expect(await databasesOf(missing)).toEqual([]);
    expect(await exists(made)).toBe(false);
    expect(await readdir(base)).toEqual([]);
    expect(await restoreJournals()).toEqual([]);
  });

  it('a failure half-way through the swap of the files: they are put back, and the database and folders it made go', async () => {
    const missing = await missingDatabase('rtswap');
    const made = path.join(base, 'half-swapped');
    const result = await runCli(['restore', backups.system, '--to-database', databaseUrl(missing), '--to-root', path.join(made, 'shop'), '--yes'], { ...env, LIFEBOAT_FAIL_AT: 'file-renamed#2' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/failing at file-renamed#2/);
    expect(await databasesOf(missing)).toEqual([]);
    expect(await exists(made)).toBe(false);
    expect(await restoreJournals()).toEqual([]);
  });

  it('killed with SIGKILL: list warns about it, and recover drops the database and removes the folders it had made', async () => {
    const shopBefore = await fingerprint(setup.shop);
    const missing = await missingDatabase('rtkill');
    const made = path.join(base, 'killed');
    const toRoot = path.join(made, 'staging/shop');
    // Started before the kill: at its start a server settles what dead jobs left, as recover does.
    await addAccounts(env, PASSWORD, { users: { ada: 'admin' } });
    const server = await startServer(env);
    await killAtStep(['restore', backups.system, '--to-database', databaseUrl(missing), '--to-root', toRoot, '--yes'], env, 'database-staged');
    expect(await databasesOf(missing)).toContain(missing.database);
    expect(await exists(toRoot)).toBe(true);
    expect(await restoreJournals()).toHaveLength(1);

    const list = await runCli(['list'], env);
    expect(list.code).toBe(0);
    const warnings = list.stderr.trim().split('\n');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      new RegExp(`^warning: the restore of \\d+_\\w+\\.tgz into mysql://${missing.user}@[^ ]+/${missing.database} \\(job j\\w+\\) was interrupted at "database: staging" .*"lifeboat recover"`),
    );
    const json = await runCli(['list', '--json'], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toHaveLength(2);

    try {
      const ada = await signIn(server.base, 'ada', PASSWORD);
      const listed = (await (await call(server.base, ada, 'GET', '/api/backups')).json()) as { warnings: string[]; interruptedRestores: string[] };
      expect(listed.interruptedRestores).toEqual([warnings[0].slice('warning: '.length)]);
      expect(listed.warnings).toContain(listed.interruptedRestores[0]);
    } finally {
      await server.stop();
    }

    const recover = await runCli(['recover'], env);
    expect(recover.code).toBe(0);
    expect(recover.stdout).toContain(`dropped the database \`${missing.database}\`, which the restore had created`);
    expect(recover.stdout).toContain(`removed the folder ${made}, which the restore had made`);
    expect(await databasesOf(missing)).toEqual([]);
    expect(await exists(made)).toBe(false);
    expect(await restoreJournals()).toEqual([]);
    expect((await runCli(['list'], env)).stderr).toBe('');
    expect(await fingerprint(setup.shop)).toEqual(shopBefore);
  });

  /**
   * Runs `args` paused at `step`, cancels its job there with `lifeboat cancel` from another process, and
   * lets it go on to find the cancellation at its next check: its exit code and stderr, the cancel's
   * output, the job.
   */
  const cancelAtStep = async (args: string[], step: string, atPause: () => Promise<void> = async () => undefined) => {
    const child = startCli(args, { ...env, LIFEBOAT_PAUSE_AT: step });
    let stderr = '';
    const ended = new Promise<number | null>((resolve) => child.on('close', resolve));
    const says = (text: string) =>
      new Promise<void>((resolve, reject) => {
        const look = () => stderr.includes(text) && resolve();
        child.stderr?.on('data', look);
        void ended.then(() => reject(new Error(`lifeboat ${args[0]} ended before it said "${text}": ${stderr}`)));
        look();
      });
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await says(`paused at ${step}`);
    await atPause();
    const [job] = JSON.parse((await runCli(['jobs', '--limit', '1', '--json'], env)).stdout) as { id: string; kind: string; state: string }[];
    expect(job).toMatchObject({ kind: 'restore', state: 'running' });
    const cancelling = runCli(['cancel', job.id], env);
    await says('SIGTERM: stopping cleanly');
    child.kill('SIGUSR2'); // on from the pause
    const cancel = await cancelling;
    const [after] = JSON.parse((await runCli(['jobs', '--limit', '1', '--json'], env)).stdout) as { id: string; state: string; error?: string }[];
    return { code: await ended, stderr, cancel, job: after };
  };

  // Staged, nothing swapped yet; half-way through the swap of the files (the swap ends, and the cancel is
  // seen at the database's next check); the files swapped, the database not yet.
  it.each([
    ['files-staged', 'interrupted by SIGTERM'],
    ['database-staged', 'interrupted by SIGTERM'],
    ['file-renamed', 'the job was cancelled once the files were swapped, so the files were put back as they were: interrupted by SIGTERM'],
    ['files-swapped', 'the job was cancelled once the files were swapped, so the files were put back as they were: interrupted by SIGTERM'],
  ])('cancelled with lifeboat cancel at %s: the database and folders it made are gone, the shop as it was', async (step, error) => {
    const shopBefore = await fingerprint(setup.shop);
    const shopTreeBefore = await shopTree();
    const missing = await missingDatabase(`rtcancel${step.replace(/[^a-z]/g, '').slice(0, 8)}`);
    const made = path.join(base, 'cancelled');
    const toRoot = path.join(made, 'staging/shop');
    const { code, stderr, cancel, job } = await cancelAtStep(['restore', backups.system, '--to-database', databaseUrl(missing), '--to-root', toRoot, '--yes'], step, async () => {
      // What it made so far, before the cancel.
      expect(await exists(toRoot)).toBe(true);
      if (step !== 'files-staged') expect(await databasesOf(missing)).toContain(missing.database);
    });
    expect(cancel.stdout.trim()).toBe(`job ${job.id} cancelled`);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n').at(-1)).toBe(`lifeboat: ${error}`);
    expect(job).toMatchObject({ state: 'cancelled', error });
    expect(await databasesOf(missing)).toEqual([]);
    expect(await exists(made)).toBe(false);
    expect(await readdir(base)).toEqual([]);
    expect(await restoreJournals()).toEqual([]);
    expect(await fingerprint(setup.shop)).toEqual(shopBefore);
    expect(await shopTree()).toEqual(shopTreeBefore);
  });

  it('cancelled with lifeboat cancel once its database is staged: a database and a folder that were there are as they were, its staged tables gone', async () => {
    const shopBefore = await fingerprint(setup.shop);
    const shopTreeBefore = await shopTree();
    const existing = await createTestSchema('rtcancelkeep', { asShopUser: true });
    targets.push(existing);
    await withConnection(existing.target, (conn) => conn.query("CREATE TABLE kept (id INT PRIMARY KEY, v VARCHAR(16)); INSERT INTO kept VALUES (1, 'before')"));
    const existingBefore = await fingerprint(existing.target);
    const folder = path.join(base, 'kept');
    await mkdir(path.join(folder, 'app'), { recursive: true });
    await writeFile(path.join(folder, 'app/own.txt'), 'the copy\'s own file\n');
    const folderBefore = await fingerprintTree(folder);
    const { code, cancel, job } = await cancelAtStep(['restore', backups.system, '--to-database', databaseUrl(existing.target), '--to-root', folder, '--yes'], 'database-staged', async () => {
      expect((await databasesOf(existing.target)).length).toBeGreaterThan(1); // its staging schema
    });
    expect(cancel.stdout.trim()).toBe(`job ${job.id} cancelled`);
    expect(code).toBe(1);
    expect(job.state).toBe('cancelled');
    expect(await fingerprint(existing.target)).toEqual(existingBefore);
    expect(await databasesOf(existing.target)).toEqual([existing.target.database]);
    expect(await fingerprintTree(folder)).toEqual(folderBefore);
    expect(await readdir(base)).toEqual(['kept']);
    expect(await restoreJournals()).toEqual([]);
    expect(await fingerprint(setup.shop)).toEqual(shopBefore);
    expect(await shopTree()).toEqual(shopTreeBefore);
    await rm(folder, { recursive: true });
  });
});

describe('a restore into a new SQLite file removes the folders it made when the copy ends as it was', () => {
  let root: string;
  let env: Record<string, string>;
  let backupId: string;
  let archive: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'lifeboat-restore-made-sqlite-'));
    const shop = path.join(root, 'var/shop.db');
    await mkdir(path.dirname(shop), { recursive: true });
    const db = new DatabaseSync(shop);
    db.exec("CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT); INSERT INTO orders (note) VALUES ('one'), ('two')");
    db.close();
    env = { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: `sqlite://${shop}` };
    const backup = await runCli(['backup', 'db', '--json'], env);
    expect(backup.stderr).toBe('');
    const record = JSON.parse(backup.stdout) as { id: string; file: string };
    backupId = record.id;
    archive = path.join(root, 'var/backups', record.file);
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('a damaged archive leaves neither the file nor its folders; one killed is settled so by recover', async () => {
    const copyDir = path.join(tmpdir(), `lifeboat-sqlite-copy-${process.pid}-${Date.now()}`);
    const url = `sqlite://${path.join(copyDir, 'nested/copy.db')}`;
    await withDamagedArchiveFile(archive, async () => {
      const failed = await runCli(['restore', backupId, '--to-database', url, '--yes'], env);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/damaged/);
    });
    expect(existsSync(copyDir)).toBe(false);

    await killAtStep(['restore', backupId, '--to-database', url, '--yes'], env, 'database-staged');
    expect(existsSync(path.join(copyDir, 'nested'))).toBe(true);
    const list = await runCli(['list'], env);
    expect(list.code).toBe(0);
    expect(list.stderr).toMatch(/^warning: the restore of \d+_db\.sql\.gz into sqlite:\/\/.*copy\.db \(job j\w+\) was interrupted at "database: staging" .*"lifeboat recover"/);
    const recover = await runCli(['recover'], env);
    expect(recover.code).toBe(0);
    expect(recover.stdout).toContain(`removed the folder ${copyDir}, which the restore had made`);
    expect(existsSync(copyDir)).toBe(false);
  });
});
