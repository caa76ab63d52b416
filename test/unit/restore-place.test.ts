// Where `lifeboat restore` may write, and the base URL it may set: each refusal is one line naming what
// was wrong, before any work.
import { mkdtemp, mkdir, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseUrlStatements, checkBaseUrl, configTableOf } from '../../src/core/restore/base-url.js';
import { restoreRoot, restoreTarget, type ShopPlaces } from '../../src/core/restore/restore-place.js';
import { parseDatabaseUrl } from '../../src/engines/target.js';
import type { ShopConfig } from '../../src/shop/shop.js';
import type { BackupRecord } from '../../src/shared/types.js';

const shopDb = parseDatabaseUrl('mysql://shop:secret@127.0.0.1:3306/shop', '/');

describe('restoreTarget', () => {
  const shop: ShopPlaces = { target: shopDb, root: '/var/www/shop', backupDir: '/var/www/shop/var/backups', home: '/var/www/shop/var/lifeboat' };

  it('takes another database, on this server or another', () => {
    expect(restoreTarget('mysql://stage:pw@127.0.0.1:3306/staging', shop)).toMatchObject({ database: 'staging', password: 'pw' });
    expect(restoreTarget('mysql://shop:secret@db.example.com:3306/shop', shop)).toMatchObject({ host: 'db.example.com', database: 'shop' });
    expect(restoreTarget('mysql://shop:secret@127.0.0.1:3307/shop', shop)).toMatchObject({ port: 3307 });
  });

  it("refuses the shop's own database however the same server is named", () => {
    for (const url of ['mysql://other@127.0.0.1/shop', 'mysql://other@localhost:3306/shop', 'mysql://x@[::1]:3306/shop', 'mysql://x@localhost/shop?socket=/run/mysqld/mysqld.sock']) {
      expect(() => restoreTarget(url, shop), url).toThrow(/^--to-database names the shop's own database \(shop on the same server\); to put a backup back into the shop, use lifeboat rollback$/);
    }
  });

  it("refuses a name the shop's helper schemas use, and a URL it cannot read", () => {
    expect(() => restoreTarget('mysql://x@127.0.0.1/shop__lb_copy', shop)).toThrow(/a name kept for the shop's helper schemas/);
    expect(() => restoreTarget('mysql://x@127.0.0.1/', shop)).toThrow(/^--to-database: database URL .* names no database/);
  });

  it("refuses an SQLite shop's own file", () => {
    const sqliteShop = { ...shop, target: parseDatabaseUrl('sqlite:///srv/shop/var/shop.db', '/') };
    expect(() => restoreTarget('sqlite:///srv/shop/var/shop.db', sqliteShop)).toThrow(/names the shop's own database/);
    expect(restoreTarget('sqlite:///srv/copy.db', sqliteShop)).toMatchObject({ kind: 'sqlite', path: '/srv/copy.db' });
  });
});

describe('restoreRoot', () => {
  it('takes a folder apart from the shop, also one that does not exist yet, by its real path', async () => {
    const base = await mkdtemp(path.join(tmpdir(), 'lifeboat-restore-root-'));
    const root = path.join(base, 'shop');
    await mkdir(path.join(root, 'var'), { recursive: true });
    await symlink(root, path.join(base, 'link-to-shop'));
    const shop: ShopPlaces = { root, backupDir: path.join(root, 'var/backups'), home: path.join(root, 'var/lifeboat') };
    expect(await restoreRoot(path.join(base, 'staging', 'www'), shop)).toBe(path.join(base, 'staging', 'www'));
    await expect(restoreRoot(root, shop)).rejects.toThrow(/is the shop's root; restore into a folder apart from the shop/);
    await expect(restoreRoot(path.join(base, 'link-to-shop', 'pub', 'copy'), shop)).rejects.toThrow(/is inside the shop's root/);
    await expect(restoreRoot(base, shop)).rejects.toThrow(/holds the shop's root/);
    const outsideHome = { ...shop, home: path.join(base, 'lifeboat-home') };
    await expect(restoreRoot(path.join(base, 'lifeboat-home', 'copy'), outsideHome)).rejects.toThrow(/overlaps Lifeboat's home/);
  });
});

describe('--base-url', () => {
  it('takes an http(s) URL ending with "/" and refuses anything else in one line', () => {
    expect(checkBaseUrl('https://staging.example.com/')).toBe('https://staging.example.com/');
    expect(checkBaseUrl('http://127.0.0.1:8080/shop/')).toBe('http://127.0.0.1:8080/shop/');
    expect(() => checkBaseUrl('staging.example.com/')).toThrow(/is not a URL/);
    expect(() => checkBaseUrl('ftp://staging.example.com/')).toThrow(/is not an http or https URL/);
    expect(() => checkBaseUrl('https://staging.example.com')).toThrow(/must end with "\/"/);
    expect(() => checkBaseUrl("https://staging.example.com/it's/")).toThrow(/holds characters a base URL has not/);
    expect(() => checkBaseUrl('https://staging.example.com/?a=1/')).toThrow(/holds characters/);
  });

  const magento: ShopConfig = { platform: 'magento', label: 'Magento 2', file: '/srv/shop/app/etc/env.php', tablePrefix: 'mg_', notes: [] };
  const record = (tables: string[]) => ({ file: '1_db.sql.gz', manifest: { tables: tables.map((name) => ({ name })) } }) as unknown as BackupRecord;

  it("sets both URLs in the backup's core_config_data, with the shop's table prefix", () => {
    const table = configTableOf(magento, record(['mg_core_config_data', 'mg_store']));
    expect(table).toBe('mg_core_config_data');
    expect(baseUrlStatements(table, 'https://staging.example.com/')).toEqual([
      "UPDATE `mg_core_config_data` SET value = 'https://staging.example.com/' WHERE path IN ('web/unsecure/base_url', 'web/secure/base_url')",
    ]);
  });

  it('refuses a shop that is not Magento and a backup without the table', () => {
    expect(() => configTableOf({ ...magento, platform: 'wordpress', label: 'WooCommerce (WordPress)' }, record([]))).toThrow(/sets Magento's base URLs, and this shop is WooCommerce \(WordPress\); leave it out/);
    expect(() => configTableOf(magento, record(['core_config_data']))).toThrow(/^--base-url: 1_db.sql.gz holds no table mg_core_config_data/);
  });
});
