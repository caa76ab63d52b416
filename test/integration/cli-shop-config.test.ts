// Zero configuration on the shop's own server: the real `lifeboat` command, run in a Magento, Shopware or
// WordPress root with no LIFEBOAT_DATABASE_URL, backs up (and rolls back) the database the shop's own
// file names, over TCP and over the server's socket, as a shop's database user whose password has
// quotes, backslashes, dollars and non-ASCII characters in it.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTestSchema, queryRows, withConnection } from '../helpers/mysql.js';
import { shopRoot } from '../helpers/shop-root.js';
import { loadSettings, requireDatabase } from '../../src/config/settings.js';
import { openConnection } from '../../src/engines/mysql/connect.js';
import type { MysqlTarget } from '../../src/engines/target.js';

/** What shops' generated passwords rarely hold and hand-set ones do. */
const PASSWORD = `it's "q" \\ $HOME ⚓ p@ss:w/rd?#%`;

const phpSingle = (text: string) => `'${text.replace(/[\\']/g, (c) => '\\' + c)}'`;
const phpDouble = (text: string) => `"${text.replace(/[\\"$]/g, (c) => '\\' + c)}"`;

function envPhp(host: string, t: MysqlTarget): string {
  return `<?php
return [
    'backend' => ['frontName' => 'admin'],
    'db' => [
        'table_prefix' => '',
        'connection' => [
            'default' => [
                'host' => ${phpSingle(host)},
                'dbname' => ${phpSingle(t.database)},
                'username' => ${phpSingle(t.user)},
                'password' => ${phpSingle(t.password)},
                'model' => 'mysql4',
                'engine' => 'innodb',
                'initStatements' => 'SET NAMES utf8;',
                'active' => '1',
                'driver_options' => [1014 => false],
            ],
        ],
    ],
    'MAGE_MODE' => 'production',
];
`;
}

