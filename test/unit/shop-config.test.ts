// Reading the database and table prefix from the shop's own files: Magento's app/etc/env.php in the
// shapes installers and Docker setups write, Shopware's .env files, WordPress's wp-config.php.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readShopConfig } from '../../src/shop/detect.js';
import { databaseUrlOf, fileError, type ShopConfig, type ShopContext } from '../../src/shop/shop.js';
import { parseDatabaseUrl } from '../../src/engines/target.js';
import { shopRoot } from '../helpers/shop-root.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/shop-config');
/** No default socket: "localhost" is TCP, the same on every machine. */
const NO_SOCKETS: ShopContext = { env: {}, sockets: [] };

function read(root: string, context: ShopContext = NO_SOCKETS): ShopConfig {
  const config = readShopConfig(root, context);
  if (!config) throw new Error(`no shop found in ${root}`);
  return config;
}

/** An env.php with a default connection of these fields (values written as PHP). */
function envPhp(connection: Record<string, string>, extra = ''): string {
  const fields = Object.entries(connection).map(([key, value]) => `                '${key}' => ${value},`);
  return `<?php\nreturn [\n    'db' => [\n        'table_prefix' => '',\n        'connection' => [\n            'default' => [\n${fields.join('\n')}\n            ],${extra}\n        ]\n    ],\n];\n`;
}

const magento = (connection: Record<string, string>, extra = '') => shopRoot({ 'app/etc/env.php': envPhp(connection, extra) });

