// The database from the shop's own file, in its place among the settings: environment variable, then
// Lifeboat's config file, then the shop's file, then nothing.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings, requireDatabase } from '../../src/config/settings.js';
import { UsageError } from '../../src/shared/errors.js';
import { redact } from '../../src/shared/redact.js';
import { shopRoot } from '../helpers/shop-root.js';

const ENV_PHP = `<?php
return [
    'db' => [
        'table_prefix' => 'm2_',
        'connection' => [
            'default' => [
                'host' => '127.0.0.1:3307',
                'dbname' => 'magento',
                'username' => 'magento',
                'password' => 'Zer0-Config:p@ss/word',
            ],
        ],
    ],
];
`;

const magentoRoot = (envPhp = ENV_PHP) => shopRoot({ 'app/etc/env.php': envPhp });

describe('the database from the shop in the root', () => {
  it("is Magento's env.php when nothing else sets it, in the working folder or LIFEBOAT_ROOT", async () => {
    const root = await magentoRoot();
    const expected = { kind: 'mysql', host: '127.0.0.1', port: 3307, user: 'magento', password: 'Zer0-Config:p@ss/word', database: 'magento' };
    const here = loadSettings({}, root);
    expect(requireDatabase(here)).toEqual(expected);
    expect(here.shop).toMatchObject({ platform: 'magento', tablePrefix: 'm2_' });
    expect(here.origins.databaseUrl).toBeUndefined();
    expect(requireDatabase(loadSettings({ LIFEBOAT_ROOT: root }, tmpdir()))).toEqual(expected);
    // Its password is masked wherever it would show from now on.
    expect(redact('connect failed for Zer0-Config:p@ss/word')).not.toContain('Zer0-Config:p@ss/word');
  });

  it('gives way to the config file, and both to the environment variable', async () => {
    const root = await magentoRoot();
    await writeFile(path.join(root, 'lifeboat.config.json'), JSON.stringify({ databaseUrl: 'mysql://fromfile@db/file_db' }));
    const fromFile = loadSettings({}, root);
    expect(requireDatabase(fromFile)).toMatchObject({ host: 'db', database: 'file_db' });
    expect(fromFile.origins.databaseUrl).toBe('config file');
    expect(fromFile.shop?.tablePrefix).toBe('m2_'); // still read, for `lifeboat config`
    const fromEnv = loadSettings({ LIFEBOAT_DATABASE_URL: 'mysql://fromenv@db/env_db' }, root);
    expect(requireDatabase(fromEnv)).toMatchObject({ user: 'fromenv', database: 'env_db' });
    expect(fromEnv.origins.databaseUrl).toBe('environment');
  });

  it("reports an env.php it cannot read only where the database is needed, and not when it is set otherwise", async () => {
    const root = await magentoRoot(ENV_PHP.replace("'Zer0-Config:p@ss/word'", "getenv('DB_PASSWORD')"));
    const settings = loadSettings({}, root); // list, maintenance, ... still run
    expect(settings.databaseUrl).toBeUndefined();
    expect(() => requireDatabase(settings)).toThrow(UsageError);
    expect(() => requireDatabase(settings)).toThrow(
      `${path.join(root, 'app/etc/env.php')} line 10: db/connection/default/password is a call to getenv(), not a plain value, and Lifeboat reads this file without running PHP; set LIFEBOAT_DATABASE_URL (e.g. mysql://user:password@host:3306/shop) instead`,
    );
    expect(requireDatabase(loadSettings({ LIFEBOAT_DATABASE_URL: 'mysql://root@127.0.0.1/shop' }, root))).toMatchObject({ database: 'shop' });
  });

  it('says where it looked when there is no shop and no setting', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'lifeboat-config-none-'));
    expect(() => requireDatabase(loadSettings({}, empty))).toThrow(
      `LIFEBOAT_DATABASE_URL is not set and ${empty} holds no shop configuration Lifeboat reads (app/etc/env.php, wp-config.php, a Shopware .env): set it (or "databaseUrl" in lifeboat.config.json), e.g. mysql://user:password@127.0.0.1:3306/shop or sqlite:///path/to/shop.db`,
    );
  });

  it("keeps Lifeboat's own state out of the shop's database found in env.php", async () => {
    const root = await magentoRoot();
    expect(() => loadSettings({ LIFEBOAT_STATE_URL: 'mysql://lb@127.0.0.1:3307/magento' }, root)).toThrow(/names the shop's own database "magento"/);
  });
});
