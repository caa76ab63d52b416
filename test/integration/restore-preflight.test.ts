// A rollback checks what it needs before it writes anything, on a real server with the binary log on
// (started from the installed server, test/helpers/replication.ts): a refusal leaves the shop and the
// binary log exactly as they were, and says in one line what to do. Run as a Magento-like user (ALL on
// the shop and its helper schemas, nothing global: no SUPER).
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseBackup } from '../../src/core/backup/database.js';
import { rollbackDatabase } from '../../src/core/rollback/database.js';
import type { BackupRecord } from '../../src/shared/types.js';
import type { RestoreFootprint } from '../../src/engines/engine.js';
import { restoreMysql } from '../../src/engines/mysql/restore.js';
import type { MysqlTarget } from '../../src/engines/target.js';
import { runCli } from '../helpers/cli.js';
import { rollbackCleanedUp } from '../helpers/rollback-cleanup.js';
import { dumpWithStockTool, fingerprint, withConnection, type SchemaFingerprint } from '../helpers/mysql.js';
import { startInstance, type ServerInstance } from '../helpers/replication.js';
import { chunked } from '../helpers/sink.js';

const SHOP = 'shop';
const MAGENTO = { user: 'magento', password: 'magento-pw' };
/** The shop's user before the admin added the helper schemas' grant. */
const NO_HELPERS = { user: 'newshop', password: 'newshop-pw' };

const SCHEMA = `
CREATE TABLE sales_order (entity_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, total DECIMAL(20,4)) ENGINE=InnoDB;
CREATE TABLE sales_order_grid (entity_id INT UNSIGNED PRIMARY KEY, total DECIMAL(20,4));
INSERT INTO sales_order (total) SELECT seq * 1.5 FROM seq_1_to_500;
CREATE TRIGGER trg_grid AFTER INSERT ON sales_order FOR EACH ROW INSERT INTO sales_order_grid VALUES (NEW.entity_id, NEW.total);
CREATE PROCEDURE order_count() READS SQL DATA SELECT COUNT(*) FROM sales_order;
`;

