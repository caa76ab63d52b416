// `lifeboat restore` killed with SIGKILL before and after its commit point, on the real MariaDB: the copy
// is settled by `lifeboat recover` from the restore's own journal (the target's password sealed in it),
// wholly as it was or wholly the backup's, with no helper schema or journal left; meanwhile the shop's
// own jobs are never held up by it, also when it cannot be settled (its database user is gone), and the
// shop is the same throughout.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAtStep, runCli } from '../helpers/cli.js';
import { cliShop, type CliShop } from '../helpers/cli-shop.js';
import { createTestSchema, databaseUrl, fingerprint, queryRows, shopUser, testTarget, withConnection, type SchemaFingerprint } from '../helpers/mysql.js';
import type { MysqlTarget } from '../../src/engines/target.js';

const SHOP = `
CREATE TABLE orders (id INT PRIMARY KEY, total DECIMAL(10,2), note VARCHAR(64)) ENGINE=InnoDB;
INSERT INTO orders SELECT seq, seq * 2.5, CONCAT('order ', seq) FROM seq_1_to_2000;
CREATE TABLE customers (id INT PRIMARY KEY, email VARCHAR(128)) ENGINE=InnoDB;
INSERT INTO customers SELECT seq, CONCAT('c', seq, '@example.com') FROM seq_1_to_300;
`;

/** What the copy held before the restore: another shop's tables. */
const OLD_COPY = 'CREATE TABLE staging_only (id INT PRIMARY KEY, v VARCHAR(16)); INSERT INTO staging_only VALUES (1, \'before\'), (2, \'restore\')';