describe('Magento app/etc/env.php', () => {
  it("reads the installer's env.php; localhost is the local socket when there is one, else TCP", async () => {
    const root = await shopRoot({});
    await mkdir(path.join(root, 'app', 'etc'), { recursive: true });
    await copyFile(path.join(FIXTURES, 'magento-2.4-installer.env.php'), path.join(root, 'app', 'etc', 'env.php'));
    const config = read(root);
    expect(config).toMatchObject({ platform: 'magento', label: 'Magento 2', file: path.join(root, 'app/etc/env.php'), tablePrefix: '', notes: [] });
    expect(config.error).toBeUndefined();
    expect(config.database).toMatchObject({ user: 'magento', password: 'Mag3nto!', database: 'magento', origin: 'db/connection/default' });
    expect(config.database?.endpoint).toMatchObject({ host: 'localhost', port: 3306 });
    expect(config.database?.endpoint.socketPath).toBeUndefined();
    expect(config.database?.endpoint.note).toMatch(/none was found.*TCP/);

    const socket = path.join(root, 'mysqld.sock');
    await writeFile(socket, '');
    expect(read(root, { env: {}, sockets: ['/nonexistent/mysqld.sock', socket] }).database?.endpoint).toMatchObject({ host: 'localhost', socketPath: socket });
    const withPort = await magento({ host: "'localhost:3307'", dbname: "'m'", username: "'m'" });
    expect(read(withPort, { env: {}, sockets: [socket] }).database?.endpoint).toEqual({
      host: 'localhost',
      port: 3306,
      socketPath: socket,
      note: `"localhost" is the local socket for PHP; found it at ${socket} (PHP ignores the port 3307 then, and so does Lifeboat)`,
    });
  });

  it('reads the hosts Docker setups and split servers write', async () => {
    const cases: [string, { host: string; port: number; socketPath?: string }][] = [
      ["'db'", { host: 'db', port: 3306 }], // Warden, markshust/docker-magento, DDEV
      ["'mysql:3306'", { host: 'mysql', port: 3306 }],
      ["'127.0.0.1:3307'", { host: '127.0.0.1', port: 3307 }],
      ["'localhost:3307'", { host: 'localhost', port: 3307 }],
      ["'[::1]:3308'", { host: '::1', port: 3308 }],
      ["'::1'", { host: '::1', port: 3306 }],
      ["'/var/run/mysqld/mysqld.sock'", { host: 'localhost', port: 3306, socketPath: '/var/run/mysqld/mysqld.sock' }],
      ["'localhost:/tmp/mysql-8.sock'", { host: 'localhost', port: 3306, socketPath: '/tmp/mysql-8.sock' }],
    ];
    for (const [host, endpoint] of cases) {
      const config = read(await magento({ host, dbname: "'db'", username: "'db'", password: "'db'" }));
      expect(config.database?.endpoint, host).toMatchObject(endpoint);
      // The URL built for the rest of Lifeboat names the same place (an IPv6 address without its brackets).
      expect(parseDatabaseUrl(databaseUrlOf(config.database!), '/'), host).toEqual({ kind: 'mysql', user: 'db', password: 'db', database: 'db', ...endpoint });
    }
  });

  it('keeps passwords with quotes, backslashes, dollars and unicode exactly', async () => {
    const cases: [string, string][] = [
      [String.raw`'it\'s "quoted" \\ back\slash $HOME {$x}'`, String.raw`it's "quoted" \ back\slash $HOME {$x}`],
      [String.raw`"it's \"double\" \\ \$HOME \x41 \u{2693}"`, 'it\'s "double" \\ $HOME A ⚓'],
      ["'pässwörd 密码 🔑'", 'pässwörd 密码 🔑'],
      ['123456', '123456'],
      ["'p@ss:w/rd?#%'", 'p@ss:w/rd?#%'],
    ];
    for (const [php, password] of cases) {
      const config = read(await magento({ host: "'127.0.0.1'", dbname: "'shop'", username: "'shop'", password: php }));
      expect(config.database?.password, php).toBe(password);
      // The URL built for the rest of Lifeboat gives the same connection back.
      expect(parseDatabaseUrl(databaseUrlOf(config.database!), '/')).toEqual({ kind: 'mysql', host: '127.0.0.1', port: 3306, user: 'shop', password, database: 'shop' });
    }
  });

  it("reads the old array() style, the table prefix, and another connection to the same database", async () => {
    const root = await shopRoot({});
    await mkdir(path.join(root, 'app', 'etc'), { recursive: true });
    await copyFile(path.join(FIXTURES, 'magento-old-style.env.php'), path.join(root, 'app', 'etc', 'env.php'));
    const config = read(root);
    expect(config).toMatchObject({ tablePrefix: 'm2_', notes: [] });
    expect(config.database).toMatchObject({ endpoint: { host: '127.0.0.1', port: 3307 }, database: 'shop_live', user: 'shop', password: 'it\'s a "secret" \\ $HOME' });
  });

  it('says which other connections use another database (a split database)', async () => {
    const other = (db: string, host = "'localhost'") => `\n            '${db}' => ['host' => ${host}, 'dbname' => 'magento_${db}', 'username' => 'm', 'password' => 'p', 'active' => '1'],`;
    const root = await magento(
      { host: "'localhost'", dbname: "'magento'", username: "'m'", password: "'p'" },
      `${other('checkout')}${other('sales', "'sales-db:3307'")}\n            'indexer' => ['host' => 'localhost', 'dbname' => 'magento', 'username' => 'm', 'password' => 'p', 'persistent' => null],`,
    );
    expect(read(root).notes).toEqual([
      'db/connection/checkout uses database "magento_checkout": Lifeboat backs up only the default connection\'s database ("magento")',
      'db/connection/sales uses database "magento_sales" on sales-db:3307: Lifeboat backs up only the default connection\'s database ("magento")',
    ]);
  });

  it('notes driver options it does not apply (TLS)', async () => {
    const root = await magento({ host: "'db.example.com'", dbname: "'m'", username: "'m'", password: "'p'", driver_options: "[\\PDO::MYSQL_ATTR_SSL_CA => '/etc/ssl/rds.pem', 1014 => false]" });
    expect(read(root).notes).toEqual(['db/connection/default/driver_options sets PDO options (TLS certificates?) that Lifeboat does not apply; if it cannot connect, set LIFEBOAT_DATABASE_URL']);
  });

  it('refuses code where a value is needed, naming the file, the line and what to do, never the value', async () => {
    const root = await magento({ host: "'db'", dbname: "'m'", username: "'m'", password: "getenv('MAGENTO_DB_PASSWORD') ?: 'fallback-secret'" });
    const config = read(root);
    expect(config.database).toBeUndefined();
    expect(config.error).toBe(
      `${path.join(root, 'app/etc/env.php')} line 10: db/connection/default/password is a call to getenv(), not a plain value, and Lifeboat reads this file without running PHP; set LIFEBOAT_DATABASE_URL (e.g. mysql://user:password@host:3306/shop) instead`,
    );
    const cases: [Record<string, string>, RegExp][] = [
      [{ host: 'DB_HOST', dbname: "'m'", username: "'m'" }, /line 7: db\/connection\/default\/host is the constant DB_HOST, not a plain value/],
      [{ host: "'db'", dbname: "'shop_' . $env", username: "'m'" }, /line 8: db\/connection\/default\/dbname is a concatenation \(\.\)/],
      [{ host: "'db'", dbname: "'m'", username: '$_ENV["DB_USER"]' }, /line 9: db\/connection\/default\/username is the variable \$_ENV/],
      [{ host: "'db'", username: "'m'" }, /env\.php: has no db\/connection\/default\/dbname; set LIFEBOAT_DATABASE_URL/],
      [{ host: "'db:port'", dbname: "'m'", username: "'m'" }, /env\.php: db\/connection\/default\/host: the port "port" is not a number from 1 to 65535/],
      [{ host: "['db']", dbname: "'m'", username: "'m'" }, /db\/connection\/default\/host is an array, not a text/],
    ];
    for (const [connection, message] of cases) {
      const error = read(await magento(connection)).error;
      expect(error, JSON.stringify(connection)).toMatch(message);
      expect(error).not.toContain('\n');
      expect(error).not.toContain('fallback-secret');
    }
    expect(read(await shopRoot({ 'app/etc/env.php': "<?php\nreturn ['backend' => ['frontName' => 'admin']];" })).error).toMatch(/env\.php: has no db\/connection\/default\/host \(no db\/connection\/default at all\)/);
    expect(read(await shopRoot({ 'app/etc/env.php': "<?php\nreturn array_merge(\n  require 'env.base.php',\n  ['db' => []]\n);" })).error).toMatch(
      /env\.php line 2: the returned value is a call to array_merge\(\), not a plain value/,
    );
    // Run as another user than the shop's (as root here, the file cannot be made unreadable):
    expect(fileError('/var/www/shop/app/etc/env.php', Object.assign(new Error("EACCES: permission denied, open '/var/www/shop/app/etc/env.php'"), { code: 'EACCES' })).message).toBe(
      '/var/www/shop/app/etc/env.php: cannot be read: permission denied; run Lifeboat as the user the shop runs as, or set LIFEBOAT_DATABASE_URL (e.g. mysql://user:password@host:3306/shop) instead',
    );
    expect(read(await shopRoot({ 'app/etc/env.php': "<?php\nreturn [\n  'db' => [\n    'connection' => \n" })).error).toMatch(
      /env\.php line 4: ends where a value should be, which is not how Magento writes this file; set LIFEBOAT_DATABASE_URL/,
    );
  });
});

