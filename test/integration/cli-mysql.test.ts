// The whole database backup life cycle through the real `lifeboat` command against the real MariaDB:
// backup, list, stock-client load, verify, rollback, refusal of damaged archives, delete, killed backups;
// as a Magento-like database user (ALL on the shop and its helper schemas, nothing global), as shops run.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFile, readdir, readFile, writeFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { cliShop, type CliShop } from '../helpers/cli-shop.js';
import { fingerprint, loadWithStockClient, type SchemaFingerprint, withConnection } from '../helpers/mysql.js';
import type { MysqlTarget } from '../../src/engines/target.js';
import { createDatabaseBackup } from '../../src/core/backup/database.js';
import { acquireJobLock } from '../../src/core/jobs/lock.js';
import { manifestFileName } from '../../src/repository/naming.js';

const SHOP_SCHEMA = `
CREATE TABLE store (store_id SMALLINT UNSIGNED PRIMARY KEY, code VARCHAR(32) NOT NULL UNIQUE, name VARCHAR(255));
CREATE TABLE sales_order (
  entity_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, store_id SMALLINT UNSIGNED, grand_total DECIMAL(20,4),
  status VARCHAR(32), note TEXT, created_at DATETIME(6) NOT NULL,
  CONSTRAINT fk_order_store FOREIGN KEY (store_id) REFERENCES store (store_id) ON DELETE SET NULL
) ENGINE=InnoDB;
CREATE TABLE sales_order_grid (entity_id INT UNSIGNED PRIMARY KEY, status VARCHAR(32), grand_total DECIMAL(20,4));
CREATE TABLE media_blob (id INT PRIMARY KEY, data LONGBLOB);
INSERT INTO store VALUES (0, 'admin', 'Admin'), (1, 'default', 'Default Store View \\'quoted\\' ⚓');
INSERT INTO sales_order (store_id, grand_total, status, note, created_at)
  SELECT 1, seq * 1.2345, IF(seq % 3, 'complete', 'pending'), CONCAT('note ', seq, ' ;; \\\\ "x"'), '2026-11-24 10:00:00.123456' + INTERVAL seq SECOND
  FROM seq_1_to_3000;
INSERT INTO media_blob VALUES (1, UNHEX(REPEAT('00FF1A5C27', 1000))), (2, ''), (3, NULL);
CREATE VIEW order_totals AS SELECT status, COUNT(*) AS n, SUM(grand_total) AS total FROM sales_order GROUP BY status;
CREATE TRIGGER trg_order_grid AFTER INSERT ON sales_order FOR EACH ROW
  INSERT INTO sales_order_grid VALUES (NEW.entity_id, NEW.status, NEW.grand_total);
CREATE FUNCTION order_label(id INT) RETURNS VARCHAR(64) DETERMINISTIC RETURN CONCAT('#', LPAD(id, 9, '0'));
`;

function sha256(buffer: Buffer): string {
  return createHash('sha256').update(buffer).digest('hex');
}

