// A rollback job ends once the shop is whole; what it replaced (the old tree in the work folder, the old
// tables on MySQL/MariaDB) is removed afterwards by a detached process that the journal names. Through
// the real `lifeboat`, on the demo shop (SQLite) and on MariaDB as a shop's own user: the command
// returns with the shop already the backup's, the cleanup finishes on its own; while it runs, the next
// job (a rollback of the same database too) neither waits nor reports it; killed half-way (SIGKILL), the
// next `lifeboat recover` finishes it.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import type { MysqlTarget } from '../../src/engines/target.js';
import { runCli } from '../helpers/cli.js';
import { rollbackCleanedUp as cleanedUp, rollbackJournals as journalsIn } from '../helpers/rollback-cleanup.js';
import { createTestSchema, databaseUrl, queryRows, testTarget, withConnection } from '../helpers/mysql.js';

interface Journal {
  process: { pid: number };
  cleaningUp?: true;
  files?: { units: { work: string }[] };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function killAndWait(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  for (let waited = 0; alive(pid) && waited < 5000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('the removal of replaced files after a rollback', () => {
  let base: string;
  let root: string;
  let home: string;
  let env: Record<string, string>;
  let backupId: string;
  const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, { ...env, ...extra });
  const workFolders = async () => (await readdir(base)).filter((n) => n.startsWith('.lifeboat-'));
  const journals = () => journalsIn(home);
  const readJournal = async (name: string) => JSON.parse(await readFile(path.join(home, name), 'utf8')) as Journal;
  const settled = () => cleanedUp(home);

  /** Changes the shop (a file edited, one added), so that the rollback has something to put back. */
  async function changeShop(): Promise<void> {
    await writeFile(path.join(root, 'app/etc/env.php'), 'changed\n');
    await writeFile(path.join(root, 'added-after-the-backup.txt'), 'new\n');
  }

  async function expectBackupsShop(): Promise<void> {
    expect(await readFile(path.join(root, 'app/etc/env.php'), 'utf8')).not.toBe('changed\n');
    expect(existsSync(path.join(root, 'added-after-the-backup.txt'))).toBe(false);
  }

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'lifeboat-removal-'));
    const shop = await ensureDemoShop(path.join(base, 'shop'));
    root = shop.root;
    home = path.join(base, 'home');
    env = { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: shop.databaseUrl, LIFEBOAT_HOME: home, LIFEBOAT_BACKUP_DIR: path.join(base, 'backups') };
    const backup = await cli(['backup', 'system', '--json']);
    expect(backup.code).toBe(0);
    backupId = JSON.parse(backup.stdout).id;
  });

  it('returns with the shop whole; the replaced files go afterwards, with the journal', async () => {
    await changeShop();
    const rolled = await cli(['rollback', backupId, '--yes']);
    expect(rolled.stderr).toBe('');
    expect(rolled.code).toBe(0);
    await expectBackupsShop();
    const left = await journals();
    if (left.length) {
      const journal = await readJournal(left[0] as string);
      expect(journal.cleaningUp).toBe(true);
      expect(journal.process.pid).not.toBe(process.pid);
    }
    await settled();
    expect(await workFolders()).toEqual([]);
    expect((await cli(['recover'])).stdout).toMatch(/^nothing to recover/);
  });

  it('the next job does not wait for a removal that runs, and a removal killed half-way is finished by recover', async () => {
    await changeShop();
    const rolled = await cli(['rollback', backupId, '--yes'], { LIFEBOAT_PAUSE_AT: 'cleaning-up' });
    expect(rolled.code).toBe(0);
    await expectBackupsShop();
    // The detached process holds the journal, paused before it removes anything.
    const [name] = await journals();
    const journal = await readJournal(name as string);
    expect(journal).toMatchObject({ cleaningUp: true });
    expect(alive(journal.process.pid)).toBe(true);
    const work = journal.files?.units.map((unit) => unit.work) ?? [];
    expect(work.length).toBeGreaterThan(0);
    expect(await workFolders()).toEqual(work.map((folder) => path.basename(folder)));

    // A backup meanwhile neither waits nor reports the removal; recover leaves it alone and quiet.
    const backup = await cli(['backup', 'db', '--json']);
    expect(backup.code).toBe(0);
    expect(backup.stderr).toBe('');
    const quiet = await cli(['recover']);
    expect(quiet.stdout).toMatch(/^nothing to recover/);

    await killAndWait(journal.process.pid);
    const recovered = await cli(['recover']);
    expect(recovered.code).toBe(0);
    expect(recovered.stdout).toMatch(/^recovered the rollback to \d+_snapshot\.tgz \(job j[0-9a-f]+\), interrupted at "committed: removing what the rollback replaced": the shop is the backup's/m);
    expect(recovered.stdout).toContain(`removed the work folder ${work[0]}`);
    expect(await journals()).toEqual([]);
    expect(await workFolders()).toEqual([]);
    await expectBackupsShop();
  });
});

