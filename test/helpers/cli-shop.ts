// A shop for tests of the real `lifeboat` command on MariaDB: its database (filled by `schemaSql`) and an
// empty copy schema, both owned by a Magento-like user, a root folder, and the environment for the CLI.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MysqlTarget } from '../../src/engines/target.js';
import { createTestSchema, databaseUrl, withConnection } from './mysql.js';

export interface CliShop {
  shop: MysqlTarget;
  /** An empty schema to load archives into with the stock client. */
  copy: MysqlTarget;
  root: string;
  backupDir: string;
  env: Record<string, string>;
  drop: () => Promise<void>;
}

export async function cliShop(prefix: string, schemaSql: string): Promise<CliShop> {
  const shop = await createTestSchema(prefix, { asShopUser: true });
  const copy = await createTestSchema(`${prefix}copy`, { asShopUser: true });
  await withConnection(shop.target, (conn) => conn.query(schemaSql));
  const root = await mkdtemp(path.join(tmpdir(), `lifeboat-${prefix}-`));
  return {
    shop: shop.target,
    copy: copy.target,
    root,
    backupDir: path.join(root, 'var', 'backups'),
    env: { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: databaseUrl(shop.target) },
    drop: async () => {
      await shop.drop();
      await copy.drop();
    },
  };
}