describe('lifeboat CLI on MariaDB', () => {
  let setup: CliShop;
  let shop: MysqlTarget;
  let copy: MysqlTarget;
  let backupDir: string;
  let env: Record<string, string>;
  let original: SchemaFingerprint;
  let backup: { id: string; file: string; path: string; sha256: string; size: number; type: string; name: string; time: number };

  beforeAll(async () => {
    setup = await cliShop('cli', SHOP_SCHEMA);
    ({ shop, copy, backupDir, env } = setup);
    original = await fingerprint(shop);
  });

  afterAll(async () => {
    await setup?.drop();
  });

  it('backup db --json writes a named, checksummed .sql.gz into <root>/var/backups', async () => {
    const result = await runCli(['backup', 'db', '--name', 'before upgrade!', '--json'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    backup = JSON.parse(result.stdout);
    expect(backup.file).toMatch(/^\d{10}_db_before_upgrade\.sql\.gz$/);
    expect(backup).toMatchObject({ type: 'db', name: 'before_upgrade', path: path.join(backupDir, backup.file) });
    const bytes = await readFile(backup.path);
    expect(backup.size).toBe(bytes.length);
    expect(backup.sha256).toBe(sha256(bytes));
    execFileSync('gzip', ['-t', backup.path]);
    const manifest = JSON.parse(await readFile(`${backup.path}.manifest.json`, 'utf8'));
    expect(manifest.tables.map((t: { name: string }) => t.name).sort()).toEqual(['media_blob', 'sales_order', 'sales_order_grid', 'store']);
    expect(manifest.tables.find((t: { name: string }) => t.name === 'sales_order').rows).toBe(3000);
    expect((await readdir(backupDir)).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('the archive loads with the stock client into an identical database', async () => {
    await loadWithStockClient(copy, backup.path);
    expect(await fingerprint({ ...copy })).toEqual(original);
  });

  it('list shows it newest first, as a table and as JSON', async () => {
    const second = JSON.parse((await runCli(['backup', 'db', '--json'], env)).stdout);
    const list = await runCli(['list', '--json'], env);
    expect(list.code).toBe(0);
    const records = JSON.parse(list.stdout);
    expect(records.map((r: { id: string }) => r.id)).toEqual([second.id, backup.id]);
    expect(second.file).not.toBe(backup.file);
    const table = await runCli(['list'], env);
    expect(table.stdout).toMatch(/ID\s+TIME\s+NAME\s+SIZE\s+TYPE/);
    expect(table.stdout).toContain(backup.file);
    expect((await runCli(['delete', second.id, '--yes'], env)).code).toBe(0);
  });

  it('verify passes on a good archive and fails (exit 1) on a damaged one', async () => {
    const ok = await runCli(['verify', backup.id], env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('OK');
    expect((await runCli(['verify', backup.file], env)).code).toBe(0);
  });

  it('rollback restores tables, rows, views, triggers and routines after damage', async () => {
    await withConnection(shop, async (conn) => {
      await conn.query('DELETE FROM sales_order WHERE entity_id % 2 = 0');
      await conn.query('UPDATE store SET name = "broken"');
      await conn.query('DROP TRIGGER trg_order_grid');
      await conn.query('DROP VIEW order_totals');
      await conn.query('DROP FUNCTION order_label');
      await conn.query('CREATE TABLE added_later (id INT PRIMARY KEY)');
    });
    expect(await fingerprint(shop)).not.toEqual(original);
    const result = await runCli(['rollback', backup.id, '--yes'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await fingerprint(shop)).toEqual(original);
  });

  it('a damaged archive is refused before the database is touched', async () => {
    const damaged = path.join(backupDir, backup.file);
    const pristine = `${damaged}.pristine`;
    await copyFile(damaged, pristine);
    const bytes = await readFile(damaged);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    await writeFile(damaged, bytes);
    await withConnection(shop, (conn) => conn.query('UPDATE store SET name = "changed after backup"'));
    const before = await fingerprint(shop);
    const verify = await runCli(['verify', backup.id], env);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toMatch(/DAMAGED/);
    const rollback = await runCli(['rollback', backup.id, '--yes'], env);
    expect(rollback.code).toBe(1);
    expect(rollback.stderr.trim().split('\n')).toHaveLength(1);
    expect(rollback.stderr).toMatch(/damaged.*nothing was changed/);
    expect(await fingerprint(shop)).toEqual(before);
    await copyFile(pristine, damaged);
  });

  it('an archive that loads but does not match its manifest is refused before the swap', async () => {
    // The rollback reads the archive once and checks it while the staging copy loads: valid gzip and SQL
    // whose sha256 differs from the manifest must still leave the shop as it was.
    const manifestFile = path.join(backupDir, manifestFileName(backup.file));
    const pristine = await readFile(manifestFile, 'utf8');
    const manifest = JSON.parse(pristine) as { archive: { sha256: string } };
    manifest.archive.sha256 = '0'.repeat(64);
    await writeFile(manifestFile, JSON.stringify(manifest));
    await withConnection(shop, (conn) => conn.query('UPDATE store SET name = "changed again"'));
    const before = await fingerprint(shop);
    const rollback = await runCli(['rollback', backup.id, '--yes'], env);
    expect(rollback.code).toBe(1);
    expect(rollback.stderr.trim().split('\n')).toHaveLength(1);
    expect(rollback.stderr).toMatch(/damaged \(sha256 is [0-9a-f]{64}, the manifest says 0{64}\).*nothing was changed/);
    expect(await fingerprint(shop)).toEqual(before);
    const helpers = await withConnection(shop, (conn) => conn.query(`SHOW DATABASES LIKE '${shop.database}\\_\\_lb\\_%'`));
    expect(helpers[0]).toEqual([]);
    await writeFile(manifestFile, pristine);
  });

  it('bad usage gets one line and exit code 2', async () => {
    const noUrl = await runCli(['backup', 'db'], { LIFEBOAT_ROOT: env.LIFEBOAT_ROOT });
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toMatch(/^lifeboat: LIFEBOAT_DATABASE_URL is not set.*mysql:\/\/.*\n$/);
    const badUrl = await runCli(['backup', 'db'], { ...env, LIFEBOAT_DATABASE_URL: 'ftp://x/y' });
    expect(badUrl.code).toBe(2);
    const unknown = await runCli(['verify', 'no-such-backup'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no backup "no-such-backup".*lifeboat list/);
    const noTty = await runCli(['rollback', backup.id], env);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toMatch(/--yes/);
    const unknownCommand = await runCli(['frobnicate'], env);
    expect(unknownCommand.code).toBe(2);
  });

  it('an unreachable database fails the backup with exit 1 and leaves no file', async () => {
    const before = await readdir(backupDir);
    const result = await runCli(['backup', 'db'], { ...env, LIFEBOAT_DATABASE_URL: 'mysql://root@127.0.0.1:1/nothing' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(await readdir(backupDir)).toEqual(before);
  });

  it('a backup that is killed or interrupted is never listed', async () => {
    // Enough data that the dump takes a while: ~60 MB of text.
    await withConnection(shop, (conn) =>
      conn.query(`CREATE TABLE big_log (id INT PRIMARY KEY, message TEXT) ENGINE=InnoDB;
        INSERT INTO big_log SELECT seq, REPEAT(MD5(seq), 40) FROM seq_1_to_50000;`),
    );
    const listed = async () => JSON.parse((await runCli(['list', '--json'], env)).stdout).map((r: { file: string }) => r.file);
    const before = await listed();
    // A System backup's tree is already being read on its thread while the database is dumped: stopped
    // then, that reading stops too, and the command exits.
    const runs = [
      { type: 'db', signal: 'SIGINT' },
      { type: 'system', signal: 'SIGINT' },
      { type: 'db', signal: 'SIGKILL' }, // last: the next job would remove what it leaves
    ] as const;
    for (const { type, signal } of runs) {
      const name = `killed ${type} ${signal}`;
      const child = startCli(['backup', type, '--name', name], env);
      // Wait until the partial archive exists, then stop the process mid-dump.
      for (let i = 0; i < 200; i++) {
        const files = await readdir(backupDir);
        if (files.some((f) => f.endsWith('.partial') && f.includes(name.replaceAll(' ', '_')))) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      child.kill(signal);
      const code = await exited;
      expect(code).not.toBe(0);
      expect(await listed()).toEqual(before);
      const leftovers = (await readdir(backupDir)).filter((f) => f.includes(name.replaceAll(' ', '_')));
      // A clean interrupt removes its partial file; a kill -9 can only leave a `.partial`.
      if (signal === 'SIGINT') expect(leftovers).toEqual([]);
      else for (const f of leftovers) expect(f.endsWith('.partial')).toBe(true);
    }
    // What the killed backup left goes with the next job, or with `lifeboat recover`, which says so.
    const left = (await readdir(backupDir)).filter((f) => f.endsWith('.partial'));
    expect(left.length).toBeGreaterThan(0);
    const recovered = await runCli(['recover'], env);
    expect(recovered.code).toBe(0);
    for (const f of left) expect(recovered.stdout).toContain(`removed ${path.join(backupDir, f)}, left half-written by a job that died`);
    expect((await readdir(backupDir)).filter((f) => f.endsWith('.partial'))).toEqual([]);
    await withConnection(shop, (conn) => conn.query('DROP TABLE big_log'));
  });

  it('a second job while one runs is refused, naming the running job', async () => {
    // A lock held by a live process (this test runner) stands for a running job.
    const lock = await acquireJobLock(path.join(env.LIFEBOAT_ROOT, 'var', 'lifeboat'), 'jbusy1234', 'backup system');
    try {
      const before = await readdir(backupDir);
      const refused = await runCli(['backup', 'db'], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^lifeboat: another job is running on this shop: job jbusy1234 \(backup system\).*lifeboat cancel jbusy1234"\n$/);
      expect(await readdir(backupDir)).toEqual(before);
      expect((await runCli(['rollback', backup.id, '--yes'], env)).code).toBe(1);
    } finally {
      await lock.release();
    }
  });

  it('two backups in the same second get different files', async () => {
    const now = () => new Date('2030-01-01T00:00:00Z');
    const [fa, fb] = await Promise.all([createDatabaseBackup(shop, backupDir, { now }), createDatabaseBackup(shop, backupDir, { now })]);
    expect(fa.file).not.toBe(fb.file);
    expect(fa.id).not.toBe(fb.id);
    expect([fa.time, fb.time].sort()).toEqual([1893456000, 1893456001]);
    expect((await stat(path.join(backupDir, fa.file))).size).toBe(fa.size);
    expect((await stat(path.join(backupDir, fb.file))).size).toBe(fb.size);
    for (const r of [fa, fb]) expect((await runCli(['delete', r.id, '--yes'], env)).code).toBe(0);
  });

  it('delete removes the record and its archive', async () => {
    const result = await runCli(['delete', backup.id, '--yes'], env);
    expect(result.code).toBe(0);
    const files = await readdir(backupDir);
    expect(files.filter((f) => f.startsWith(backup.file))).toEqual([`${backup.file}.pristine`]);
    const records = JSON.parse((await runCli(['list', '--json'], env)).stdout);
    expect(records.find((r: { id: string }) => r.id === backup.id)).toBeUndefined();
  });
});
