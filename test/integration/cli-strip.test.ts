// `--strip`: a backup without the rows of chosen tables (groups or globs), through the real `lifeboat`
// command on the real MariaDB, as the shop's own user: the stripped tables keep their structure,
// triggers and AUTO_INCREMENT and load with the stock client; the rest is whole; a rollback of the live
// shop to such a backup needs a second confirmation, on the command line and over the HTTP API.
import { execSync } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { cliShop, type CliShop } from '../helpers/cli-shop.js';
import { call, startServer, waitForJob, type Client } from '../helpers/server.js';
import { fingerprint, loadWithStockClient, queryRows, withConnection } from '../helpers/mysql.js';
import type { MysqlTarget } from '../../src/engines/target.js';

const SHOP = `
CREATE TABLE customer_entity (entity_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, email VARCHAR(255)) ENGINE=InnoDB;
CREATE TABLE customer_address_entity (entity_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, parent_id INT UNSIGNED, street TEXT) ENGINE=InnoDB;
CREATE TABLE sales_order (entity_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, customer_email VARCHAR(255), grand_total DECIMAL(20,4)) ENGINE=InnoDB;
CREATE TABLE sales_order_grid (entity_id INT UNSIGNED PRIMARY KEY, grand_total DECIMAL(20,4)) ENGINE=InnoDB;
CREATE TABLE catalog_product_entity (entity_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(64)) ENGINE=InnoDB;
CREATE TABLE catalog_product_price_cl (version_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, entity_id INT UNSIGNED) ENGINE=InnoDB;
INSERT INTO customer_entity (email) SELECT CONCAT('c', seq, '@example.com') FROM seq_1_to_40;
INSERT INTO customer_address_entity (parent_id, street) SELECT seq, CONCAT(seq, ' Main Street') FROM seq_1_to_40;
INSERT INTO sales_order (customer_email, grand_total) SELECT CONCAT('c', seq % 40, '@example.com'), seq * 9.99 FROM seq_1_to_120;
INSERT INTO sales_order_grid SELECT entity_id, grand_total FROM sales_order;
INSERT INTO catalog_product_entity (sku) SELECT CONCAT('SKU-', seq) FROM seq_1_to_50;
INSERT INTO catalog_product_price_cl (entity_id) SELECT seq FROM seq_1_to_30;
CREATE TRIGGER trg_order_grid AFTER INSERT ON sales_order FOR EACH ROW INSERT INTO sales_order_grid VALUES (NEW.entity_id, NEW.grand_total);
`;
const STRIPPED = ['catalog_product_price_cl', 'customer_address_entity', 'customer_entity', 'sales_order', 'sales_order_grid'];

interface Backup {
  id: string;
  file: string;
  path: string;
  strip?: { patterns: string[]; tables: string[] };
}

