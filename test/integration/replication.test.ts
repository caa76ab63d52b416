// Rollbacks and backups on a real primary with a real replica (binary log on, GTID, the replica logging
// its own updates in strict mode): replication keeps running, and both sides end with the same tables
// and objects, also for a zstd backup whose old tables a detached process drops after the rollback, and
// for a restore into another database beside the shop's (which the restore creates). Run as root and as
// a Magento-like user (ALL on the shop and its helper schemas, and on the copy's, nothing global).
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { createDatabaseBackup } from '../../src/core/backup/database.js';
import { restoreTo } from '../../src/core/restore/restore-to.js';
import { stripRules } from '../../src/core/backup/strip-rules.js';
import { drillDatabase } from '../../src/core/verify/drill.js';
import { rollbackDatabase } from '../../src/core/rollback/database.js';
import type { MysqlTarget } from '../../src/engines/target.js';
import { findBackup } from '../../src/repository/catalog.js';
import { databaseUrl, dumpWithStockTool, fingerprint, withConnection, type SchemaFingerprint } from '../helpers/mysql.js';
import { startReplicatedPair, type ReplicatedPair } from '../helpers/replication.js';
import { rollbackCleanedUp } from '../helpers/rollback-cleanup.js';

const SHOP = 'shop';
/** The database `lifeboat restore` copies a backup into, beside the shop's. */
const COPY = 'staging';
const MAGENTO = { user: 'magento', password: 'magento-pw' };

const SCHEMA = `
CREATE TABLE store (store_id SMALLINT UNSIGNED PRIMARY KEY, code VARCHAR(32) NOT NULL UNIQUE);
CREATE TABLE sales_order (entity_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, store_id SMALLINT UNSIGNED, total DECIMAL(20,4),
  CONSTRAINT fk_store FOREIGN KEY (store_id) REFERENCES store (store_id)) ENGINE=InnoDB;
CREATE TABLE sales_order_grid (entity_id INT UNSIGNED PRIMARY KEY, total DECIMAL(20,4));
CREATE TABLE core_config_data (config_id INT AUTO_INCREMENT PRIMARY KEY, path VARCHAR(255), value TEXT);
INSERT INTO store VALUES (0, 'admin'), (1, 'default');
INSERT INTO sales_order (store_id, total) SELECT 1, seq * 1.5 FROM seq_1_to_2000;
INSERT INTO core_config_data (path, value) VALUES ('web/secure/base_url', 'https://shop.example/');
CREATE VIEW order_totals AS SELECT store_id, SUM(total) AS total FROM sales_order GROUP BY store_id;
CREATE TRIGGER trg_grid AFTER INSERT ON sales_order FOR EACH ROW INSERT INTO sales_order_grid VALUES (NEW.entity_id, NEW.total);
`;

const CHANGE = `
INSERT INTO sales_order (store_id, total) SELECT 1, seq FROM seq_1_to_500;
UPDATE core_config_data SET value = 'https://changed.example/';
CREATE TABLE added_later (id INT PRIMARY KEY);
`;

/**
 * Tables' checksums and every object's definition on both sides. AUTO_INCREMENT counters are left out:
 * a replica applying row events counts its own (2001 where the primary reserved up to 2048).
 */
async function bothSides(pair: ReplicatedPair) {
  await pair.synced();
  const [primary, replica] = await Promise.all([fingerprint(pair.primary.target(SHOP)), fingerprint(pair.replica.target(SHOP))]);
  const [primaryOwners, replicaOwners] = await Promise.all([owners(pair.primary), owners(pair.replica)]);
  return { primary: { ...withoutCounters(primary), owners: primaryOwners }, replica: { ...withoutCounters(replica), owners: replicaOwners } };
}

/** Who owns each view and trigger of the shop (the fingerprint leaves definers out). */
async function owners(server: ReplicatedPair['primary']): Promise<string[]> {
  const rows = await server.sql<{ what: string }>(
    `SELECT CONCAT('trigger ', TRIGGER_NAME, ' ', DEFINER) AS what FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?
     UNION ALL SELECT CONCAT('view ', TABLE_NAME, ' ', DEFINER) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY 1`,
    [SHOP, SHOP],
  );
  return rows.map((row) => row.what);
}

function withoutCounters(print: SchemaFingerprint): SchemaFingerprint {
  const objects = Object.fromEntries(Object.entries(print.objects).map(([key, sql]) => [key, sql.replace(/ AUTO_INCREMENT=\d+/, '')]));
  return { ...print, objects };
}