describe('a restore into another database killed at its steps, then recovered', () => {
  let setup: CliShop;
  let env: Record<string, string>;
  let backupId: string;
  let copy: { target: MysqlTarget; drop: () => Promise<void> };
  let shopBefore: SchemaFingerprint;
  let backupState: SchemaFingerprint;
  let oldCopy: SchemaFingerprint;
  const home = () => path.join(setup.root, 'var/lifeboat');

  /** Starts the restore, waits until it pauses at `step`, and kills it with SIGKILL. */
  const killRestore = (target: MysqlTarget, step: string) => killAtStep(['restore', backupId, '--to-database', databaseUrl(target), '--yes'], env, step);

  const restoreJournals = async () => (await readdir(path.join(home(), 'restores')).catch(() => [] as string[])).filter((name) => name.endsWith('.journal.json'));
  const helperSchemas = async (target: MysqlTarget) =>
    (await queryRows<{ name: string }>(testTarget('mysql'), 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [`${target.database}\\_\\_lb\\_%`])).map((row) => row.name);

  async function resetCopy(): Promise<void> {
    await withConnection(testTarget(copy.target.database), (conn) => conn.query(`DROP DATABASE \`${copy.target.database}\`; CREATE DATABASE \`${copy.target.database}\``));
    await withConnection(copy.target, (conn) => conn.query(OLD_COPY));
  }

  beforeAll(async () => {
    setup = await cliShop('rtcrash', SHOP);
    env = setup.env;
    const backup = await runCli(['backup', 'db', '--json'], env);
    expect(backup.stderr).toBe('');
    backupId = JSON.parse(backup.stdout).id;
    backupState = await fingerprint(setup.shop);
    await withConnection(setup.shop, (conn) => conn.query("UPDATE orders SET note = 'after the backup' WHERE id < 100"));
    shopBefore = await fingerprint(setup.shop);
    copy = await createTestSchema('rtcopy', { asShopUser: true });
    await withConnection(copy.target, (conn) => conn.query(OLD_COPY));
    oldCopy = await fingerprint(copy.target);
  });

  afterAll(async () => {
    await copy?.drop();
    await setup?.drop();
  });

  it('killed while staging: the shop\'s backup runs meanwhile, and recover leaves the copy as it was', async () => {
    await resetCopy();
    await killRestore(copy.target, 'database-staged');
    expect(await restoreJournals()).toHaveLength(1);
    // The shop's own job neither waits for nor trips over the restore's journal.
    const backup = await runCli(['backup', 'db'], env);
    expect(backup.code).toBe(0);
    // It is told of the dead job and its lock, not of the restore's journal, which is not its to settle.
    expect(backup.stderr).not.toMatch(/journal|recovered|settled/);
    expect(await restoreJournals()).toHaveLength(1);

    const recover = await runCli(['recover'], env);
    expect(recover.code).toBe(0);
    expect(recover.stdout).toMatch(/recovered the restore of \d+_db\.sql\.gz into mysql:\/\/lbu_\w+@[^ ]+ \(job j\w+\), interrupted at "database: staging": the copy is as it was before the restore/);
    expect(await fingerprint(copy.target)).toEqual(oldCopy);
    expect(await helperSchemas(copy.target)).toEqual([]);
    expect(await restoreJournals()).toEqual([]);
    expect(await fingerprint(setup.shop)).toEqual(shopBefore);
  });

  it('killed after its swap: the next restore settles it first, and the copy is the backup\'s', async () => {
    await resetCopy();
    await killRestore(copy.target, 'database-swapped');
    const other = await createTestSchema('rtnext', { asShopUser: true });
    try {
      const next = await runCli(['restore', backupId, '--to-database', databaseUrl(other.target), '--yes'], env);
      expect(next.code).toBe(0);
      expect(next.stderr).toMatch(/recovered the restore of .* interrupted at "database: committed": the copy is the backup's/);
      expect(await fingerprint(other.target)).toEqual({ ...backupState });
    } finally {
      await other.drop();
    }
    expect(await fingerprint(copy.target)).toEqual(backupState);
    expect(await helperSchemas(copy.target)).toEqual([]);
    expect(await restoreJournals()).toEqual([]);
    expect(await fingerprint(setup.shop)).toEqual(shopBefore);
  });

  it('one that cannot be settled (its user is gone) is told by recover and stops no backup or rollback of the shop', async () => {
    await resetCopy();
    const gone = await shopUser(testTarget(copy.target.database));
    await killRestore(gone.target, 'database-staged');
    await gone.drop();

    const recover = await runCli(['recover'], env);
    expect(recover.stdout).toMatch(/the restore of \d+_db\.sql\.gz into mysql:\/\/lbu_\w+@.* was interrupted and could not be settled \(.*Access denied.*\); fix that and run lifeboat recover, or if that copy is gone for good remove .*restore-j\w+\.journal\.json/);
    const backup = await runCli(['backup', 'db', '--json'], env);
    expect(backup.code).toBe(0);
    const rollback = await runCli(['rollback', JSON.parse(backup.stdout).id, '--yes'], env);
    expect(rollback.stderr).toBe('');
    expect(rollback.code).toBe(0);
    expect(await fingerprint(setup.shop)).toEqual(shopBefore);
    // A new restore waits for it: it could be writing into the same copy.
    const refused = await runCli(['restore', backupId, '--to-database', databaseUrl(copy.target), '--yes'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/could not be settled/);

    // Once it can be reached again, recover settles it.
    const back = await shopUser(testTarget(copy.target.database));
    await withConnection(testTarget('mysql'), (conn) => conn.query(`RENAME USER '${back.target.user}'@'%' TO '${gone.target.user}'@'%'; SET PASSWORD FOR '${gone.target.user}'@'%' = PASSWORD('${gone.target.password}')`));
    try {
      const again = await runCli(['recover'], env);
      expect(again.stdout).toMatch(/recovered the restore of .*: the copy is as it was before the restore/);
      expect(await fingerprint(copy.target)).toEqual(oldCopy);
      expect(await helperSchemas(copy.target)).toEqual([]);
      expect(await restoreJournals()).toEqual([]);
    } finally {
      await gone.drop();
    }
  });
});