const WP_HEAD = "<?php\n// ** Database settings ** //\n";
const wp = (defines: Record<string, string>, tail = "\n$table_prefix = 'wp_';\n") =>
  WP_HEAD + Object.entries(defines).map(([name, value]) => `define( '${name}', ${value} );\n`).join('') + tail;

describe('WordPress wp-config.php', () => {
  it("reads WordPress's sample file with a socket in DB_HOST, and tells WooCommerce", async () => {
    const root = await shopRoot({});
    await copyFile(path.join(FIXTURES, 'wp-config.php'), path.join(root, 'wp-config.php'));
    expect(read(root)).toMatchObject({
      platform: 'wordpress',
      label: 'WordPress',
      tablePrefix: 'wp_',
      database: { endpoint: { socketPath: '/var/run/mysqld/mysqld.sock' }, user: 'woo', password: 'p@ss\'word"$x', database: 'woo_shop' },
    });
    await mkdir(path.join(root, 'wp-content', 'plugins', 'woocommerce'), { recursive: true });
    expect(read(root).label).toBe('WooCommerce (WordPress)');
  });

  it("reads DB_HOST in WordPress's forms", async () => {
    const cases: [string, { host: string; port: number; socketPath?: string }][] = [
      ["'mysql'", { host: 'mysql', port: 3306 }],
      ['"db:3307"', { host: 'db', port: 3307 }],
      ["'127.0.0.1'", { host: '127.0.0.1', port: 3306 }],
      ["'[::1]:3307'", { host: '::1', port: 3307 }],
      ["':/tmp/mysql.sock'", { host: 'localhost', port: 3306, socketPath: '/tmp/mysql.sock' }],
      ["'localhost'", { host: 'localhost', port: 3306 }],
    ];
    for (const [host, endpoint] of cases) {
      const config = read(await shopRoot({ 'wp-config.php': wp({ DB_NAME: "'wp'", DB_USER: "'wp'", DB_PASSWORD: "''", DB_HOST: host }) }));
      expect(config.database?.endpoint, host).toMatchObject(endpoint);
      expect(config.database?.password).toBe('');
    }
  });

  it('finds wp-config.php in the folder above, as WordPress does', async () => {
    const above = await shopRoot({ 'wp-config.php': wp({ DB_NAME: "'wp'", DB_USER: "'wp'", DB_PASSWORD: "'x'", DB_HOST: "'db'" }), 'public/wp-settings.php': '<?php\n' });
    expect(read(path.join(above, 'public'))).toMatchObject({ file: path.join(above, 'wp-config.php'), database: { database: 'wp' } });
  });

  it('refuses DB_ settings given by code or conditions, naming the line', async () => {
    const docker = wp({ DB_NAME: "getenv_docker('WORDPRESS_DB_NAME', 'wordpress')", DB_USER: "'wp'", DB_PASSWORD: "'x'", DB_HOST: "'db'" });
    const root = await shopRoot({ 'wp-config.php': docker });
    expect(read(root).error).toBe(
      `${path.join(root, 'wp-config.php')} line 3: DB_NAME is a call to getenv_docker(), not a plain value, and Lifeboat reads this file without running PHP; set LIFEBOAT_DATABASE_URL (e.g. mysql://user:password@host:3306/shop) instead`,
    );
    const conditional = `${WP_HEAD}if (getenv('STAGING')) {\n  define('DB_NAME', 'staging');\n} else {\n  define('DB_NAME', 'live');\n}\ndefine('DB_USER', 'u'); define('DB_PASSWORD', 'p'); define('DB_HOST', 'db');\n`;
    expect(read(await shopRoot({ 'wp-config.php': conditional })).error).toMatch(/line 4: DB_NAME is defined 2 times, and which one counts shows only when PHP runs/);
    const guarded = `${WP_HEAD}defined('DB_NAME') or define('DB_NAME', 'x');\ndefine('DB_USER', 'u'); define('DB_PASSWORD', 'p'); define('DB_HOST', 'db');\n`;
    expect(read(await shopRoot({ 'wp-config.php': guarded })).error).toMatch(/line 3: DB_NAME is defined under a condition/);
    const included = `${WP_HEAD}require __DIR__ . '/wp-config-db.php';\ndefine('WP_DEBUG', false);\n`;
    expect(read(await shopRoot({ 'wp-config.php': included })).error).toMatch(/wp-config\.php: defines no DB_NAME \(it may come from a file it includes\)/);
    const badPort = wp({ DB_NAME: "'wp'", DB_USER: "'wp'", DB_PASSWORD: "'x'", DB_HOST: "'db:99999'" });
    expect(read(await shopRoot({ 'wp-config.php': badPort })).error).toMatch(/line 6: DB_HOST: the port "99999" is not a number from 1 to 65535/);
  });

  it('reads the table prefix wherever the file sets it, and leaves it out when code sets it', async () => {
    const defines = { DB_NAME: "'wp'", DB_USER: "'wp'", DB_PASSWORD: "'x'", DB_HOST: "'db'" };
    expect(read(await shopRoot({ 'wp-config.php': wp(defines, '\n$table_prefix  = "shop1_";\n') })).tablePrefix).toBe('shop1_');
    expect(read(await shopRoot({ 'wp-config.php': wp(defines, "\n$table_prefix = getenv('PREFIX');\n") })).tablePrefix).toBeUndefined();
    expect(read(await shopRoot({ 'wp-config.php': wp(defines, '') })).tablePrefix).toBeUndefined();
  });
});

