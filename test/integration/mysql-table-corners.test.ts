// Corners of `rollback --table` and of archives loaded elsewhere, against the real MariaDB: a trigger
// written under ANSI_QUOTES, a trigger that names its table with the shop's schema, a column whose
// default draws from a sequence, and a sequence restored on its own.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archivePath } from '../../src/core/archive-reader.js';
import { createDatabaseBackup } from '../../src/core/backup/database.js';
import { requireTables, rollbackDatabase } from '../../src/core/rollback/database.js';
import type { BackupRecord, Manifest, ObjectCounts } from '../../src/shared/types.js';
import { restoreMysql } from '../../src/engines/mysql/restore.js';
import { sequenceReferences } from '../../src/engines/mysql/restore-parse.js';
import { triggerWithoutSchemaQualifier, withoutSchemaQualifier } from '../../src/engines/mysql/schema-qualifiers.js';
import type { MysqlTarget } from '../../src/engines/target.js';
import { runCli } from '../helpers/cli.js';
import { rollbackCleanedUp } from '../helpers/rollback-cleanup.js';
import { databaseUrl, dumpWithStockTool, fingerprint, loadWithStockClient, queryRows, type SchemaFingerprint, schemaRegistry, withConnection } from '../helpers/mysql.js';
import { chunked } from '../helpers/sink.js';

/**
 * A shop whose largest table (read by the first of a rollback's two streams) has a trigger created under
 * ANSI_QUOTES, with triggers that name the shop's schema, an invoice table numbered by a sequence, a view
 * that reads another schema (`warehouse`) and an event whose body names the shop.
 */
function shopSql(database: string, warehouse: string): string[] {
  const db = `\`${database}\``;
  return [
    'CREATE TABLE audit (id INT PRIMARY KEY AUTO_INCREMENT, what VARCHAR(60)) ENGINE=InnoDB',
    'CREATE TABLE product (id INT PRIMARY KEY, sku VARCHAR(40), note TEXT) ENGINE=InnoDB',
    "INSERT INTO product SELECT seq, CONCAT('SKU-', seq), REPEAT('x', 200) FROM seq_1_to_3000",
    'ANALYZE TABLE product', // its size, by which the dump orders tables, is then known
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
    // ... and every name of a view that reads another schema.
    `CREATE VIEW stock_labels AS SELECT s.id, s.qty, l.label FROM stock s JOIN \`${warehouse}\`.labels l ON l.id = s.id`,
    `CREATE EVENT purge_audit ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE DO DELETE FROM ${db}.audit WHERE id < 0`,
  ];
}

async function exec(target: MysqlTarget, statements: string[]): Promise<void> {
  await withConnection(target, async (conn) => {
    for (const sql of statements) await conn.query(sql);
  });
}

/**
 * The fingerprint, with the schema's name taken out of definitions however it is spaced: SHOW CREATE
 * TRIGGER keeps `db` . t as typed, a restored or reloaded trigger says t.
 */
async function portablePrint(target: MysqlTarget): Promise<SchemaFingerprint> {
  const print = await fingerprint(target);
  const qualifier = new RegExp(`\`${target.database}\`\\s*\\.\\s*`, 'g');
  for (const [key, text] of Object.entries(print.objects)) print.objects[key] = text.replace(qualifier, '');
  return print;
}

async function nextInvoiceId(target: MysqlTarget): Promise<number> {
  await exec(target, ['INSERT INTO invoice (amount) VALUES (9)']);
  const [row] = await queryRows<{ id: string }>(target, 'SELECT MAX(id) AS id FROM invoice');
  return Number(row.id);
}

