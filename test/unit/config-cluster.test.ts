// The settings for several app servers: which job lock (LIFEBOAT_JOB_LOCK, or chosen when several
// maintenance roots are declared) and the maintenance roots, from variables and the config file.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { UsageError } from '../../src/shared/errors.js';
import { jobLockDatabase } from '../../src/core/jobs/lock-db.js';
import { jobLockKind } from '../../src/config/cluster.js';

const MYSQL = 'mysql://shop@db:3306/magento';

describe('several-servers settings', () => {
  it('keeps the lock file by default, and for SQLite shops', () => {
    expect(jobLockKind(loadSettings({ LIFEBOAT_DATABASE_URL: MYSQL }, '/'))).toBe('file');
    expect(jobLockKind(loadSettings({ LIFEBOAT_DATABASE_URL: 'sqlite:///srv/shop.db', LIFEBOAT_MAINTENANCE_ROOTS: '/mnt/web2' }, '/'))).toBe('file');
    expect(jobLockDatabase(loadSettings({}, '/'))).toBeUndefined();
  });

  it('uses the database lock when asked, or when several web roots are declared on a MySQL shop', () => {
    expect(jobLockKind(loadSettings({ LIFEBOAT_DATABASE_URL: MYSQL, LIFEBOAT_JOB_LOCK: 'mysql' }, '/'))).toBe('mysql');
    const declared = loadSettings({ LIFEBOAT_DATABASE_URL: MYSQL, LIFEBOAT_MAINTENANCE_ROOTS: '/mnt/web2' }, '/');
    expect(jobLockKind(declared)).toBe('mysql');
    expect(jobLockDatabase(declared)).toMatchObject({ host: 'db', database: 'magento' });
    expect(jobLockKind(loadSettings({ LIFEBOAT_DATABASE_URL: MYSQL, LIFEBOAT_MAINTENANCE_ROOTS: '/mnt/web2', LIFEBOAT_JOB_LOCK: 'file' }, '/'))).toBe('file');
  });

  it('refuses an unknown lock, and the database lock without a MySQL database', () => {
    expect(() => loadSettings({ LIFEBOAT_JOB_LOCK: 'redis' }, '/')).toThrow(UsageError);
    expect(() => jobLockDatabase(loadSettings({ LIFEBOAT_JOB_LOCK: 'mysql' }, '/'))).toThrow(/LIFEBOAT_JOB_LOCK=mysql needs a MySQL\/MariaDB shop database/);
  });

  it('resolves maintenance roots against the working folder, or the config file (where a list works too)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-cluster-config-'));
    expect(loadSettings({ LIFEBOAT_MAINTENANCE_ROOTS: 'web2, /mnt/web3 :' }, dir).maintenanceRoots).toEqual([path.join(dir, 'web2'), '/mnt/web3']);
    await writeFile(path.join(dir, 'lifeboat.config.yaml'), 'maintenanceRoots:\n  - /mnt/web2\n  - nodes/web3\njobLock: mysql\n');
    const fromFile = loadSettings({}, dir);
    expect(fromFile.maintenanceRoots).toEqual(['/mnt/web2', path.join(dir, 'nodes', 'web3')]);
    expect(fromFile.jobLock).toBe('mysql');
    expect(loadSettings({}, '/').maintenanceRoots).toBeUndefined();
  });
});