const SHOPWARE = { 'composer.json': '{"require": {"shopware/core": "6.6.*"}}' };

describe('Shopware .env files', () => {
  it('takes DATABASE_URL from .env.local over .env, and a process variable over both', async () => {
    const root = await shopRoot({ ...SHOPWARE, '.env': 'APP_ENV=prod\nDATABASE_URL=mysql://root:root@localhost:3306/shopware\n', '.env.local': '\n\nDATABASE_URL="mysql://shop:p%40ss%2Fw0rd@db:3307/sw6"\n' });
    const config = read(root);
    expect(config).toMatchObject({ platform: 'shopware', label: 'Shopware 6', file: path.join(root, '.env.local') });
    expect(config.tablePrefix).toBeUndefined();
    expect(config.database).toMatchObject({ endpoint: { host: 'db', port: 3307 }, user: 'shop', password: 'p@ss/w0rd', database: 'sw6', origin: 'DATABASE_URL, line 3' });
    const fromEnv = read(root, { env: { DATABASE_URL: 'mysql://app:secret@10.0.0.5/live' }, sockets: [] });
    expect(fromEnv).toMatchObject({ file: path.join(root, '.env') });
    expect(fromEnv.database).toMatchObject({ endpoint: { host: '10.0.0.5', port: 3306 }, user: 'app', database: 'live', file: 'the environment', origin: 'DATABASE_URL, which Shopware takes before its .env files' });
    expect(read(root, { env: { DATABASE_URL: 'mysql://app:secret@10.0.0.5' }, sockets: [] }).error).toBe(
      'the environment: DATABASE_URL names no database; set LIFEBOAT_DATABASE_URL (e.g. mysql://user:password@host:3306/shop) instead',
    );
  });

  it('reads the files Symfony reads for APP_ENV, and variables in them', async () => {
    const root = await shopRoot({
      ...SHOPWARE,
      '.env': 'APP_ENV=test\nDB_HOST=db\nDATABASE_URL=mysql://a:b@${DB_HOST}/base\n',
      '.env.local': 'DATABASE_URL=mysql://a:b@localhost/never-read-in-test\n',
      '.env.test': 'DATABASE_URL=mysql://a:b@${DB_HOST}:3310/shop_test\n',
    });
    expect(read(root).database).toMatchObject({ endpoint: { host: 'db', port: 3310 }, database: 'shop_test', file: path.join(root, '.env.test') });
    const prod = await shopRoot({ ...SHOPWARE, '.env': 'APP_ENV=prod\n', '.env.prod': 'DATABASE_URL=mysql://a:b@x/prod\n', '.env.prod.local': 'DATABASE_URL=mysql://a:b@x/prod_local\n' });
    expect(read(prod).database?.database).toBe('prod_local');
    expect(read(prod, { env: { APP_ENV: 'dev' }, sockets: [] }).error).toMatch(/no DATABASE_URL in \.env, \.env\.local or the environment/);
  });

  it('reads .env.local.php (composer dump-env) before the .env files', async () => {
    const root = await shopRoot({ ...SHOPWARE, '.env': 'DATABASE_URL=mysql://a:b@x/from_env\n', '.env.local.php': "<?php\n\n// This file was generated by running \"composer dump-env prod\"\n\nreturn array (\n  'APP_ENV' => 'prod',\n  'DATABASE_URL' => 'mysql://a:b@localhost/dumped?unix_socket=/run/mysqld/mysqld.sock',\n);\n" });
    expect(read(root).database).toMatchObject({ endpoint: { socketPath: '/run/mysqld/mysqld.sock' }, database: 'dumped', file: path.join(root, '.env.local.php') });
  });

  it('refuses what it cannot read, naming the file and line', async () => {
    const spaced = await shopRoot({ ...SHOPWARE, '.env': 'APP_ENV=prod\n', '.env.local': '# local\nDATABASE_URL = mysql://a:b@x/y\n' });
    expect(read(spaced).error).toBe(
      `${path.join(spaced, '.env.local')} line 2: has a space after DATABASE_URL: write DATABASE_URL=value (read as Symfony's Dotenv reads it); set LIFEBOAT_DATABASE_URL (e.g. mysql://user:password@host:3306/shop) instead`,
    );
    const postgres = await shopRoot({ ...SHOPWARE, '.env': 'DATABASE_URL=pgsql://a:b@x/y\n' });
    expect(read(postgres).error).toMatch(/\.env line 1: DATABASE_URL is a "pgsql" URL; Lifeboat reads MySQL\/MariaDB/);
    const command = await shopRoot({ ...SHOPWARE, '.env': 'DATABASE_URL=$(vault read db)\n' });
    expect(read(command).error).toMatch(/\.env line 1: runs a command/);
  });

  it('is told apart from other Symfony projects by a Shopware package', async () => {
    expect(readShopConfig(await shopRoot({ '.env': 'DATABASE_URL=mysql://a:b@x/y\n' }), NO_SOCKETS)).toBeUndefined();
    expect(readShopConfig(await shopRoot({ '.env': 'DATABASE_URL=mysql://a:b@x/y\n', 'vendor/shopware/core/composer.json': '{}' }), NO_SOCKETS)?.platform).toBe('shopware');
    expect(readShopConfig(await shopRoot({}), NO_SOCKETS)).toBeUndefined();
    expect(readShopConfig('/nonexistent/shop', NO_SOCKETS)).toBeUndefined();
  });
});