async function nextNotCached(target: MysqlTarget): Promise<number> {
  const [row] = await queryRows<{ n: string }>(target, 'SELECT next_not_cached_value AS n FROM invoice_seq');
  return Number(row.n);
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

  /** A fresh shop (and the schema its view reads), its fingerprint and a Lifeboat backup of it in <root>/var/backups. */
  async function backedUpShop(prefix: string): Promise<{ shop: MysqlTarget; record: BackupRecord; root: string; backupDir: string; print: SchemaFingerprint }> {
    const warehouse = await schemas.create(`${prefix}_wh`);
    await exec(warehouse, ['CREATE TABLE labels (id INT PRIMARY KEY, label VARCHAR(20))', "INSERT INTO labels VALUES (1, 'shelf A'), (2, 'shelf B')"]);
    const shop = await schemas.create(prefix);
    await exec(shop, shopSql(shop.database, warehouse.database));
    const root = path.join(dir, prefix);
    const backupDir = path.join(root, 'var', 'backups');
    const record = await createDatabaseBackup(shop, backupDir);
    return { shop, record, root, backupDir, print: await portablePrint(shop) };
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
    const after = await portablePrint(shop);
    expect(after.tables.product).toEqual(print.tables.product);
    expect(after.objects['trigger product_ai']).toBe(print.objects['trigger product_ai']);
    await exec(shop, ["INSERT INTO product VALUES (5000, 'new', '')"]);
    expect(await auditLines(shop)).toEqual(['PRODUCT 5000']);
    expect(await leftovers(shop)).toEqual([]);
  });

  it('restores the triggers of chosen tables from a mariadb-dump file: ANSI_QUOTES, ON `shop`.t, `shop` . name', async () => {
    const { shop, print } = await backedUpShop('tansistock');
    const stock = path.join(dir, 'tansistock.sql');
    await dumpWithStockTool(shop, stock);
    await exec(shop, ['DROP TRIGGER product_ai', 'DROP TRIGGER stock_au', 'DROP TRIGGER audit_bi', 'DELETE FROM stock']);
    const result = await restoreMysql(shop, chunked(await readFile(stock)), { tables: ['product', 'stock', 'audit'] });
    expect(result.objects).toMatchObject({ tables: 3, triggers: 3 });
    const after = await portablePrint(shop);
    for (const key of ['trigger product_ai', 'trigger stock_au', 'trigger audit_bi']) expect(after.objects[key], key).toBe(print.objects[key]);
    expect(after.tables.stock).toEqual(print.tables.stock);
    await exec(shop, ['UPDATE stock SET qty = 0 WHERE id = 2']);
    expect(await auditLines(shop)).toEqual(['STOCK 2']);
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
  it('a whole rollback read as two streams brings it back too', async () => {
    const { shop, record, backupDir, print } = await backedUpShop('tansiall');
    // The trigger's table is the largest: the first stream, which keeps only its own tables, reads it.
    expect(record.manifest?.tables[0].name).toBe('product');
    await exec(shop, ['DROP TRIGGER product_ai', 'DROP TRIGGER stock_au', 'DROP VIEW stock_labels', 'DELETE FROM product WHERE id > 10']);
    await rollbackDatabase(shop, backupDir, record);
    expect(await portablePrint(shop)).toEqual(print);
    const labels = await queryRows<{ label: string }>(shop, 'SELECT label FROM stock_labels ORDER BY id');
    expect(labels.map((r) => r.label)).toEqual(['shelf A', 'shelf B']);
  });

  it('the archive loads with the stock client into another schema, whose objects its triggers and views use', async () => {
    const { shop, record, backupDir, print } = await backedUpShop('tload');
    const archive = archivePath(backupDir, record);
    // Only the header's comment and the event's body (the user's code, left as written) name the shop.
    const naming = gunzipSync(await readFile(archive)).toString('utf8').split('\n').filter((line) => line.includes(shop.database));
    expect(naming).toEqual([expect.stringMatching(/^-- Database: /), expect.stringContaining(`DO DELETE FROM \`${shop.database}\`.audit WHERE id < 0`)]);
    const elsewhere = await schemas.create('tload_else');
    await loadWithStockClient(elsewhere, archive);
    const loaded = await portablePrint(elsewhere);
    const withoutEvent = ({ objects: { 'event purge_audit': _event, ...objects }, tables }: SchemaFingerprint) => ({ tables, objects });
    expect(withoutEvent(loaded)).toEqual(withoutEvent(print));
    await exec(elsewhere, ['UPDATE stock SET qty = qty + 1 WHERE id = 1', "INSERT INTO product VALUES (5000, 'new', '')"]);
    expect(await auditLines(elsewhere)).toEqual(['STOCK 1', 'PRODUCT 5000']);
    expect(await auditLines(shop)).toEqual([]);
    // The view's LASTVAL reads the sequence of the schema it was loaded into.
    const [drawn, shown] = await withConnection(elsewhere, async (conn) => {
      const [next] = await conn.query('SELECT NEXTVAL(invoice_seq) AS n');
      const [view] = await conn.query('SELECT last_drawn FROM invoice_numbers');
      return [(next as { n: string }[])[0].n, (view as { last_drawn: string }[])[0].last_drawn];
    });
    expect(shown).toBe(drawn);
  });

  it('rollback --table of a table numbered by a sequence stops before the swap, naming the --table to add', async () => {
    const { shop, record, backupDir } = await backedUpShop('tseqref');
    await exec(shop, ['DELETE FROM invoice', 'INSERT INTO invoice (amount) VALUES (7)']);
    const before = await portablePrint(shop);
    const refusal = /^cannot restore database `[^`]+`: table `invoice` takes a default from sequence `invoice_seq`, which is not restored with it: add --table invoice_seq to restore both \(.*\), or roll back the whole database; the database was not changed$/;
    await expect(rollbackDatabase(shop, backupDir, record, { tables: ['invoice'] })).rejects.toThrow(refusal);
    // mariadb-dump names the sequence with the schema: nextval(`shop`.`invoice_seq`).
    const stock = path.join(dir, 'tseqref.sql');
    await dumpWithStockTool(shop, stock);
    await expect(restoreMysql(shop, chunked(await readFile(stock)), { tables: ['invoice'] })).rejects.toThrow(refusal);
    expect(await portablePrint(shop)).toEqual(before);
    expect(await leftovers(shop)).toEqual([]);
  });

  it('rollback --table restores a sequence, alone or with its table, and says so', async () => {
    const { shop, record, root, backupDir, print } = await backedUpShop('tseq');
    const saved = await nextNotCached(shop);
    await exec(shop, ['DELETE FROM invoice WHERE id > 1000', 'SELECT SETVAL(invoice_seq, 50000)']);
    const t = shop;
    const env = { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: databaseUrl(t) };
    const alone = await runCli(['rollback', record.id, '--table', 'invoice_seq', '--yes'], env);
    expect(alone.stderr).toBe('');
    expect(alone.stdout).toBe(`rolled back to ${record.file}: 0 tables, 1 sequence, 0 rows restored\n`);
    expect(alone.code).toBe(0);
    await rollbackCleanedUp(path.join(root, 'var/lifeboat')); // the job drops the old tables after it ends
    expect(await nextNotCached(shop)).toBe(saved);
    // The table kept its rows, and its default draws from the restored sequence.
    expect(await nextInvoiceId(shop)).toBe(saved);
    await exec(shop, ['SELECT SETVAL(invoice_seq, 60000)', 'DELETE FROM invoice']);
    const both = await rollbackDatabase(shop, backupDir, record, { tables: ['invoice', 'invoice_seq'] });
    expect(both).toMatchObject({ tables: 1, rows: 2, objects: { tables: 1, sequences: 1 } });
    const after = await portablePrint(shop);
    expect(after.tables.invoice).toEqual(print.tables.invoice);
    expect(after.objects['table invoice']).toBe(print.objects['table invoice']);
    expect(after.objects['sequence invoice_seq']).toBe(print.objects['sequence invoice_seq']);
    expect(await nextInvoiceId(shop)).toBe(saved);
    expect(await leftovers(shop)).toEqual([]);
  });
});

describe('schema qualifiers in definitions', () => {
  it("takes the schema's name off dotted names, never off string literals or other schemas", () => {
    const view =
      "CREATE VIEW `v` AS select `shop`.`t`.`id` AS `id`,`other`.`x`.`a` AS `a`,lastval(`shop`.`seq`) AS `n` from (`shop`.`t` join `other`.`x`) where `shop`.`t`.`s` <> 'it''s `shop`.`t`'";
    expect(withoutSchemaQualifier(view, 'shop')).toBe(
      "CREATE VIEW `v` AS select `t`.`id` AS `id`,`other`.`x`.`a` AS `a`,lastval(`seq`) AS `n` from (`t` join `other`.`x`) where `t`.`s` <> 'it''s `shop`.`t`'",
    );
    expect(withoutSchemaQualifier('select `sh``op`.`t`.`c` from `sh``op`.`t`', 'sh`op')).toBe('select `t`.`c` from `t`');
    // A table named like its schema: `shop`.`id` may be its column, so only longer names lose the schema.
    expect(withoutSchemaQualifier('select `shop`.`shop`.`id` AS `id` from `shop`.`shop`', 'shop', true)).toBe('select `shop`.`id` AS `id` from `shop`.`shop`');
    expect(withoutSchemaQualifier('select `shop`.`id` AS `id` from `shop`', 'shop', true)).toBe('select `shop`.`id` AS `id` from `shop`');
  });

  it("takes it off a trigger's name and table, not off its body", () => {
    expect(triggerWithoutSchemaQualifier('CREATE DEFINER=`a`@`b` TRIGGER `shop`.q AFTER INSERT ON shop.t FOR EACH ROW INSERT INTO shop.log VALUES (1)', 'shop')).toBe(
      'CREATE DEFINER=`a`@`b` TRIGGER q AFTER INSERT ON t FOR EACH ROW INSERT INTO shop.log VALUES (1)',
    );
    const other = 'CREATE TRIGGER q AFTER INSERT ON other.t FOR EACH ROW SET @a = 1';
    expect(triggerWithoutSchemaQualifier(other, 'shop')).toBe(other);
  });
});

