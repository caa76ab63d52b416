// `lifeboat restore ID --to-database URL [--to-root DIR] [--base-url URL]` through the real command on the
// real MariaDB, as the shop's own user: a database backup and a System backup are restored into another
// database (created when missing) and folder, with Magento's base URLs set in the copy; the shop's tables
// (CHECKSUM TABLE and definitions) and files (sha256, mode, mtime) are the same before and after; what
// must not be done is refused in one line, before any work.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { cliShop, type CliShop } from '../helpers/cli-shop.js';
import { createTestSchema, databaseUrl, fingerprint, queryRows, testTarget, withConnection } from '../helpers/mysql.js';
import { fingerprintTree, treeDifferences, type TreeEntry } from '../helpers/tree.js';
import type { MysqlTarget } from '../../src/engines/target.js';

const SHOP = `
CREATE TABLE mg_core_config_data (config_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, scope VARCHAR(8) NOT NULL DEFAULT 'default', scope_id INT NOT NULL DEFAULT 0, path VARCHAR(255) NOT NULL, value TEXT) ENGINE=InnoDB;
INSERT INTO mg_core_config_data (scope, scope_id, path, value) VALUES
  ('default', 0, 'web/unsecure/base_url', 'https://shop.example.com/'),
  ('default', 0, 'web/secure/base_url', 'https://shop.example.com/'),
  ('websites', 1, 'web/secure/base_url', 'https://www.shop.example.com/'),
  ('default', 0, 'general/locale/code', 'en_US');
CREATE TABLE mg_catalog_product_entity (entity_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(64), price DECIMAL(12,4)) ENGINE=InnoDB;
INSERT INTO mg_catalog_product_entity (sku, price) SELECT CONCAT('sku-', seq), seq * 1.5 FROM seq_1_to_500;
CREATE TRIGGER mg_product_bu BEFORE UPDATE ON mg_catalog_product_entity FOR EACH ROW SET NEW.price = NEW.price;
`;

const ENV_PHP = `<?php
return [
    'db' => [
        'table_prefix' => 'mg_',
        'connection' => ['default' => ['host' => '127.0.0.1', 'dbname' => 'unused', 'username' => 'unused', 'password' => '']],
    ],
];
`;

/** Lifeboat's own folders in the shop (its archives, state and logs), which its jobs write. */
const own = (rel: string) => ['var/backups', 'var/lifeboat', 'var/log'].some((dir) => rel === dir || rel.startsWith(`${dir}/`));

interface ShopState {
  tables: Awaited<ReturnType<typeof fingerprint>>;
  files: TreeEntry[];
}

