import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings, requireDatabase } from '../../src/config/settings.js';
import { UsageError } from '../../src/shared/errors.js';

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'lifeboat-config-'));
}

describe('settings', () => {
  it('defaults the folders under the shop root, as Magento does', async () => {
    const cwd = await tempDir();
    const s = loadSettings({}, cwd);
    expect(s.root).toBe(cwd);
    expect(s.backupDir).toBe(path.join(cwd, 'var', 'backups'));
    expect(s.home).toBe(path.join(cwd, 'var', 'lifeboat'));
    expect(s.databaseUrl).toBeUndefined();
  });

  it('reads a YAML or JSON config file, and the variable wins over the file', async () => {
    const cwd = await tempDir();
    await writeFile(path.join(cwd, 'lifeboat.config.yaml'), 'databaseUrl: mysql://shop:secret@db:3307/magento\nLIFEBOAT_ROOT: shop\n');
    const fromFile = loadSettings({}, cwd);
    expect(fromFile.root).toBe(path.join(cwd, 'shop'));
    expect(requireDatabase(fromFile)).toEqual({ kind: 'mysql', host: 'db', port: 3307, user: 'shop', password: 'secret', database: 'magento' });
    const overridden = loadSettings({ LIFEBOAT_DATABASE_URL: 'sqlite:///tmp/x.db', LIFEBOAT_BACKUP_DIR: '/srv/backups' }, cwd);
    expect(requireDatabase(overridden)).toEqual({ kind: 'sqlite', path: '/tmp/x.db' });
    expect(overridden.backupDir).toBe('/srv/backups');

    const other = await tempDir();
    await writeFile(path.join(other, 'custom.json'), JSON.stringify({ LIFEBOAT_DATABASE_URL: 'mariadb://root@127.0.0.1/test' }));
    expect(requireDatabase(loadSettings({ LIFEBOAT_CONFIG: 'custom.json' }, other))).toMatchObject({ kind: 'mysql', port: 3306, database: 'test' });
    expect(requireDatabase(loadSettings({ LIFEBOAT_DATABASE_URL: 'mysql://shop@[::1]:3307/shop' }, other))).toMatchObject({ host: '::1', port: 3307 });
  });

  it('reads LIFEBOAT_EXCLUDE as comma-separated globs, and a list in the config file', async () => {
    const cwd = await tempDir();
    expect(loadSettings({}, cwd).exclude).toEqual([]);
    expect(loadSettings({ LIFEBOAT_EXCLUDE: ' *.bak, pub/static/** ,,' }, cwd).exclude).toEqual(['*.bak', 'pub/static/**']);
    await writeFile(path.join(cwd, 'lifeboat.config.yaml'), 'exclude:\n  - "*.log"\n  - generated/**\n');
    expect(loadSettings({}, cwd).exclude).toEqual(['*.log', 'generated/**']);
    expect(loadSettings({ LIFEBOAT_EXCLUDE: 'node_modules' }, cwd).exclude).toEqual(['node_modules']);
  });

  it('names the setting and an example when something is missing or malformed', async () => {
    const cwd = await tempDir();
    expect(() => requireDatabase(loadSettings({}, cwd))).toThrow(/LIFEBOAT_DATABASE_URL is not set.*mysql:\/\//);
    expect(() => requireDatabase(loadSettings({ LIFEBOAT_DATABASE_URL: 'postgres://x/y' }, cwd))).toThrow(/LIFEBOAT_DATABASE_URL: unsupported .*"postgres:"/);
    expect(() => requireDatabase(loadSettings({ LIFEBOAT_DATABASE_URL: 'mysql://root@localhost/' }, cwd))).toThrow(/names no database/);
    expect(() => loadSettings({ LIFEBOAT_CONFIG: 'nope.json' }, cwd)).toThrow(UsageError);
    await writeFile(path.join(cwd, 'lifeboat.config.json'), '{"databaseURL": "x"}');
    expect(() => loadSettings({}, cwd)).toThrow(/unknown setting "databaseURL"/);
    await writeFile(path.join(cwd, 'lifeboat.config.json'), '{"databaseUrl": ');
    expect(() => loadSettings({}, cwd)).toThrow(/cannot read config file/);
  });
});