describe('checks before a rollback writes, on a server with the binary log on', () => {
  let server: ServerInstance;
  let shop: MysqlTarget;
  let backupDir: string;
  let record: BackupRecord;
  let backedUp: SchemaFingerprint;

  const binaryLogPosition = async () => (await server.sql<{ pos: string }>('SELECT @@gtid_binlog_pos AS pos'))[0].pos;
  const trustFunctionCreators = (on: boolean) => server.sql(`SET GLOBAL log_bin_trust_function_creators = ${on ? 1 : 0}`);
  const changeShop = () => withConnection(shop, (conn) => conn.query('INSERT INTO sales_order (total) VALUES (9); DELETE FROM sales_order WHERE entity_id < 10'));
  const helperSchemas = async () => server.sql(`SHOW DATABASES LIKE '${SHOP}\\_\\_lb\\_%'`);

  /** Runs `attempt`, which must fail, and checks that it wrote nothing: same shop, same binary log position. */
  async function refusedWithoutWriting(attempt: () => Promise<unknown>): Promise<string> {
    const before = { position: await binaryLogPosition(), shop: await fingerprint(shop) };
    const error = await attempt().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(await binaryLogPosition()).toBe(before.position);
    expect(await fingerprint(shop)).toEqual(before.shop);
    expect(await helperSchemas()).toEqual([]);
    expect(error?.message.split('\n')).toHaveLength(1);
    return error?.message ?? '';
  }

  beforeAll(async () => {
    server = await startInstance({ serverId: 21 });
    await server.sql(
      `CREATE DATABASE ${SHOP};
       CREATE USER 'magento'@'%' IDENTIFIED BY '${MAGENTO.password}';
       GRANT ALL PRIVILEGES ON \`${SHOP}\`.* TO 'magento'@'%';
       GRANT ALL PRIVILEGES ON \`${SHOP}\\_\\_lb\\_%\`.* TO 'magento'@'%';
       CREATE USER 'newshop'@'%' IDENTIFIED BY '${NO_HELPERS.password}';
       GRANT ALL PRIVILEGES ON \`${SHOP}\`.* TO 'newshop'@'%'`,
    );
    shop = server.target(SHOP, MAGENTO);
    // Magento's installer ran while the setting allowed it (or as an administrator); the default is off.
    await trustFunctionCreators(true);
    await withConnection(shop, (conn) => conn.query(SCHEMA));
    await trustFunctionCreators(false);
    backupDir = path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-preflight-')), 'var', 'backups');
    record = await createDatabaseBackup(shop, backupDir);
    backedUp = await fingerprint(shop);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('refuses a rollback of a backup with triggers by a user without SUPER, naming log_bin_trust_function_creators, before writing anything', async () => {
    await changeShop();
    const message = await refusedWithoutWriting(() => rollbackDatabase(shop, backupDir, record));
    expect(message).toMatch(/^cannot restore database `shop`: nothing was changed, because the binary log is on and magento@% lacks SUPER/);
    expect(message).toMatch(/\(error 1419\); run SET GLOBAL log_bin_trust_function_creators = 1 \(on a managed database, .*parameter group\) and roll back again$/);
  });

  it('rolls back once log_bin_trust_function_creators is on', async () => {
    await trustFunctionCreators(true);
    try {
      await rollbackDatabase(shop, backupDir, record);
      expect((await fingerprint(shop)).tables).toEqual(backedUp.tables);
    } finally {
      await trustFunctionCreators(false);
    }
  });

  it('tells where the restore will write: the binary log and the data folder of this local server', async () => {
    await trustFunctionCreators(true);
    try {
      let footprint: RestoreFootprint | undefined;
      const sql = chunked(Buffer.from('CREATE TABLE t (id INT PRIMARY KEY);\nINSERT INTO t VALUES (1);\n'));
      await server.sql(`CREATE DATABASE probe; GRANT ALL PRIVILEGES ON \`probe\`.* TO 'magento'@'%'; GRANT ALL PRIVILEGES ON \`probe\\_\\_lb\\_%\`.* TO 'magento'@'%'`);
      await restoreMysql(server.target('probe', MAGENTO), sql, { totalBytes: 1234, beforeWrite: (f) => void (footprint = f) });
      expect(footprint).toEqual({ binaryLog: true, loadBytes: 1234, stagingBytes: 1234, local: { dataDir: `${server.dir}/`, binaryLogDir: server.dir } });
    } finally {
      await trustFunctionCreators(false);
    }
  });

  it('lifeboat rollback says, before it starts, that the binary log is on and how much it will write there', async () => {
    await trustFunctionCreators(true);
    try {
      const root = path.dirname(path.dirname(backupDir));
      const t = shop;
      const env = { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: `mysql://${t.user}:${t.password}@${t.host}:${t.port}/${t.database}` };
      const result = await runCli(['rollback', record.id, '--yes'], env);
      expect(result.stderr).toMatch(/the binary log is on: this rollback writes about [\d.]+ (KiB|MiB) to it \(the uncompressed dump\), and replicas will lag behind by about the time the load takes/);
      expect(result.code).toBe(0);
      await rollbackCleanedUp(path.join(root, 'var/lifeboat')); // the job drops the old tables after it ends
    } finally {
      await trustFunctionCreators(false);
    }
  });

  it('refuses a user without the helper schemas\' grant before writing anything, printing the GRANT', async () => {
    await trustFunctionCreators(true);
    try {
      const message = await refusedWithoutWriting(() => rollbackDatabase(server.target(SHOP, NO_HELPERS), backupDir, record));
      expect(message).toMatch(/^cannot restore database `shop`: nothing was changed, because user newshop@% lacks .* on the helper schemas .*; grant them with: GRANT ALL PRIVILEGES ON `shop\\_\\_lb\\_%`\.\* TO 'newshop'@'%'$/);
    } finally {
      await trustFunctionCreators(false);
    }
  });

  it('refuses a dump without a manifest at its first trigger, with the same advice', async () => {
    const file = path.join(path.dirname(backupDir), 'stock.sql');
    await dumpWithStockTool(server.target(SHOP), file);
    await server.sql(`DROP TRIGGER ${SHOP}.trg_grid`); // so that nothing in the shop itself needs the setting
    const before = await fingerprint(shop);
    // No manifest: the dump's triggers cannot be counted before it loads.
    const error = await restoreMysql(shop, chunked(await readFile(file))).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/^cannot restore database `shop`: the database was not changed, because the binary log is on and magento@% lacks SUPER, so the server refused a trigger or function of the dump \(error 1419\); run SET GLOBAL log_bin_trust_function_creators = 1/);
    expect(error?.message.split('\n')).toHaveLength(1);
    expect(await fingerprint(shop)).toEqual(before);
    expect(await helperSchemas()).toEqual([]);
  });
});