describe('lifeboat in a shop root with no LIFEBOAT_DATABASE_URL', () => {
  let shop: { target: MysqlTarget; drop: () => Promise<void> };
  let target: MysqlTarget;
  let socket: string;

  beforeAll(async () => {
    shop = await createTestSchema('zeroconf', { asShopUser: true });
    await withConnection(shop.target, (conn) =>
      conn.query("CREATE TABLE sales_order (entity_id INT PRIMARY KEY, status VARCHAR(32)); INSERT INTO sales_order VALUES (1, 'pending'), (2, 'complete');"),
    );
    target = { ...shop.target, password: PASSWORD };
    const admin = { ...shop.target, user: 'root', password: '' };
    await withConnection(admin, (conn) => conn.query('ALTER USER ?@? IDENTIFIED BY ?', [shop.target.user, '%', PASSWORD]));
    socket = (await queryRows<{ socket: string }>(admin, 'SELECT @@socket AS socket'))[0].socket;
  });

  afterAll(async () => {
    await shop?.drop();
  });

  async function backupIn(root: string, cwd?: string): Promise<{ id: string; file: string }> {
    const result = await runCli(['backup', 'db', '--json'], cwd ? {} : { LIFEBOAT_ROOT: root }, cwd);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const record = JSON.parse(result.stdout) as { id: string; file: string; path: string };
    expect(record.path.startsWith(path.join(root, 'var', 'backups'))).toBe(true);
    return record;
  }

  it("Magento over TCP: backup db in the root (or with LIFEBOAT_ROOT), and rollback, from app/etc/env.php", async () => {
    const root = await shopRoot({ 'app/etc/env.php': envPhp(`${target.host}:${target.port}`, target) });
    await backupIn(root, root);
    const backup = await backupIn(root);
    await withConnection(target, (conn) => conn.query("UPDATE sales_order SET status = 'canceled'"));
    const rollback = await runCli(['rollback', backup.id, '--yes'], { LIFEBOAT_ROOT: root });
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(await queryRows(target, 'SELECT status FROM sales_order ORDER BY entity_id')).toEqual([{ status: 'pending' }, { status: 'complete' }]);
  });

  it('connects over the socket when env.php names one (the server sees a local connection)', async () => {
    const settings = loadSettings({}, await shopRoot({ 'app/etc/env.php': envPhp(socket, target) }));
    const database = requireDatabase(settings);
    expect(database).toMatchObject({ socketPath: socket });
    const conn = await openConnection(database as MysqlTarget);
    try {
      const [rows] = await conn.query('SELECT HOST AS host FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()');
      expect(rows).toEqual([{ host: 'localhost' }]);
    } finally {
      await conn.end();
    }
  });

  it("Magento over the server's socket, named in env.php or found for \"localhost\"", async () => {
    await backupIn(await shopRoot({ 'app/etc/env.php': envPhp(socket, target) }));
    await backupIn(await shopRoot({ 'app/etc/env.php': envPhp('localhost', target) }));
    const config = await runCli(['config', '--json'], { LIFEBOAT_ROOT: await shopRoot({ 'app/etc/env.php': envPhp(socket, target) }) });
    expect(config.code).toBe(0);
    const report = JSON.parse(config.stdout);
    expect(report.settings.LIFEBOAT_DATABASE_URL).toMatchObject({ value: `mysql://${target.user}:********@localhost/${target.database}?socket=${socket}`, source: 'shop file' });
    expect(config.stdout).not.toContain('p@ss');
    const text = await runCli(['config'], { LIFEBOAT_ROOT: await shopRoot({ 'app/etc/env.php': envPhp('localhost', target) }) });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^shop {10}Magento 2 \(.*\/app\/etc\/env\.php\)\n/);
    expect(text.stdout).toMatch(/\nLIFEBOAT_DATABASE_URL +mysql:\/\/\S+:\*{8}@localhost\/\S+\?socket=\S+ +\S+env\.php \(db\/connection\/default\)\n/);
    expect(text.stdout).toMatch(/\nnotes:\n {2}- "localhost" is the local socket for PHP; found it at /);
  });

  it('Shopware: DATABASE_URL from .env.local over .env', async () => {
    const url = `mysql://${target.user}:${encodeURIComponent(PASSWORD)}@${target.host}:${target.port}/${target.database}`;
    const root = await shopRoot({
      'composer.json': '{"require": {"shopware/core": "~6.6.0"}}',
      '.env': 'APP_ENV=prod\nDATABASE_URL=mysql://root:root@localhost:3306/shopware\n',
      '.env.local': `# written by the installer\nDATABASE_URL="${url}"\n`,
    });
    await backupIn(root);
  });

  it('WordPress/WooCommerce: the DB_ constants of wp-config.php', async () => {
    const define = (name: string, value: string) => `define( '${name}', ${value} );\n`;
    const wpConfig =
      '<?php\n' +
      define('DB_NAME', phpSingle(target.database)) +
      define('DB_USER', phpDouble(target.user)) +
      define('DB_PASSWORD', phpDouble(PASSWORD)) +
      define('DB_HOST', phpSingle(`${target.host}:${target.port}`)) +
      "$table_prefix = 'wp_';\nif ( ! defined( 'ABSPATH' ) ) {\n\tdefine( 'ABSPATH', __DIR__ . '/' );\n}\nrequire_once ABSPATH . 'wp-settings.php';\n";
    await backupIn(await shopRoot({ 'wp-config.php': wpConfig, 'wp-content/plugins/woocommerce/woocommerce.php': '<?php\n' }));
  });

  // The advice's example URL has its "password" masked too, as every URL password the command prints.
  it('an env.php it cannot read fails the backup in one line, exit 2, and leaves other commands alone', async () => {
    const root = await shopRoot({ 'app/etc/env.php': envPhp('db', target).replace(phpSingle(PASSWORD), "getenv('MAGENTO_DB_PASSWORD')") });
    const backup = await runCli(['backup', 'db'], { LIFEBOAT_ROOT: root });
    expect(backup.code).toBe(2);
    expect(backup.stderr).toBe(
      `lifeboat: ${path.join(root, 'app/etc/env.php')} line 11: db/connection/default/password is a call to getenv(), not a plain value, and Lifeboat reads this file without running PHP; set LIFEBOAT_DATABASE_URL (e.g. mysql://user:********@host:3306/shop) instead\n`,
    );
    const list = await runCli(['list'], { LIFEBOAT_ROOT: root });
    expect(list.code).toBe(0);
    const url = `mysql://${target.user}:${encodeURIComponent(PASSWORD)}@${target.host}:${target.port}/${target.database}`;
    await runCli(['backup', 'db'], { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: url }).then((r) => expect(r.code, r.stderr).toBe(0));
  });
});
