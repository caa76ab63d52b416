// Corners of `rollback --table` and of archives loaded elsewhere, against the real MariaDB: a trigger
// written under ANSI_QUOTES, a trigger that names its table with the shop's schema, a column whose
// default draws from a sequence, and a sequence restored on its own.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseBackup } from '../../src/core/backup.js';
import { rollbackDatabase } from '../../src/core/rollback.js';
import type { BackupRecord } from '../../src/core/types.js';
import { restoreMysql } from '../../src/engines/mysql/restore.js';
import type { MysqlTarget } from '../../src/engines/target.js';
import { fingerprint, queryRows, schemaRegistry, withConnection } from '../helpers/mysql.js';
import { chunked } from '../helpers/sink.js';

/**
 * A shop whose largest table (read by the first of a rollback's two streams) has a trigger created under
 * ANSI_QUOTES, with triggers that name the shop's schema, and an invoice table numbered by a sequence.
 */
function shopSql(database: string): string[] {
  const db = `\`${database}\``;
  return [
    'CREATE TABLE audit (id INT PRIMARY KEY AUTO_INCREMENT, what VARCHAR(60)) ENGINE=InnoDB',
    'CREATE TABLE product (id INT PRIMARY KEY, sku VARCHAR(40), note TEXT) ENGINE=InnoDB',
    "INSERT INTO product SELECT seq, CONCAT('SKU-', seq), REPEAT('x', 200) FROM seq_1_to_3000",
    'CREATE TABLE stock (id INT PRIMARY KEY, qty INT) ENGINE=InnoDB',
    'INSERT INTO stock VALUES (1, 5), (2, 7)',
    "SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')",
    `CREATE TRIGGER "product_ai" AFTER INSERT ON "product" FOR EACH ROW INSERT INTO "audit" ("what") VALUES (CONCAT('product ', NEW."id"))`,
    'SET SESSION sql_mode = DEFAULT',
    // The stock client would send both forms as they are; SHOW CREATE TRIGGER keeps them as written.
    `CREATE TRIGGER stock_au AFTER UPDATE ON ${db}.stock FOR EACH ROW INSERT INTO audit (what) VALUES (CONCAT('stock ', NEW.id))`,
    `CREATE TRIGGER ${db} . audit_bi BEFORE INSERT ON ${db} . \`audit\` FOR EACH ROW SET NEW.what = UPPER(NEW.what)`,
    'CREATE SEQUENCE invoice_seq START WITH 1000',
    'CREATE TABLE invoice (id BIGINT NOT NULL DEFAULT NEXTVAL(invoice_seq) PRIMARY KEY, amount DECIMAL(10,2)) ENGINE=InnoDB',
    'INSERT INTO invoice (amount) VALUES (1.5), (2.5)',
    // SHOW CREATE VIEW names the sequence with the shop's schema, even from a session in that schema.
    'CREATE VIEW invoice_numbers AS SELECT LASTVAL(invoice_seq) AS last_drawn, COUNT(*) AS invoices FROM invoice',
  ];
}

async function exec(target: MysqlTarget, statements: string[]): Promise<void> {
  await withConnection(target, async (conn) => {
    for (const sql of statements) await conn.query(sql);
  });
}

async function auditLines(target: MysqlTarget): Promise<string[]> {
  return (await queryRows<{ what: string }>(target, 'SELECT what FROM audit ORDER BY id')).map((r) => r.what);
}

/** Helper schemas a restore may have left behind. */
async function leftovers(target: MysqlTarget): Promise<string[]> {
  const pattern = `${target.database.replace(/_/g, '\\_')}\\_\\_lb\\_%`;
  return (await queryRows<{ name: string }>(target, 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [pattern])).map((r) => r.name);
}

describe('rollback --table and archives loaded elsewhere', () => {
  const schemas = schemaRegistry();
  let dir: string;

  /** A fresh shop, its fingerprint and a Lifeboat backup of it. */
  async function backedUpShop(prefix: string): Promise<{ shop: MysqlTarget; record: BackupRecord; backupDir: string; print: Awaited<ReturnType<typeof fingerprint>> }> {
    const shop = await schemas.create(prefix);
    await exec(shop, shopSql(shop.database));
    const backupDir = path.join(dir, prefix);
    const record = await createDatabaseBackup(shop, backupDir);
    return { shop, record, backupDir, print: await fingerprint(shop) };
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-table-corners-'));
  });

  afterAll(async () => {
    await schemas.dropAll();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('rollback --table brings back a trigger created under ANSI_QUOTES, and it fires', async () => {
    const { shop, record, backupDir, print } = await backedUpShop('tansi');
    await exec(shop, ['DROP TRIGGER product_ai', 'DELETE FROM product WHERE id > 10']);
    await rollbackDatabase(shop, backupDir, record, { tables: ['product'] });
    const after = await fingerprint(shop);
    expect(after.tables.product).toEqual(print.tables.product);
    expect(after.objects['trigger product_ai']).toBe(print.objects['trigger product_ai']);
    await exec(shop, ["INSERT INTO product VALUES (5000, 'new', '')"]);
    expect(await auditLines(shop)).toEqual(['PRODUCT 5000']);
    expect(await leftovers(shop)).toEqual([]);
  });

  it('rollback --table stops, changing nothing, at a trigger whose table it cannot read', async () => {
    const shop = await schemas.create('tunread');
    await exec(shop, ['CREATE TABLE t (id INT PRIMARY KEY)', 'INSERT INTO t VALUES (1)', 'CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW SET NEW.id = NEW.id + 1']);
    const before = await fingerprint(shop);
    // No server would take this head; a parser that cannot place a trigger must not skip it quietly.
    const sql = Buffer.from("CREATE TABLE t (id INT PRIMARY KEY);\nINSERT INTO t VALUES (1), (2);\nCREATE TRIGGER t_bi BEFORE INSERT ON 't' FOR EACH ROW SET @a = 1;\n");
    await expect(restoreMysql(shop, chunked(sql), { tables: ['t'] })).rejects.toThrow(
      /the table of trigger `t_bi` cannot be read, so restoring some tables could lose it; roll back the whole database.*the database was not changed$/,
    );
    expect(await fingerprint(shop)).toEqual(before);
    expect(await leftovers(shop)).toEqual([]);
  });
});