describe('lifeboat restore into another database and folder', () => {
  let setup: CliShop;
  let env: Record<string, string>;
  let base: string;
  let dbBackup: string;
  let systemBackup: string;
  let codeBackup: string;
  let filesAtBackup: TreeEntry[];
  const targets: { drop: () => Promise<void> }[] = [];

  const shopState = async (): Promise<ShopState> => ({ tables: await fingerprint(setup.shop), files: await fingerprintTree(setup.root, { ignore: own }) });
  const expectShopAsIt = async (was: ShopState) => {
    const now = await shopState();
    expect(now.tables).toEqual(was.tables);
    expect(treeDifferences(was.files, now.files, 0n, ['var'])).toEqual([]);
  };
  /** A database name on the test server that does not exist yet (dropped with its helper schemas afterwards). */
  const freshTarget = async (prefix: string): Promise<MysqlTarget> => {
    const schema = await createTestSchema(prefix, { asShopUser: true });
    targets.push(schema);
    await withConnection(testTarget(schema.target.database), (conn) => conn.query(`DROP DATABASE \`${schema.target.database}\``));
    return schema.target;
  };
  /**
   * The lines of stderr, each a warning (the copy's triggers belong to its own user, not the shop's; a
   * database made for the copy is told).
   */
  const warningsOf = (stderr: string) => {
    const lines = stderr.trim().split('\n').filter(Boolean);
    for (const line of lines) expect(line).toMatch(/^warning: /);
    return lines.map((line) => line.slice('warning: '.length));
  };
  const baseUrls = (target: MysqlTarget) =>
    queryRows<{ scope: string; path: string; value: string }>(target, "SELECT scope, path, value FROM mg_core_config_data WHERE path LIKE 'web/%' ORDER BY config_id");

  beforeAll(async () => {
    setup = await cliShop('restoreto', SHOP);
    env = setup.env;
    base = await mkdtemp(path.join(tmpdir(), 'lifeboat-restore-to-'));
    for (const dir of ['app/etc', 'app/code/Acme/Shop', 'pub/media/catalog', 'var/log']) await mkdir(path.join(setup.root, dir), { recursive: true });
    await writeFile(path.join(setup.root, 'app/etc/env.php'), ENV_PHP);
    await writeFile(path.join(setup.root, 'app/code/Acme/Shop/registration.php'), '<?php // module\n');
    await writeFile(path.join(setup.root, 'pub/media/catalog/shirt.jpg'), Buffer.alloc(30_000, 7));
    await writeFile(path.join(setup.root, 'index.php'), '<?php // entry\n');

    const db = await runCli(['backup', 'db', '--json'], env);
    expect(db.stderr).toBe('');
    dbBackup = JSON.parse(db.stdout).id;
    const system = await runCli(['backup', 'system', '--json'], env);
    expect(system.stderr).toBe('');
    systemBackup = JSON.parse(system.stdout).id;
    const code = await runCli(['backup', 'code', '--json'], env);
    expect(code.stderr).toBe('');
    codeBackup = JSON.parse(code.stdout).id;
    filesAtBackup = await fingerprintTree(setup.root, { ignore: own });

    // The shop moves on after its backups: a copy must hold the backups' content, not the shop's.
    await withConnection(setup.shop, (conn) => conn.query("UPDATE mg_catalog_product_entity SET sku = 'changed' WHERE entity_id <= 10; CREATE TABLE mg_added_later (id INT PRIMARY KEY)"));
    await writeFile(path.join(setup.root, 'index.php'), '<?php // changed after the backups\n');
  });

  afterAll(async () => {
    for (const target of targets) await target.drop();
    await setup?.drop();
  });

  it('restores a database backup into a database it creates, with the base URLs set, leaving the shop byte for byte as it was', async () => {
    const before = await shopState();
    const target = await freshTarget('rtdb');
    const result = await runCli(['restore', dbBackup, '--to-database', databaseUrl(target), '--base-url', 'https://staging.example.com/', '--yes', '--json'], env);
    expect(result.code).toBe(0);
    expect(warningsOf(result.stderr)).toContain(`database \`${target.database}\` did not exist and was created`);
    const outcome = JSON.parse(result.stdout) as { job: string; database: string; restored: { tables: number; rows: number }; baseUrl: string };
    expect(outcome.database).toBe(`mysql://${target.user}@${target.host}:${target.port}/${target.database}`);
    expect(outcome.restored.tables).toBe(2);
    expect(outcome.baseUrl).toBe('https://staging.example.com/');

    const products = await queryRows<{ n: number; changed: number }>(target, "SELECT COUNT(*) AS n, SUM(sku = 'changed') AS changed FROM mg_catalog_product_entity");
    expect(Number(products[0].n)).toBe(500);
    expect(Number(products[0].changed)).toBe(0);
    expect(await baseUrls(target)).toEqual([
      { scope: 'default', path: 'web/unsecure/base_url', value: 'https://staging.example.com/' },
      { scope: 'default', path: 'web/secure/base_url', value: 'https://staging.example.com/' },
      { scope: 'websites', path: 'web/secure/base_url', value: 'https://staging.example.com/' },
    ]);
    const [locale] = await queryRows<{ value: string }>(target, "SELECT value FROM mg_core_config_data WHERE path = 'general/locale/code'");
    expect(locale.value).toBe('en_US');
    const triggers = await queryRows(target, 'SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?', [target.database]);
    expect(triggers).toHaveLength(1);
    const helpers = await queryRows(target, 'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [`${target.database}\\_\\_lb\\_%`]);
    expect(helpers).toEqual([]);

    await expectShopAsIt(before);
    const [shopUrl] = await queryRows<{ value: string }>(setup.shop, "SELECT value FROM mg_core_config_data WHERE path = 'web/unsecure/base_url'");
    expect(shopUrl.value).toBe('https://shop.example.com/');

    const jobs = JSON.parse((await runCli(['jobs', '--json'], env)).stdout) as { id: string; kind: string; state: string }[];
    expect(jobs.find((job) => job.id === outcome.job)).toMatchObject({ kind: 'restore', state: 'succeeded' });
  });

  it('replaces what a database that exists holds, wholly', async () => {
    const target = await freshTarget('rtold');
    await withConnection(testTarget('mysql'), (conn) => conn.query(`CREATE DATABASE \`${target.database}\``));
    await withConnection(target, (conn) => conn.query('CREATE TABLE stale (id INT PRIMARY KEY); INSERT INTO stale VALUES (1)'));
    const before = await shopState();
    const result = await runCli(['restore', dbBackup, '--to-database', databaseUrl(target), '--yes'], env);
    expect(result.code).toBe(0);
    warningsOf(result.stderr);
    expect(result.stdout.trim()).toMatch(/^restored \d+_db\.sql\.gz: 2 tables, 504 rows into mysql:\/\/.*; the shop was not touched$/);
    const tables = await queryRows<{ name: string }>(target, 'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME', [target.database]);
    expect(tables.map((t) => t.name)).toEqual(['mg_catalog_product_entity', 'mg_core_config_data']);
    await expectShopAsIt(before);
  });

  it('restores a System backup into another database and folder, files as they were at the backup', async () => {
    const before = await shopState();
    const target = await freshTarget('rtsys');
    const toRoot = path.join(base, 'staging-shop');
    const result = await runCli(['restore', systemBackup, '--to-database', databaseUrl(target), '--to-root', toRoot, '--yes', '--json'], env);
    expect(result.code).toBe(0);
    warningsOf(result.stderr);
    const outcome = JSON.parse(result.stdout) as { root: string; tree: { files: number }; restored: { tables: number } };
    expect(outcome.root).toBe(toRoot);
    expect(outcome.restored.tables).toBe(2);
    expect(treeDifferences(filesAtBackup, await fingerprintTree(toRoot, { ignore: own }), 1000n, ['var'])).toEqual([]);
    expect(await readFile(path.join(toRoot, 'index.php'), 'utf8')).toBe('<?php // entry\n');
    const [row] = await queryRows<{ n: number }>(target, 'SELECT COUNT(*) AS n FROM mg_catalog_product_entity');
    expect(Number(row.n)).toBe(500);
    await expectShopAsIt(before);
  });

  it('restores only the database of a System backup when no folder is given, and says so', async () => {
    const before = await shopState();
    const target = await freshTarget('rtsysdb');
    const result = await runCli(['restore', systemBackup, '--to-database', databaseUrl(target), '--yes'], env);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^\d+_\w+\.tgz is a system archive and no --to-root was given: only its database is restored$/m);
    expect(result.stdout.trim()).toMatch(/^restored \d+_\w+\.tgz: 2 tables, 504 rows into mysql:\/\/.*; the shop was not touched$/);
    const [row] = await queryRows<{ n: number; changed: number }>(target, "SELECT COUNT(*) AS n, SUM(sku = 'changed') AS changed FROM mg_catalog_product_entity");
    expect(Number(row.n)).toBe(500);
    expect(Number(row.changed)).toBe(0);
    expect((await readdir(setup.backupDir)).filter((name) => name.startsWith('.'))).toEqual([]);
    await expectShopAsIt(before);
  });

  it('restores a code backup, which holds no database, into a folder alone', async () => {
    const before = await shopState();
    const toRoot = path.join(base, 'code-copy');
    const result = await runCli(['restore', codeBackup, '--to-root', toRoot, '--yes'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toMatch(new RegExp(`^restored \\d+_filesystem_code\\.tgz: \\d+ files, \\d+ folders, 0 symlinks into ${toRoot}; the shop was not touched$`));
    const codeAtBackup = filesAtBackup.filter((entry) => entry.path !== 'pub/media' && !entry.path.startsWith('pub/media/'));
    expect(treeDifferences(codeAtBackup, await fingerprintTree(toRoot, { ignore: own }), 1000n, ['var', 'pub'])).toEqual([]);
    expect(existsSync(path.join(toRoot, 'pub/media'))).toBe(false);
    await expectShopAsIt(before);
  });

  it('refuses in one line, before any work, what is not a restore into another place', async () => {
    const before = await shopState();
    const elsewhere = databaseUrl({ ...setup.copy, database: 'lbt_restoreto_never' });
    const refusals: [string[], RegExp][] = [
      [['restore', dbBackup, '--to-database', databaseUrl(setup.shop)], /^lifeboat: --to-database names the shop's own database .*use lifeboat rollback$/],
      [['restore', dbBackup, '--to-database', databaseUrl({ ...setup.shop, host: 'localhost' })], /--to-database names the shop's own database/],
      [['restore', dbBackup, '--to-database', 'postgres://x@y/z'], /^lifeboat: --to-database: unsupported database URL scheme "postgres:"/],
      [['restore', dbBackup, '--to-database', elsewhere, '--base-url', 'staging.example.com'], /^lifeboat: --base-url "staging.example.com" is not a URL; give/],
      [['restore', dbBackup, '--to-database', elsewhere, '--base-url', 'https://staging.example.com'], /must end with "\/"/],
      [['restore', dbBackup, '--to-database', elsewhere, '--to-root', base], /^lifeboat: --to-root restores files, and \d+_db\.sql\.gz is a database backup; leave --to-root out$/],
      [['restore', systemBackup, '--to-database', elsewhere, '--to-root', path.join(setup.root, 'pub/copy')], /^lifeboat: --to-root .* is inside the shop's root .*use lifeboat rollback\)$/],
      [['restore', systemBackup, '--to-database', elsewhere, '--to-root', path.dirname(setup.root)], /holds the shop's root/],
      [['restore', systemBackup, '--to-root', path.join(base, 'no-database')], /^lifeboat: \d+_\w+\.tgz holds a database: give --to-database URL, the database to restore it into \(created if missing\)$/],
      [['restore', dbBackup], /^lifeboat: name where to restore: --to-database URL/],
      [['restore', codeBackup, '--to-root', path.join(base, 'code-url'), '--base-url', 'https://staging.example.com/'], /^lifeboat: --base-url sets the base URLs in the copy's database, and \d+_filesystem_code\.tgz holds none: leave --base-url out$/],
    ];
    for (const [args, expected] of refusals) {
      const result = await runCli([...args, '--yes'], env);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(result.stderr.trim()).toMatch(expected);
    }
    const databases = await queryRows(setup.shop, 'SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', ['lbt_restoreto_never']);
    expect(databases).toEqual([]);
    await expectShopAsIt(before);
  });
});
