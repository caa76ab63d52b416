// LIFEBOAT_STATE_URL / stateUrl: a MySQL/MariaDB schema of Lifeboat's own, never the shop's database.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';

describe('the state setting', () => {
  it('is unset by default: the SQLite file in the home', () => {
    expect(loadSettings({}, '/srv/shop').stateTarget).toBeUndefined();
  });

  it('reads the variable and the config file key', async () => {
    expect(loadSettings({ LIFEBOAT_STATE_URL: 'mysql://lb:p%40ss@db.internal:3307/lifeboat' }, '/srv/shop').stateTarget).toEqual({
      kind: 'mysql', host: 'db.internal', port: 3307, user: 'lb', password: 'p@ss', database: 'lifeboat',
    });
    const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-config-state-'));
    await writeFile(path.join(dir, 'lifeboat.config.json'), JSON.stringify({ databaseUrl: 'mysql://shop@db/magento', stateUrl: 'mariadb://lb@db/lifeboat' }));
    expect(loadSettings({}, dir).stateTarget).toMatchObject({ host: 'db', database: 'lifeboat', user: 'lb' });
  });

  it("refuses the shop's own database, and what is not a MySQL/MariaDB URL", () => {
    const env = { LIFEBOAT_DATABASE_URL: 'mysql://magento@db:3306/magento', LIFEBOAT_STATE_URL: 'mysql://lifeboat@db:3306/magento' };
    expect(() => loadSettings(env, '/srv/shop')).toThrow(
      /^LIFEBOAT_STATE_URL names the shop's own database "magento": every backup would carry Lifeboat's users and sessions and a rollback would roll them back; give Lifeboat a schema of its own \(CREATE DATABASE lifeboat CHARACTER SET utf8mb4; GRANT ALL ON lifeboat\.\* TO 'lifeboat'@'%';\) and point LIFEBOAT_STATE_URL at it$/,
    );
    expect(() => loadSettings({ LIFEBOAT_STATE_URL: 'sqlite:///var/lib/lifeboat.db' }, '/srv/shop')).toThrow(/^LIFEBOAT_STATE_URL must be a MySQL\/MariaDB URL/);
    expect(() => loadSettings({ LIFEBOAT_STATE_URL: 'mysql://db.internal' }, '/srv/shop')).toThrow(/^LIFEBOAT_STATE_URL must be a MySQL\/MariaDB URL naming a schema of Lifeboat's own/);
  });
});