describe('sequenceReferences', () => {
  it('finds the sequences a CREATE TABLE draws on, in every spelling, not in strings', () => {
    const create = "CREATE TABLE i (id INT DEFAULT nextval(`shop`.`s`), b INT DEFAULT NEXT VALUE FOR s2, c INT DEFAULT LASTVAL(\"s3\"), d VARCHAR(9) COMMENT 'nextval(x)')";
    expect(sequenceReferences(Buffer.from(create)).map((ref) => [ref.schema, ref.name])).toEqual([
      ['shop', 's'],
      [undefined, 's2'],
      [undefined, 's3'],
    ]);
  });
});

describe('requireTables', () => {
  const record = (manifest: Partial<Manifest>) =>
    ({ file: 'x_db.sql.gz', manifest: { tables: [{ name: 'invoice' }], objects: { sequences: 0 }, ...manifest } }) as unknown as BackupRecord;

  it('takes the sequences a manifest lists as tables, and leaves the names to the restore where an older one lists none', () => {
    expect(() => requireTables(record({ sequences: ['invoice_seq'], objects: { sequences: 1 } as ObjectCounts }), ['invoice', 'invoice_seq'])).not.toThrow();
    expect(() => requireTables(record({ sequences: ['invoice_seq'] }), ['nosuch'])).toThrow(/^x_db\.sql\.gz holds no table "nosuch"; nothing was changed$/);
    expect(() => requireTables(record({ objects: { sequences: 1 } as ObjectCounts }), ['invoice_seq'])).not.toThrow();
    expect(() => requireTables(record({}), ['invoice_seq'])).toThrow(/holds no table "invoice_seq"/);
  });
});
