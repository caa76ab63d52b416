// `lifeboat config`: every setting's effective value and where it came from, secrets masked, and the
// notes an operator needs about the shop's database.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { configReport } from '../../src/config/report.js';
import { shopRoot } from '../helpers/shop-root.js';

const PASSWORD = 'Sh0p-DB-Passw0rd';

function magentoRoot(host: string, prefix = ''): Promise<string> {
  const connection = `'default' => ['host' => '${host}', 'dbname' => 'magento', 'username' => 'magento', 'password' => '${PASSWORD}']`;
  return shopRoot({ 'app/etc/env.php': `<?php\nreturn ['db' => ['table_prefix' => '${prefix}', 'connection' => [${connection}]]];\n` });
}

describe('lifeboat config', () => {
  it("says the database comes from env.php, the rest from defaults, and never shows the password", async () => {
    const root = await magentoRoot('127.0.0.1:3307');
    const report = await configReport(loadSettings({}, root));
    const envPhp = path.join(root, 'app', 'etc', 'env.php');
    expect(report.shop).toEqual({ platform: 'magento', label: 'Magento 2', file: envPhp, tablePrefix: '', error: null });
    expect(report.configFile).toBeNull();
    expect(report.settings.LIFEBOAT_DATABASE_URL).toEqual({ value: 'mysql://magento:********@127.0.0.1:3307/magento', source: 'shop file', from: `${envPhp} (db/connection/default)` });
    expect(report.settings.LIFEBOAT_ROOT).toEqual({ value: root, source: 'default', from: 'the working folder' });
    expect(report.settings.LIFEBOAT_BACKUP_DIR).toEqual({ value: path.join(root, 'var', 'backups'), source: 'default', from: '<root>/var/backups' });
    expect(report.settings.LIFEBOAT_STATE_URL).toMatchObject({ value: null, source: 'default' });
    expect(report.settings.LIFEBOAT_JOB_LOCK).toMatchObject({ value: 'file', source: 'default' });
    expect(report.settings['LIFEBOAT_NOTIFY_*']).toMatchObject({ value: null, source: 'default' });
    expect(report.notes).toEqual([]);
    expect(JSON.stringify(report)).not.toContain(PASSWORD);
  });

  it('names the variable or the config file that set a value, masks tokens, and notes a database other than the shop\'s', async () => {
    const root = await magentoRoot('127.0.0.1:3307', 'm2_');
    const configFile = path.join(root, 'lifeboat.config.yaml');
    await writeFile(configFile, 'backupDir: /srv/backups\nnotify:\n  webhookUrl: https://hooks.example.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXX\n');
    const env = { LIFEBOAT_DATABASE_URL: 'mysql://other:pw@10.1.2.3/other_db', LIFEBOAT_METRICS_TOKEN: 'a'.repeat(32) };
    const report = await configReport(loadSettings(env, root));
    expect(report.configFile).toBe(configFile);
    expect(report.settings.LIFEBOAT_DATABASE_URL).toEqual({ value: 'mysql://other:********@10.1.2.3:3306/other_db', source: 'environment', from: 'LIFEBOAT_DATABASE_URL' });
    expect(report.settings.LIFEBOAT_BACKUP_DIR).toEqual({ value: '/srv/backups', source: 'config file', from: configFile });
    expect(report.settings.LIFEBOAT_METRICS_TOKEN).toEqual({ value: '********', source: 'environment', from: 'LIFEBOAT_METRICS_TOKEN' });
    expect(report.settings['LIFEBOAT_NOTIFY_*']).toEqual({ value: 'webhook https://hooks.example.com/…', source: 'config file', from: configFile });
    expect(report.shop?.tablePrefix).toBe('m2_');
    expect(report.notes).toEqual([
      'table prefix "m2_": backups and rollbacks take every table of the database, also those without the prefix',
      'the shop\'s own file names database "magento" on 127.0.0.1:3307, not the one LIFEBOAT_DATABASE_URL sets: Lifeboat uses the latter',
    ]);
    expect(JSON.stringify(report)).not.toMatch(/XXXXXXXXXXXX|aaaaaaaaaaaa|:pw@/);
  });

  it('writes a socket as ?socket= and an IPv6 host in brackets, as the URL takes them', async () => {
    const root = await shopRoot({});
    const value = async (url: string) => (await configReport(loadSettings({ LIFEBOAT_DATABASE_URL: url }, root))).settings.LIFEBOAT_DATABASE_URL.value;
    expect(await value('mysql://u:pw@[::1]:3307/db')).toBe('mysql://u:********@[::1]:3307/db');
    expect(await value('mysql://u@localhost/db?socket=/run/mysqld/mysqld.sock')).toBe('mysql://u@localhost/db?socket=/run/mysqld/mysqld.sock');
  });

  it('shows why the shop file gave no database, and a host that does not resolve here', async () => {
    const root = await magentoRoot('lifeboat-no-such-db-host');
    const report = await configReport(loadSettings({}, root));
    expect(report.notes).toEqual([
      'the database host "lifeboat-no-such-db-host" does not resolve here; a Docker service name resolves only inside the containers\' network: run Lifeboat there, or set LIFEBOAT_DATABASE_URL to an address reachable from here',
    ]);
    await writeFile(path.join(root, 'app', 'etc', 'env.php'), "<?php\nreturn ['db' => ['connection' => ['default' => ['host' => getenv('DB_HOST')]]]];\n");
    const broken = await configReport(loadSettings({}, root));
    expect(broken.settings.LIFEBOAT_DATABASE_URL).toMatchObject({ value: null, source: 'default' });
    expect(broken.settings.LIFEBOAT_DATABASE_URL.from).toMatch(/^none: .*env\.php could not be read/);
    expect(broken.shop?.error).toMatch(/env\.php line 2: db\/connection\/default\/host is a call to getenv\(\)/);
    expect(broken.notes).toEqual([broken.shop?.error]);
  });
});