async function autoIncrement(target: MysqlTarget, table: string): Promise<number> {
  const rows = await queryRows<{ n: number }>(target, 'SELECT AUTO_INCREMENT AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [target.database, table]);
  return Number(rows[0].n);
}

async function count(target: MysqlTarget, table: string): Promise<number> {
  return Number((await queryRows<{ n: number }>(target, `SELECT COUNT(*) AS n FROM \`${table}\``))[0].n);
}

describe('backup --strip', () => {
  let setup: CliShop;
  let shop: MysqlTarget;
  let env: Record<string, string>;
  let backup: Backup;

  beforeAll(async () => {
    setup = await cliShop('strip', SHOP);
    ({ shop, env } = setup);
  });

  afterAll(async () => {
    await setup?.drop();
  });

  it('refuses an unknown group and a pattern that is no table name in one line, and a code backup takes no --strip, writing nothing', async () => {
    for (const args of [
      ['backup', 'db', '--strip', '@customer'],
      ['backup', 'db', '--strip', 'sales;drop'],
    ]) {
      const result = await runCli(args, env);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    const code = await runCli(['backup', 'code', '--strip', '@sales'], env);
    expect(code.code).toBe(2);
    expect(code.stderr).toMatch(/unknown option '--strip'/);
    expect((await runCli(['backup', 'db', '--strip', '@customer'], env)).stderr).toMatch(/no such group; groups are @admin, .*@customers/);
    await expect(readdir(setup.backupDir)).rejects.toThrow(); // not even the folder was made
  });

  it('leaves out the rows of the matched tables and keeps their structure, triggers and AUTO_INCREMENT', async () => {
    const result = await runCli(['backup', 'db', '--strip', '@customers', '--strip', '@sales,@changelog', '--strip', 'no_such_table', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    backup = JSON.parse(result.stdout);
    expect(backup.strip?.patterns).toEqual(['@customers', '@sales', '@changelog', 'no_such_table']);
    expect([...(backup.strip?.tables ?? [])].sort()).toEqual(STRIPPED);
    expect((backup as Backup & { warnings: string[] }).warnings).toContain('--strip no_such_table matched no table: every row of the other tables is in the backup');
    const manifest = JSON.parse(await readFile(`${backup.path}.manifest.json`, 'utf8'));
    for (const table of manifest.tables) expect(table.stripped === true, table.name).toBe(STRIPPED.includes(table.name));
    expect(manifest.tables.find((t: { name: string }) => t.name === 'catalog_product_entity').rows).toBe(50);

    await loadWithStockClient(setup.copy, backup.path);
    for (const table of STRIPPED) {
      expect(await count(setup.copy, table), table).toBe(0);
      expect(await autoIncrement(setup.copy, table), table).toBe(await autoIncrement(shop, table));
    }
    const [source, loaded] = await Promise.all([fingerprint(shop), fingerprint(setup.copy)]);
    expect(loaded.tables.catalog_product_entity).toEqual(source.tables.catalog_product_entity);
    expect(loaded.objects).toEqual(source.objects); // every definition, the trigger and AUTO_INCREMENT included
  });

  it('marks the backup in the list', async () => {
    const result = await runCli(['list'], env);
    expect(result.stdout).toMatch(new RegExp(`${backup.id}.*Database \\(stripped\\)`));
  });

  it('refuses to roll the live shop back to it without --allow-stripped, and changes nothing', async () => {
    const before = await fingerprint(shop);
    const refused = await runCli(['rollback', backup.id, '--yes'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/taken with --strip @customers @sales @changelog no_such_table: rolling back to it would empty or fill with fake data 5 table\(s\) of the live shop .*--allow-stripped/);
    expect(await fingerprint(shop)).toEqual(before);
  });

  it('rolls back one table the strip did not touch without the second confirmation', async () => {
    await withConnection(shop, (conn) => conn.query("UPDATE catalog_product_entity SET sku = 'changed' WHERE entity_id = 1"));
    const result = await runCli(['rollback', backup.id, '--table', 'catalog_product_entity', '--yes'], env);
    expect(result.code, result.stderr).toBe(0);
    expect((await queryRows<{ sku: string }>(shop, 'SELECT sku FROM catalog_product_entity WHERE entity_id = 1'))[0].sku).toBe('SKU-1');
    expect(await count(shop, 'customer_entity')).toBe(40);
  });

  it('with --allow-stripped rolls back and empties the stripped tables', async () => {
    const result = await runCli(['rollback', backup.id, '--yes', '--allow-stripped'], env);
    expect(result.code, result.stderr).toBe(0);
    for (const table of STRIPPED) expect(await count(shop, table), table).toBe(0);
    expect(await count(shop, 'catalog_product_entity')).toBe(50);
  });

  it('over the HTTP API: takes a stripped backup, and rolls back to it only with allowStripped', async () => {
    await withConnection(shop, (conn) => conn.query("INSERT INTO customer_entity (email) VALUES ('new@example.com')"));
    const server = await startServer(env);
    try {
      const password = 'a long enough password';
      expect((await call(server.base, undefined, 'POST', '/api/setup', { token: server.setupToken, username: 'ada', password })).status).toBe(201);
      const response = await call(server.base, undefined, 'POST', '/api/session', { username: 'ada', password });
      const admin: Client = { cookie: (response.headers.get('set-cookie') ?? '').split(';')[0], csrf: ((await response.json()) as { csrfToken: string }).csrfToken };
      expect((await call(server.base, admin, 'POST', '/api/backups', { type: 'db', strip: '@sales' })).status).toBe(400);
      expect((await call(server.base, admin, 'POST', '/api/backups', { type: 'db', strip: ['@nope'] })).status).toBe(400);
      const started = await call(server.base, admin, 'POST', '/api/backups', { type: 'db', strip: ['@customers'] });
      expect(started.status).toBe(202);
      const done = await waitForJob(server.base, admin, ((await started.json()) as { job: { id: string } }).job.id);
      expect(done.state).toBe('succeeded');
      const listed = (await (await call(server.base, admin, 'GET', '/api/backups')).json()) as { backups: { id: string; strip?: { tables: string[] } }[] };
      const stripped = listed.backups.find((b) => b.id === done.backupId);
      expect([...(stripped?.strip?.tables ?? [])].sort()).toEqual(['customer_address_entity', 'customer_entity']);

      const refused = await call(server.base, admin, 'POST', `/api/backups/${done.backupId}/rollback`, { password });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: string }).error).toMatch(/would empty or fill with fake data 2 table\(s\) of the live shop/);
      expect(await count(shop, 'customer_entity')).toBe(1);
      const rolled = await call(server.base, admin, 'POST', `/api/backups/${done.backupId}/rollback`, { password, allowStripped: true });
      expect(rolled.status).toBe(202);
      expect((await waitForJob(server.base, admin, ((await rolled.json()) as { job: { id: string } }).job.id)).state).toBe('succeeded');
      expect(await count(shop, 'customer_entity')).toBe(0);
      expect(await count(shop, 'catalog_product_entity')).toBe(50);
    } finally {
      await server.stop();
    }
  });
});

describe('backup --strip on SQLite', () => {
  it('leaves out the rows and keeps the tables and their AUTOINCREMENT counters', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-strip-sqlite-'));
    const dbFile = path.join(dir, 'shop.db');
    const db = new DatabaseSync(dbFile);
    db.exec(`CREATE TABLE customer_entity (entity_id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT);
      CREATE TABLE catalog_product_entity (entity_id INTEGER PRIMARY KEY, sku TEXT);
      INSERT INTO customer_entity (email) VALUES ('a@example.com'), ('b@example.com'), ('c@example.com');
      INSERT INTO catalog_product_entity VALUES (1, 'SKU-1'), (2, 'SKU-2');`);
    db.close();
    const env = { LIFEBOAT_ROOT: dir, LIFEBOAT_DATABASE_URL: `sqlite://${dbFile}` };
    const result = await runCli(['backup', 'db', '--strip', '@customers', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const backup = JSON.parse(result.stdout) as Backup;
    expect(backup.strip?.tables).toEqual(['customer_entity']);
    const restored = path.join(dir, 'restored.db');
    execSync(`zcat '${backup.path}' | sqlite3 '${restored}'`);
    const copy = new DatabaseSync(restored, { readOnly: true });
    try {
      expect(copy.prepare('SELECT COUNT(*) AS n FROM customer_entity').get()).toEqual({ n: 0 });
      expect(copy.prepare('SELECT COUNT(*) AS n FROM catalog_product_entity').get()).toEqual({ n: 2 });
      expect(copy.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'customer_entity'").get()).toEqual({ seq: 3 });
    } finally {
      copy.close();
    }
  });
});
