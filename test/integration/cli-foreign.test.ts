// Archives Lifeboat did not make: a Magento-made `var/backups/<time>_db.sql` and a gzipped
// mariadb-dump/mysqldump file dropped into the backup folder are listed and can be rolled back.
import { execSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTestSchema, databaseUrl, dumpWithStockTool, fingerprint, withConnection } from '../helpers/mysql.js';
import type { MysqlTarget } from '../../src/engines/target.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');

describe('foreign archives in the backup folder', () => {
  let shop: { target: MysqlTarget; drop: () => Promise<void> };
  let source: { target: MysqlTarget; drop: () => Promise<void> };
  let backupDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    shop = await createTestSchema('foreign');
    source = await createTestSchema('foreignsrc');
    const root = await mkdtemp(path.join(tmpdir(), 'lifeboat-foreign-'));
    backupDir = path.join(root, 'var', 'backups');
    await mkdir(backupDir, { recursive: true });
    env = { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: databaseUrl(shop.target) };
    await withConnection(shop.target, (conn) => conn.query('CREATE TABLE leftover (id INT PRIMARY KEY); INSERT INTO leftover VALUES (1)'));
  });

  afterAll(async () => {
    await shop?.drop();
    await source?.drop();
  });

  it('lists a Magento-made plain .sql dump and rolls back to it', async () => {
    await copyFile(path.join(FIXTURES, 'magento-db-backup.sql'), path.join(backupDir, '1500000000_db_nightly.sql'));
    const records = JSON.parse((await runCli(['list', '--json'], env)).stdout);
    expect(records).toEqual([expect.objectContaining({ id: '1500000000_db_nightly.sql', type: 'db', name: 'nightly', origin: 'foreign', sha256: null })]);
    expect((await runCli(['verify', '1500000000_db_nightly.sql'], env)).code).toBe(0);
    const result = await runCli(['rollback', '1500000000_db_nightly.sql', '--yes'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const print = await fingerprint(shop.target);
    expect(Object.keys(print.tables).sort()).toEqual([
      'catalog_product_entity',
      'catalog_product_entity_cl',
      'catalog_product_entity_varchar',
      'customer_entity',
      'sales_order',
      'sales_order_item',
      'store',
      'store_website',
    ]);
    expect(Object.keys(print.objects).filter((k) => k.startsWith('trigger')).length).toBeGreaterThan(0);
  });

  it('rolls back to a gzipped mariadb-dump file, and a truncated one is refused', async () => {
    await withConnection(source.target, (conn) =>
      conn.query(`CREATE TABLE t (id INT PRIMARY KEY, v VARBINARY(16)); INSERT INTO t SELECT seq, UNHEX(MD5(seq)) FROM seq_1_to_500;
        CREATE VIEW v AS SELECT COUNT(*) AS n FROM t;`),
    );
    const plain = path.join(backupDir, 'stock.sql');
    await dumpWithStockTool(source.target, plain);
    execSync(`gzip -c '${plain}' > '${path.join(backupDir, '1600000000_db.sql.gz')}' && rm '${plain}'`);
    execSync(`head -c 2000 '${path.join(backupDir, '1600000000_db.sql.gz')}' > '${path.join(backupDir, '1600000001_db.sql.gz')}'`);
    const before = await fingerprint(shop.target);
    const truncated = await runCli(['rollback', '1600000001_db.sql.gz', '--yes'], env);
    expect(truncated.code).toBe(1);
    expect(truncated.stderr).toMatch(/damaged.*nothing was changed/);
    expect(await fingerprint(shop.target)).toEqual(before);

    const result = await runCli(['rollback', '1600000000_db.sql.gz', '--yes'], env);
    expect(result.code).toBe(0);
    expect(await fingerprint(shop.target)).toEqual(await fingerprint(source.target));
  });
});