describe('the dropping of the old tables after a rollback (MariaDB, as the shop user)', () => {
  let shop: { target: MysqlTarget; drop: () => Promise<void> };
  let home: string;
  let env: Record<string, string>;
  let backupId: string;
  const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, { ...env, ...extra });
  const total = async () => Number((await queryRows<{ t: string }>(shop.target, 'SELECT SUM(v) AS t FROM orders'))[0]?.t);
  const change = () => withConnection(shop.target, (conn) => conn.query('UPDATE orders SET v = v + 1 WHERE id <= 10'));
  /** The helper schemas of the shop's database, seen by root. */
  const helperSchemas = async () =>
    (
      await queryRows<{ name: string }>(testTarget(shop.target.database), 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [
        `${shop.target.database}\\_\\_lb\\_%`,
      ])
    ).map((row) => row.name);
  let original: number;

  beforeAll(async () => {
    shop = await createTestSchema('bgclean', { asShopUser: true });
    await withConnection(shop.target, (conn) =>
      conn.query('CREATE TABLE orders (id INT PRIMARY KEY, v INT NOT NULL); INSERT INTO orders SELECT seq, seq FROM seq_1_to_1000;'),
    );
    original = await total();
    const base = await mkdtemp(path.join(tmpdir(), 'lifeboat-bgclean-'));
    home = path.join(base, 'home');
    const t = shop.target;
    env = {
      LIFEBOAT_ROOT: path.join(base, 'shop'),
      LIFEBOAT_HOME: home,
      LIFEBOAT_BACKUP_DIR: path.join(base, 'backups'),
      LIFEBOAT_DATABASE_URL: databaseUrl(t),
    };
    const backup = await cli(['backup', 'db', '--json']);
    expect(backup.code).toBe(0);
    backupId = JSON.parse(backup.stdout).id;
  });

  afterAll(async () => {
    await shop?.drop();
  });

  it('drops the old tables after the command ended; a rollback meanwhile is not refused; a killed drop is finished by recover', async () => {
    await change();
    const first = await cli(['rollback', backupId, '--yes']);
    expect(first.code).toBe(0);
    expect(await total()).toBe(original);
    await cleanedUp(home);
    expect(await helperSchemas()).toEqual([]);

    await change();
    const paused = await cli(['rollback', backupId, '--yes'], { LIFEBOAT_PAUSE_AT: 'cleaning-up' });
    expect(paused.code).toBe(0);
    expect(await total()).toBe(original);
    const [name] = await journalsIn(home);
    const journal = JSON.parse(await readFile(path.join(home, name as string), 'utf8')) as Journal & { database: { prev: string } };
    expect(journal.cleaningUp).toBe(true);
    expect(await helperSchemas()).toEqual([journal.database.prev]); // the old tables, not dropped yet

    // Another rollback of the same database meanwhile: neither refused by the restore lock nor told of the old tables.
    await change();
    const next = await cli(['rollback', backupId, '--yes']);
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    expect(await total()).toBe(original);
    for (let waited = 0; (await journalsIn(home)).length > 1 && waited < 30_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await cli(['recover'])).stdout).toMatch(/^nothing to recover/);

    await killAndWait(journal.process.pid);
    const recovered = await cli(['recover']);
    expect(recovered.code).toBe(0);
    expect(recovered.stdout).toContain(`dropped the helper schema \`${journal.database.prev}\``);
    expect(await journalsIn(home)).toEqual([]);
    expect(await helperSchemas()).toEqual([]);
    expect(await total()).toBe(original);
  });
});