describe.each([
  ['root', undefined],
  ['a Magento-like user', MAGENTO],
] as const)('on a primary with a replica, as %s', (_who, user) => {
  let pair: ReplicatedPair;
  let shop: MysqlTarget;
  let backupDir: string;

  beforeAll(async () => {
    pair = await startReplicatedPair();
    await pair.primary.sql(`CREATE DATABASE ${SHOP}`);
    await pair.primary.sql(
      `CREATE USER 'magento'@'%' IDENTIFIED BY '${MAGENTO.password}';
       GRANT ALL PRIVILEGES ON \`${SHOP}\`.* TO 'magento'@'%';
       GRANT ALL PRIVILEGES ON \`${SHOP}\\_\\_lb\\_%\`.* TO 'magento'@'%';
       GRANT ALL PRIVILEGES ON \`${COPY}\`.* TO 'magento'@'%';
       GRANT ALL PRIVILEGES ON \`${COPY}\\_\\_lb\\_%\`.* TO 'magento'@'%';
       SET GLOBAL log_bin_trust_function_creators = 1`,
    );
    await pair.replica.sql('SET GLOBAL log_bin_trust_function_creators = 1');
    shop = pair.primary.target(SHOP, user);
    await withConnection(pair.primary.target(SHOP, MAGENTO), (conn) => conn.query(SCHEMA));
    backupDir = path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-repl-')), 'backups');
  });

  afterAll(async () => {
    await pair?.stop();
  });

  /** Lifeboat's settings for this shop (as `lifeboat` would load them), for the jobs the tests run. */
  const lifeboatSettings = () => {
    const root = path.dirname(backupDir);
    return loadSettings({ PATH: process.env.PATH ?? '', LIFEBOAT_ROOT: root, LIFEBOAT_BACKUP_DIR: backupDir, LIFEBOAT_HOME: path.join(root, 'home'), LIFEBOAT_DATABASE_URL: databaseUrl(shop) }, root);
  };

  it('a full rollback reaches the replica: replication keeps running and both sides are the backup', async () => {
    const before = await bothSides(pair);
    expect(before.replica).toEqual(before.primary);
    const record = await createDatabaseBackup(shop, backupDir);
    await withConnection(pair.primary.target(SHOP, MAGENTO), (conn) => conn.query(CHANGE));
    await rollbackDatabase(shop, backupDir, record);
    const after = await bothSides(pair);
    expect(await pair.replicaStatus()).toMatchObject({ io: 'Yes', sql: 'Yes', lastError: '' });
    expect(after.primary.tables).toEqual(before.primary.tables);
    expect(after.replica).toEqual(after.primary);
    // Whoever rolled back, the shop's objects are the shop user's again, on both sides.
    expect(after.primary.owners).toEqual(['trigger trg_grid magento@%', 'view order_totals magento@%']);
    // An ordinary write after the rollback replicates too (the replica really has the restored rows).
    await withConnection(pair.primary.target(SHOP, MAGENTO), (conn) => conn.query('INSERT INTO sales_order (store_id, total) VALUES (1, 9)'));
    const later = await bothSides(pair);
    expect(later.replica).toEqual(later.primary);
  });

  it('a rollback job of a zstd backup reaches the replica, and so does the dropping of the old tables after it', async () => {
    const record = await createDatabaseBackup(shop, backupDir, { compression: 'zstd' });
    expect(record.file).toMatch(/\.sql\.zst$/);
    const wanted = await bothSides(pair);
    await withConnection(pair.primary.target(SHOP, MAGENTO), (conn) => conn.query(CHANGE));
    const home = path.join(path.dirname(backupDir), 'home');
    // As a job does: the old tables are dropped by a detached process once the shop is the backup's.
    await rollbackDatabase(shop, backupDir, record, { journal: { home, jobId: 'j0a1b2c3d' }, cleanUpInBackground: true });
    await rollbackCleanedUp(home);
    const after = await bothSides(pair);
    expect(await pair.replicaStatus()).toMatchObject({ io: 'Yes', sql: 'Yes', lastError: '' });
    expect(after.primary.tables).toEqual(wanted.primary.tables);
    expect(after.replica).toEqual(after.primary);
    for (const server of [pair.primary, pair.replica]) {
      expect(await server.sql(`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '${SHOP}\\_\\_lb\\_%'`)).toEqual([]);
    }
  });

  it('a restore into another database on the primary reaches the replica, and the shop is unchanged on both sides', async () => {
    const record = await createDatabaseBackup(shop, backupDir);
    const atBackup = await bothSides(pair);
    await withConnection(pair.primary.target(SHOP, MAGENTO), (conn) => conn.query(CHANGE));
    const shopBefore = await bothSides(pair);
    // The copy's database does not exist yet: the restore creates it, and the replica must create it too.
    const copy = pair.primary.target(COPY, user);
    const settings = lifeboatSettings();
    const { outcome } = await restoreTo(settings, record, { toDatabase: databaseUrl(copy), trigger: 'test' });
    expect(outcome.database).toBe(`mysql://${copy.user}@127.0.0.1:${pair.primary.port}/${COPY}`);
    await pair.synced();
    expect(await pair.replicaStatus()).toMatchObject({ io: 'Yes', sql: 'Yes', lastError: '' });
    const [primaryCopy, replicaCopy] = await Promise.all([fingerprint(pair.primary.target(COPY)), fingerprint(pair.replica.target(COPY))]);
    expect(withoutCounters(primaryCopy).tables).toEqual(atBackup.primary.tables);
    expect(withoutCounters(replicaCopy)).toEqual(withoutCounters(primaryCopy));
    expect(await bothSides(pair)).toEqual(shopBefore);
    for (const server of [pair.primary, pair.replica]) {
      expect(await server.sql(`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '${COPY}\\_\\_lb\\_%'`)).toEqual([]);
    }
    // A write on the primary after it still replicates (strict mode would have stopped at a stray GTID).
    await withConnection(pair.primary.target(COPY, MAGENTO), (conn) => conn.query('INSERT INTO store VALUES (9, "nine")'));
    await pair.synced();
    expect(await pair.replicaStatus()).toMatchObject({ io: 'Yes', sql: 'Yes', lastError: '' });
    await pair.primary.sql(`DROP DATABASE ${COPY}`);
  });

  it('a restore into a missing database that fails drops the database it created, on the replica too', async () => {
    const record = await createDatabaseBackup(shop, backupDir);
    const archive = path.join(backupDir, record.file);
    const original = await readFile(archive);
    const damaged = Buffer.from(original);
    for (let at = damaged.length >> 1; at < (damaged.length >> 1) + 64; at++) damaged[at] ^= 0x5a;
    await writeFile(archive, damaged);
    const shopBefore = await bothSides(pair);
    const settings = lifeboatSettings();
    try {
      await expect(restoreTo(settings, record, { toDatabase: databaseUrl(pair.primary.target(COPY, user)), trigger: 'test' })).rejects.toThrow(/damaged/);
    } finally {
      await writeFile(archive, original);
    }
    await pair.synced();
    expect(await pair.replicaStatus()).toMatchObject({ io: 'Yes', sql: 'Yes', lastError: '' });
    for (const server of [pair.primary, pair.replica]) {
      expect(await server.sql(`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '${COPY}%'`)).toEqual([]);
    }
    expect(await bothSides(pair)).toEqual(shopBefore);
  });

  it('rollback --table reaches the replica too', async () => {
    const record = await createDatabaseBackup(shop, backupDir);
    await withConnection(pair.primary.target(SHOP, MAGENTO), (conn) => conn.query("UPDATE core_config_data SET value = 'x'; DELETE FROM sales_order WHERE entity_id < 10"));
    await rollbackDatabase(shop, backupDir, record, { tables: ['core_config_data'] });
    const after = await bothSides(pair);
    expect(await pair.replicaStatus()).toMatchObject({ sql: 'Yes', lastError: '' });
    expect(after.replica).toEqual(after.primary);
    const [row] = await pair.replica.sql<{ value: string }>(`SELECT value FROM ${SHOP}.core_config_data`);
    expect(row.value).not.toBe('x');
  });

  it('a stripped backup rolls back on both sides: its tables emptied, their structure and triggers kept', async () => {
    const record = await createDatabaseBackup(shop, backupDir, { strip: stripRules(['sales_order*']) });
    await withConnection(pair.primary.target(SHOP, MAGENTO), (conn) => conn.query('INSERT INTO sales_order (store_id, total) VALUES (1, 7)'));
    await rollbackDatabase(shop, backupDir, record);
    const after = await bothSides(pair);
    expect(await pair.replicaStatus()).toMatchObject({ io: 'Yes', sql: 'Yes', lastError: '' });
    expect(after.replica).toEqual(after.primary);
    for (const server of [pair.primary, pair.replica]) {
      const counts = await server.sql<{ n: string }>(`SELECT COUNT(*) AS n FROM ${SHOP}.sales_order UNION ALL SELECT COUNT(*) FROM ${SHOP}.sales_order_grid`);
      expect(counts.map((row) => Number(row.n))).toEqual([0, 0]);
    }
    // The trigger came back with the emptied tables: a new order reaches the grid on both sides.
    await withConnection(pair.primary.target(SHOP, MAGENTO), (conn) => conn.query('INSERT INTO sales_order (store_id, total) VALUES (1, 8)'));
    const later = await bothSides(pair);
    expect(later.replica).toEqual(later.primary);
    expect(later.replica.tables.sales_order_grid?.rows).toBe(1);
  });

  it('a drill on the primary leaves replication running and no drill schema on either side', async () => {
    const record = await createDatabaseBackup(shop, backupDir);
    await pair.synced();
    const [{ pos: before }] = await pair.primary.sql<{ pos: string }>('SELECT @@gtid_binlog_pos AS pos');
    const notices: string[] = [];
    const result = await drillDatabase(shop, backupDir, record, { onNotice: (line) => notices.push(line) });
    expect(result.ok).toBe(true);
    await pair.synced();
    expect(await pair.replicaStatus()).toMatchObject({ io: 'Yes', sql: 'Yes', lastError: '' });
    for (const server of [pair.primary, pair.replica]) {
      expect(await server.sql(`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '${SHOP}\\_\\_lb\\_%'`)).toEqual([]);
    }
    const [{ pos: after }] = await pair.primary.sql<{ pos: string }>('SELECT @@gtid_binlog_pos AS pos');
    if (user) {
      // Without BINLOG ADMIN the copy is logged (replicas load and drop it too), and the drill says so.
      expect(after).not.toBe(before);
      expect(notices).toContainEqual(expect.stringMatching(/^the drill's copy goes into the binary log.*GRANT BINLOG ADMIN/));
    } else {
      // With it (root), the drill writes nothing to the binary log.
      expect(after).toBe(before);
      expect(notices).toEqual([]);
    }
  });

  it("a foreign dump that turns the binary log off (MySQL 8's mysqldump with GTIDs) still reaches the replica", async () => {
    const dumped = path.join(backupDir, 'stock.sql');
    await dumpWithStockTool(pair.primary.target(SHOP), dumped);
    const file = `${Math.floor(Date.now() / 1000) - 60}_db.sql`;
    const header = 'SET @MYSQLDUMP_TEMP_LOG_BIN = @@SESSION.SQL_LOG_BIN;\nSET @@SESSION.SQL_LOG_BIN= 0;\n';
    await writeFile(path.join(backupDir, file), header + (await readFile(dumped, 'utf8')) + '\nSET @@SESSION.SQL_LOG_BIN = @MYSQLDUMP_TEMP_LOG_BIN;\n');
    const before = await bothSides(pair);
    await withConnection(pair.primary.target(SHOP, MAGENTO), (conn) => conn.query("UPDATE core_config_data SET value = 'changed again'"));
    const result = await rollbackDatabase(shop, backupDir, await findBackup(backupDir, file));
    expect(result.warnings).toContainEqual(expect.stringMatching(/^left out the dump's SET sql_log_bin .*replicas follow the restore$/));
    const after = await bothSides(pair);
    expect(await pair.replicaStatus()).toMatchObject({ sql: 'Yes', lastError: '' });
    expect(after.primary.tables).toEqual(before.primary.tables);
    expect(after.replica).toEqual(after.primary);
  });

  it('a backup read from the replica writes nothing to its binary log', async () => {
    await pair.synced();
    const replicaShop = pair.replica.target(SHOP, user);
    const [{ pos: before }] = await pair.replica.sql<{ pos: string }>('SELECT @@gtid_binlog_pos AS pos');
    await createDatabaseBackup(replicaShop, backupDir);
    const [{ pos: after }] = await pair.replica.sql<{ pos: string }>('SELECT @@gtid_binlog_pos AS pos');
    expect(after).toBe(before);
    // The primary's next write still replicates (strict mode stops at a GTID the replica wrote itself).
    await withConnection(pair.primary.target(SHOP, MAGENTO), (conn) => conn.query('INSERT INTO store VALUES (7, "seven")'));
    await pair.synced();
    expect(await pair.replicaStatus()).toMatchObject({ sql: 'Yes', lastError: '' });
  });
});
