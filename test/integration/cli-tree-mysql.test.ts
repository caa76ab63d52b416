// A System backup of a shop on the real MariaDB, through the real command: the dump inside the .tgz
// loads by hand with the stock client; rollback restores a damaged database and tree exactly; a
// Magento-style archive whose dump does not load leaves files and database as they were.
import { execFileSync, execSync } from 'node:child_process';
import { link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTestSchema, databaseUrl, fingerprint, type SchemaFingerprint, stockClient, withConnection } from '../helpers/mysql.js';
import { fingerprintTree, treeDifferences, type TreeEntry } from '../helpers/tree.js';
import type { MysqlTarget } from '../../src/engines/target.js';

const SCHEMA = `
CREATE TABLE store (store_id SMALLINT UNSIGNED PRIMARY KEY, code VARCHAR(32) NOT NULL UNIQUE, name VARCHAR(255));
CREATE TABLE sales_order (entity_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, store_id SMALLINT UNSIGNED, grand_total DECIMAL(20,4),
  note TEXT, CONSTRAINT fk_order_store FOREIGN KEY (store_id) REFERENCES store (store_id) ON DELETE SET NULL) ENGINE=InnoDB;
CREATE TABLE sales_order_grid (entity_id INT UNSIGNED PRIMARY KEY, grand_total DECIMAL(20,4));
INSERT INTO store VALUES (0, 'admin', 'Admin'), (1, 'default', 'Default Store View ⚓ ''quoted''');
INSERT INTO sales_order (store_id, grand_total, note) SELECT 1, seq * 1.5, CONCAT('note ', seq) FROM seq_1_to_2000;
CREATE VIEW order_totals AS SELECT store_id, COUNT(*) AS n, SUM(grand_total) AS total FROM sales_order GROUP BY store_id;
CREATE TRIGGER trg_order_grid AFTER INSERT ON sales_order FOR EACH ROW INSERT INTO sales_order_grid VALUES (NEW.entity_id, NEW.grand_total);
CREATE FUNCTION order_label(id INT) RETURNS VARCHAR(64) DETERMINISTIC RETURN CONCAT('#', LPAD(id, 9, '0'));
`;


describe('System backup and rollback on MariaDB', () => {
  let shop: { target: MysqlTarget; drop: () => Promise<void> };
  let copy: { target: MysqlTarget; drop: () => Promise<void> };
  let root: string;
  let env: Record<string, string>;
  let originalDb: SchemaFingerprint;
  let originalTree: TreeEntry[];
  let backup: { id: string; path: string; dump: string; engine: string; tables: number };
  // Lifeboat's own folders (backups, job state) live in var/ and are ignored by backups and rollbacks.
  const ownFolder = (rel: string) => ['var/backups', 'var/lifeboat'].some((dir) => rel === dir || rel.startsWith(`${dir}/`));
  const print = () => fingerprintTree(root, { ignore: ownFolder });

  beforeAll(async () => {
    shop = await createTestSchema('tree', { asShopUser: true });
    copy = await createTestSchema('treecopy', { asShopUser: true });
    await withConnection(shop.target, (conn) => conn.query(SCHEMA));
    originalDb = await fingerprint(shop.target);
    root = path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-tree-mysql-')), 'shop');
    await mkdir(path.join(root, 'app/etc'), { recursive: true });
    await mkdir(path.join(root, 'pub/media/catalog'), { recursive: true });
    await mkdir(path.join(root, 'var/backups'), { recursive: true });
    await writeFile(path.join(root, 'app/etc/env.php'), "<?php return ['db' => []];\n");
    await writeFile(path.join(root, 'pub/media/catalog/a.jpg'), Buffer.alloc(5000, 7));
    await link(path.join(root, 'app/etc/env.php'), path.join(root, 'app/etc/env.php.hardlink'));
    await symlink('../app/etc', path.join(root, 'pub/etc-link'));
    env = { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: databaseUrl(shop.target) };
    originalTree = await print();
  });

  afterAll(async () => {
    await shop?.drop();
    await copy?.drop();
  });

  it('backup system puts a MariaDB dump into the archive at var/<time>_db.sql.gz', async () => {
    const result = await runCli(['backup', 'system', '--json'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    backup = JSON.parse(result.stdout);
    expect(backup).toMatchObject({ engine: 'mysql', tables: 3, dump: expect.stringMatching(/^var\/\d{10}_db\.sql\.gz$/) });
    expect((await runCli(['verify', backup.id], env)).code).toBe(0);
  });

  it('the dump inside loads by hand with the stock client into an identical database', async () => {
    const client = await stockClient();
    const t = copy.target;
    execSync(`tar -xzOf '${backup.path}' '${backup.dump}' | gunzip | ${client} -h${t.host} -P${t.port} -u${t.user} ${t.database}`, { env: { ...process.env, MYSQL_PWD: t.password } });
    expect(await fingerprint(copy.target)).toEqual(originalDb);
  });

  it('rollback restores the damaged database and tree exactly', async () => {
    await withConnection(shop.target, async (conn) => {
      await conn.query('DELETE FROM sales_order WHERE entity_id % 3 = 0');
      await conn.query("UPDATE store SET name = 'broken'");
      await conn.query('DROP TRIGGER trg_order_grid');
      await conn.query('CREATE TABLE added_later (id INT PRIMARY KEY)');
    });
    await writeFile(path.join(root, 'app/etc/env.php'), 'broken');
    await rm(path.join(root, 'pub/media/catalog/a.jpg'));
    await writeFile(path.join(root, 'pub/new.php'), 'new');
    const result = await runCli(['rollback', backup.id, '--yes', '--json'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ type: 'system', database: { tables: 3 }, tree: { files: 2, hardlinks: 1, symlinks: 1 } });
    expect(await fingerprint(shop.target)).toEqual(originalDb);
    expect(treeDifferences(originalTree, await print(), 1000n, ['var'])).toEqual([]);
  });

  it('a Magento-style archive whose dump fails to load leaves the files and the database as they were', async () => {
    await withConnection(shop.target, (conn) => conn.query("UPDATE store SET name = 'current' WHERE store_id = 0"));
    const dbBefore = await fingerprint(shop.target);
    const treeBefore = await print();
    const time = Math.floor(Date.now() / 1000) - 7200;
    const src = path.join(root, '..', 'magento-src');
    await mkdir(path.join(src, 'var'), { recursive: true });
    await mkdir(path.join(src, 'app/etc'), { recursive: true });
    await writeFile(path.join(src, 'app/etc/env.php'), 'from the Magento archive');
    await writeFile(path.join(src, `var/${time}_db.sql`), 'CREATE TABLE store (id INT);\nINSERT INTO store VALUES (1);\nTHIS IS NOT SQL;\n');
    execFileSync('tar', ['-czf', path.join(root, 'var/backups', `${time}_snapshot.tgz`), '-C', src, 'app', 'var']);
    const result = await runCli(['rollback', `${time}_snapshot.tgz`, '--yes'], env);
    expect(result.code).toBe(1);
    // The dump loads into the staging schema before any file is swapped: it fails there, nothing changed.
    expect(result.stderr).toMatch(/^lifeboat: cannot restore database `[^`]+`: statement at byte offset \d+ failed: .*; the database was not changed\n$/);
    expect(await fingerprint(shop.target)).toEqual(dbBefore);
    expect(treeDifferences(treeBefore, await print(), 1000n, ['var'])).toEqual([]);
  });
});
