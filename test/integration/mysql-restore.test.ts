// Restore against the real MariaDB: dumps made by the stock mariadb-dump and by Magento are restored
// with restoreMysql and compared with the source. Fails (never skips) when the server is missing.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreMysql } from '../../src/engines/mysql/restore.js';
import { classifyStatement, removeRanges, widenSetNames } from '../../src/engines/mysql/restore-parse.js';
import type { MysqlTarget } from '../../src/engines/target.js';
import type { Progress } from '../../src/engines/engine.js';
import { createTestSchema, dumpWithStockTool, fingerprint, loadWithStockClient, testTarget, withConnection } from '../helpers/mysql.js';
import { chunked, MemorySqlSink } from '../helpers/sink.js';
import { dumpMysql } from '../../src/engines/mysql/dump.js';

const MAGENTO_FIXTURE = path.resolve('test/fixtures/magento-db-backup.sql');

/** The source shop: FKs with a cycle, views on views, a view calling a function, triggers, routines, an event, a sequence, binary data. */
const SOURCE_SQL = [
  'CREATE TABLE customer (id INT PRIMARY KEY AUTO_INCREMENT, email VARCHAR(255) NOT NULL UNIQUE, name VARCHAR(100), default_address_id INT NULL, created_at DATETIME NOT NULL) ENGINE=InnoDB',
  'CREATE TABLE address (id INT PRIMARY KEY AUTO_INCREMENT, customer_id INT NOT NULL, city VARCHAR(100), CONSTRAINT fk_address_customer FOREIGN KEY (customer_id) REFERENCES customer(id) ON DELETE CASCADE) ENGINE=InnoDB',
  'ALTER TABLE customer ADD CONSTRAINT fk_customer_default_address FOREIGN KEY (default_address_id) REFERENCES address(id) ON DELETE SET NULL',
  'CREATE TABLE orders (id INT PRIMARY KEY AUTO_INCREMENT, customer_id INT, total DECIMAL(12,4), status VARCHAR(20), note TEXT, CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customer(id)) ENGINE=InnoDB',
  'CREATE TABLE order_item (id INT PRIMARY KEY AUTO_INCREMENT, order_id INT NOT NULL, sku VARCHAR(64), CONSTRAINT fk_item_order FOREIGN KEY (order_id) REFERENCES orders(id) ON DELETE CASCADE) ENGINE=InnoDB',
  'CREATE TABLE order_log (id INT PRIMARY KEY AUTO_INCREMENT, order_id INT, message VARCHAR(255)) ENGINE=InnoDB',
  'CREATE TABLE media (id INT PRIMARY KEY, data LONGBLOB, label VARCHAR(50)) ENGINE=InnoDB',
  'CREATE SEQUENCE invoice_seq START WITH 1000 INCREMENT BY 1',
  'CREATE FUNCTION order_count(cid INT) RETURNS INT READS SQL DATA RETURN (SELECT COUNT(*) FROM orders WHERE customer_id = cid)',
  'CREATE VIEW v_order_totals AS SELECT customer_id, SUM(total) AS total, COUNT(*) AS n FROM orders GROUP BY customer_id',
  'CREATE VIEW v_big_customers AS SELECT c.email, t.total FROM customer c JOIN v_order_totals t ON t.customer_id = c.id WHERE t.total > 10',
  'CREATE VIEW v_customer_orders AS SELECT id, order_count(id) AS n FROM customer',
  "CREATE TRIGGER trg_orders_ai AFTER INSERT ON orders FOR EACH ROW INSERT INTO order_log (order_id, message) VALUES (NEW.id, CONCAT('created ', NEW.status))",
  "CREATE TRIGGER trg_orders_bu BEFORE UPDATE ON orders FOR EACH ROW BEGIN IF NEW.status = 'void' THEN SET NEW.total = 0; END IF; END",
  "CREATE PROCEDURE close_order(IN oid INT) BEGIN UPDATE orders SET status = 'closed' WHERE id = oid; END",
  "CREATE EVENT ev_cleanup ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE DO DELETE FROM order_log WHERE id < 0",
  // Enabled: the restore disables it while it sits in staging, and must create it enabled in the shop.
  "CREATE EVENT ev_enabled ON SCHEDULE EVERY 1 HOUR STARTS '2031-06-01 12:00:00' ON COMPLETION PRESERVE ENABLE COMMENT 'hourly' DO UPDATE orders SET status = status WHERE id < 0",
  "INSERT INTO customer (email, name, created_at) VALUES ('a@x.test', 'Zoë 😀', '2024-01-02 03:04:05'), ('b@x.test', 'O''Brien \\\\ back', '2024-02-03 04:05:06')",
  "INSERT INTO address (customer_id, city) VALUES (1, 'Köln'), (2, 'Paris')",
  'UPDATE customer SET default_address_id = id',
  "INSERT INTO orders (customer_id, total, status, note) VALUES (1, 12.5, 'new', 'line1\\nline2; -- not a comment */'), (2, 3.25, 'new', NULL)",
  "INSERT INTO order_item (order_id, sku) VALUES (1, 'SKU-1'), (1, 'SKU-2'), (2, 'SKU-3')",
  // Every byte value, and the bytes mysqldump escapes, in a BLOB dumped without --hex-blob.
  `INSERT INTO media VALUES (1, UNHEX('${Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('hex')}'), 'all bytes'), (2, UNHEX(REPEAT('DEADBEEF00275C22C328', 5000)), 'big')`,
  'SELECT NEXTVAL(invoice_seq)',
];

async function execAll(target: MysqlTarget, statements: string[]): Promise<void> {
  await withConnection(target, async (conn) => {
    for (const sql of statements) await conn.query(sql);
  });
}

async function query<T>(target: MysqlTarget, sql: string): Promise<T[]> {
  return withConnection(target, async (conn) => (await conn.query(sql))[0] as T[]);
}

/** Helper schemas a restore may have left behind. */
async function leftovers(target: MysqlTarget): Promise<string[]> {
  const rows = await query<{ name: string }>(
    target,
    `SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '${target.database.replace(/_/g, '\\_')}\\_\\_lb\\_%'`,
  );
  return rows.map((r) => r.name);
}

const DAMAGE = [
  'DROP TABLE order_log',
  'UPDATE orders SET total = 99, status = "changed"',
  "UPDATE customer SET name = 'damaged'",
  'DROP TRIGGER trg_orders_ai',
  'CREATE OR REPLACE VIEW v_order_totals AS SELECT 1 AS x',
  'CREATE TABLE extra_table (id INT PRIMARY KEY)',
  'INSERT INTO extra_table VALUES (1)',
  'CREATE PROCEDURE extra_proc() SELECT 1',
  'CREATE VIEW extra_view AS SELECT * FROM extra_table',
  "CREATE EVENT extra_event ON SCHEDULE EVERY 1 HOUR DISABLE DO SELECT 1",
];

describe('restoreMysql', () => {
  let dir: string;
  let source: { target: MysqlTarget; drop: () => Promise<void> };
  let dumpFile: string;
  let dump: Buffer;
  let sourcePrint: Awaited<ReturnType<typeof fingerprint>>;
  const cleanups: (() => Promise<void>)[] = [];

  async function schema(prefix: string): Promise<MysqlTarget> {
    const s = await createTestSchema(prefix);
    cleanups.push(s.drop);
    return s.target;
  }

  /** A copy of the source, then damaged. */
  async function damagedCopy(prefix: string): Promise<MysqlTarget> {
    const target = await schema(prefix);
    await loadWithStockClient(target, dumpFile);
    await execAll(target, DAMAGE);
    return target;
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-restore-'));
    source = await createTestSchema('rsrc');
    await execAll(source.target, SOURCE_SQL);
    dumpFile = path.join(dir, 'source.sql');
    await dumpWithStockTool(source.target, dumpFile);
    dump = await readFile(dumpFile);
    sourcePrint = await fingerprint(source.target);
  });

  afterAll(async () => {
    for (const drop of cleanups) await drop().catch(() => undefined);
    await source?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads a mariadb-dump file with the sandbox line and raw binary strings', () => {
    expect(dump.subarray(0, 40).toString('latin1')).toContain('/*M!999999\\- enable the sandbox mode */');
    // The BLOB is written raw (no --hex-blob): its bytes are not valid UTF-8.
    expect(dump.includes(Buffer.from([0x80, 0x81, 0x82, 0x83]))).toBe(true);
  });

  it('restores a mariadb-dump over a damaged database: equal to the source, extra objects gone', async () => {
    const target = await damagedCopy('rfull');
    expect(await fingerprint(target)).not.toEqual(sourcePrint);
    const progress: Progress[] = [];
    const result = await restoreMysql(target, chunked(dump, 4093), { totalBytes: dump.length, onProgress: (p) => progress.push(p) });
    expect(await fingerprint(target)).toEqual(sourcePrint);
    expect(result.tables).toBe(6);
    expect(result.rows).toBe(2 + 2 + 2 + 3 + 2 + 2);
    expect(result.objects).toEqual({ tables: 6, views: 3, triggers: 2, routines: 2, events: 2, sequences: 1 });
    expect(result.warnings).toEqual([]);
    const events = await query<{ name: string; status: string }>(
      target,
      `SELECT EVENT_NAME AS name, STATUS AS status FROM information_schema.EVENTS WHERE EVENT_SCHEMA = '${target.database}' ORDER BY EVENT_NAME`,
    );
    expect(events).toEqual([
      { name: 'ev_cleanup', status: 'DISABLED' },
      { name: 'ev_enabled', status: 'ENABLED' },
    ]);
    const blob = await query<{ h: string }>(target, 'SELECT HEX(data) AS h FROM media WHERE id = 1');
    expect(blob[0].h).toBe(Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('hex').toUpperCase());
    const names = await query<{ name: string }>(target, "SELECT name FROM customer WHERE email = 'a@x.test'");
    expect(names[0].name).toBe('Zoë 😀');
    const seq = 'SELECT next_not_cached_value AS v FROM invoice_seq';
    expect(await query(target, seq)).toEqual(await query(source.target, seq));
    expect(await leftovers(target)).toEqual([]);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toMatchObject({ phase: 'restore', bytes: dump.length, totalBytes: dump.length });
    // The views work against the restored tables, the function too.
    const big = await query<{ email: string }>(target, 'SELECT email FROM v_big_customers');
    expect(big.map((r) => r.email)).toEqual(['a@x.test']);
    const counts = await query<{ n: number }>(target, 'SELECT n FROM v_customer_orders ORDER BY id');
    expect(counts.map((r) => Number(r.n))).toEqual([1, 1]);
  });

  it("restores a dump made by Lifeboat's own dumper", async () => {
    const sink = new MemorySqlSink();
    await dumpMysql(source.target, sink);
    const own = sink.toBuffer();
    const target = await damagedCopy('rown');
    const result = await restoreMysql(target, chunked(own, 5000));
    expect(await fingerprint(target)).toEqual(sourcePrint);
    expect(result.objects).toEqual({ tables: 6, views: 3, triggers: 2, routines: 2, events: 2, sequences: 1 });
    expect(await leftovers(target)).toEqual([]);
  });

  it('gives the same database over one session and over three (tables loaded in parallel, triggers after their data)', async () => {
    const sink = new MemorySqlSink();
    await dumpMysql(source.target, sink);
    // mariadb-dump's LOCK TABLES and per-table SETs, and Lifeboat's own layout.
    for (const [name, file] of [['stock', dump], ['own', sink.toBuffer()]] as const) {
      for (const threads of [1, 3]) {
        const target = await damagedCopy(`r${name}${threads}`);
        const result = await restoreMysql(target, chunked(file, 6000), { threads });
        expect(await fingerprint(target), `${name} dump over ${threads} session(s)`).toEqual(sourcePrint);
        expect(result.rows).toBe(2 + 2 + 2 + 3 + 2 + 2);
        expect(await leftovers(target)).toEqual([]);
      }
    }
  });

  it('restores into an empty database, and a --databases dump into a database of another name', async () => {
    const empty = await schema('rempty');
    await restoreMysql(empty, chunked(dump, 65536));
    expect(await fingerprint(empty)).toEqual(sourcePrint);

    const withDb = path.join(dir, 'databases.sql');
    await dumpWithStockTool(source.target, withDb, ['--add-drop-database', '--databases']);
    const text = await readFile(withDb);
    expect(text.toString('latin1')).toMatch(/CREATE DATABASE .*`lbt_rsrc_/);
    expect(text.toString('latin1')).toMatch(/USE `lbt_rsrc_/);
    const other = await damagedCopy('rother');
    await restoreMysql(other, chunked(text, 1000));
    expect(await fingerprint(other)).toEqual(sourcePrint);
    // The source named in the dump was not touched.
    expect(await fingerprint(source.target)).toEqual(sourcePrint);
    expect(await leftovers(other)).toEqual([]);
  });

  it('restores a Magento "Database Backup" file', async () => {
    const target = await schema('rmage');
    await execAll(target, ['CREATE TABLE leftover_from_before (id INT)', 'CREATE TRIGGER t_leftover BEFORE INSERT ON leftover_from_before FOR EACH ROW SET NEW.id = 1']);
    const sql = await readFile(MAGENTO_FIXTURE);
    const result = await restoreMysql(target, chunked(sql, 777));
    expect(result.tables).toBe(8);
    expect(result.objects).toMatchObject({ tables: 8, views: 1, triggers: 3, routines: 0, events: 0 });
    const tables = await query<{ t: string; type: string }>(
      target,
      `SELECT TABLE_NAME AS t, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${target.database}' ORDER BY TABLE_NAME`,
    );
    expect(tables.map((r) => r.t)).toEqual([
      'catalog_product_entity',
      'catalog_product_entity_cl',
      'catalog_product_entity_varchar',
      'customer_entity',
      'sales_order',
      'sales_order_item',
      'sales_order_summary',
      'store',
      'store_website',
    ]);
    const counts = await query<Record<string, number>>(
      target,
      'SELECT (SELECT COUNT(*) FROM store) s, (SELECT COUNT(*) FROM customer_entity) c, (SELECT COUNT(*) FROM sales_order_item) i, (SELECT COUNT(*) FROM catalog_product_entity_varchar) v',
    );
    expect(Object.values(counts[0]).map(Number)).toEqual([2, 3, 3, 6]);
    expect(result.rows).toBe(2 + 2 + 3 + 3 + 6 + 2 + 2 + 3);
    // Row 0 (admin store) kept its id: the dump's NO_AUTO_VALUE_ON_ZERO was honoured.
    const admin = await query<{ code: string }>(target, 'SELECT code FROM store WHERE store_id = 0');
    expect(admin[0].code).toBe('admin');
    const names = await query<{ firstname: string; lastname: string }>(target, 'SELECT firstname, lastname FROM customer_entity WHERE entity_id = 3');
    expect(names[0]).toEqual({ firstname: 'Seán', lastname: "O'Brien" });
    const varchar = await query<{ value: string }>(target, 'SELECT value FROM catalog_product_entity_varchar WHERE value_id = 4');
    expect(varchar[0].value).toBe('Chaz Känguru-Kapuzenpulli; "warm"');
    const note = await query<{ customer_note: string }>(target, 'SELECT customer_note FROM sales_order WHERE entity_id = 1');
    expect(note[0].customer_note).toBe('Please leave at the door;\nthanks -- Roni');
    const fks = await query<{ n: number }>(
      target,
      `SELECT COUNT(*) AS n FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = '${target.database}' AND UNIQUE_CONSTRAINT_SCHEMA = '${target.database}'`,
    );
    expect(Number(fks[0].n)).toBe(9);
    const triggers = await query<{ name: string }>(
      target,
      `SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '${target.database}' ORDER BY TRIGGER_NAME`,
    );
    expect(triggers.map((t) => t.name)).toEqual([
      'trg_catalog_product_entity_after_delete',
      'trg_catalog_product_entity_after_insert',
      'trg_catalog_product_entity_after_update',
    ]);
    // The triggers and the foreign keys work.
    await execAll(target, ["INSERT INTO catalog_product_entity (sku) VALUES ('NEW-1')", 'DELETE FROM sales_order WHERE entity_id = 2']);
    const cl = await query<{ n: number }>(target, 'SELECT COUNT(*) AS n FROM catalog_product_entity_cl');
    expect(Number(cl[0].n)).toBe(3);
    const items = await query<{ n: number }>(target, 'SELECT COUNT(*) AS n FROM sales_order_item');
    expect(Number(items[0].n)).toBe(2); // ON DELETE CASCADE
    const summary = await query<{ items: number }>(target, 'SELECT items FROM sales_order_summary WHERE entity_id = 1');
    expect(Number(summary[0].items)).toBe(2);
    expect(await leftovers(target)).toEqual([]);
  });

  it('fails on a bad statement naming its byte offset, leaves the database unchanged and no helper schema', async () => {
    const target = await damagedCopy('rbad');
    const before = await fingerprint(target);
    const marker = Buffer.from('UNLOCK TABLES;\n', 'latin1');
    const at = dump.indexOf(marker, dump.indexOf('Dumping data for table `customer`')) + marker.length;
    const bad = Buffer.from('INSERT INTO `customer` VALUES (1,2);\n');
    const broken = Buffer.concat([dump.subarray(0, at), bad, dump.subarray(at)]);
    const error = await restoreMysql(target, chunked(broken, 3001)).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error?.message).toContain(`statement at byte offset ${at} failed`);
    expect(error?.message).toMatch(/Column count doesn't match/);
    expect(error?.message).toContain('the database was not changed');
    expect(await fingerprint(target)).toEqual(before);
    expect(await leftovers(target)).toEqual([]);
  });

  it('restores only the given tables (with their triggers), leaving the others as they are', async () => {
    const target = await damagedCopy('rpart');
    const result = await restoreMysql(target, chunked(dump, 8192), { tables: ['orders'] });
    expect(result.tables).toBe(1);
    expect(result.objects).toMatchObject({ tables: 1, triggers: 2 });
    const after = await fingerprint(target);
    expect(after.tables.orders).toEqual(sourcePrint.tables.orders);
    expect(after.objects['table orders']).toBe(sourcePrint.objects['table orders']);
    expect(after.objects['trigger trg_orders_ai']).toBe(sourcePrint.objects['trigger trg_orders_ai']);
    expect(after.objects['trigger trg_orders_bu']).toBe(sourcePrint.objects['trigger trg_orders_bu']);
    // order_item's foreign key, which referenced the old `orders`, references the restored one.
    expect(after.objects['table order_item']).toBe(sourcePrint.objects['table order_item']);
    // The rest stays damaged.
    const names = await query<{ name: string }>(target, 'SELECT DISTINCT name FROM customer');
    expect(names.map((r) => r.name)).toEqual(['damaged']);
    expect(after.tables.order_log).toBeUndefined();
    expect(after.tables.extra_table).toBeDefined();
    expect(after.objects['view v_order_totals']).not.toBe(sourcePrint.objects['view v_order_totals']);
    expect(after.objects['procedure extra_proc']).toBeDefined();
    // The FKs work in both directions.
    await expect(execAll(target, ['INSERT INTO order_item (order_id, sku) VALUES (12345, "x")'])).rejects.toThrow(/foreign key constraint fails/);
    await execAll(target, ['DELETE FROM orders WHERE id = 2']);
    const items = await query<{ n: number }>(target, 'SELECT COUNT(*) AS n FROM order_item WHERE order_id = 2');
    expect(Number(items[0].n)).toBe(0);
    // A table the shop lost comes back alone.
    await restoreMysql(target, chunked(dump, 8192), { tables: ['order_log'] });
    expect((await fingerprint(target)).tables.order_log).toEqual(sourcePrint.tables.order_log);
    expect(await leftovers(target)).toEqual([]);
  });

  it('puts everything back when the swap fails after the rename', async () => {
    const target = await damagedCopy('rroll');
    // A trigger on another table holds the name of a trigger of `orders` in the backup: creating it fails
    // after the rename, so the restore must rename back and recreate what it dropped.
    await execAll(target, ["CREATE TRIGGER trg_orders_ai BEFORE INSERT ON customer FOR EACH ROW SET NEW.name = 'x'"]);
    const before = await fingerprint(target);
    await expect(restoreMysql(target, chunked(dump, 8192), { tables: ['orders'] })).rejects.toThrow(/put back as it was/);
    expect(await fingerprint(target)).toEqual(before);
    expect(await leftovers(target)).toEqual([]);
  });

  it('fails for a table the backup does not have', async () => {
    const target = await damagedCopy('rmiss');
    const before = await fingerprint(target);
    await expect(restoreMysql(target, chunked(dump), { tables: ['no_such_table'] })).rejects.toThrow(/the backup has no table `no_such_table`/);
    expect(await fingerprint(target)).toEqual(before);
    expect(await leftovers(target)).toEqual([]);
  });

  it('honours an abort signal: nothing changes, no helper schema is left', async () => {
    const target = await damagedCopy('rabort');
    const before = await fingerprint(target);
    const controller = new AbortController();
    async function* abortHalfway(): AsyncIterable<Buffer> {
      let sent = 0;
      for await (const chunk of chunked(dump, 2048)) {
        if (sent > dump.length / 2) controller.abort();
        sent += chunk.length;
        yield chunk;
      }
    }
    await expect(restoreMysql(target, abortHalfway(), { signal: controller.signal })).rejects.toThrow(/abort/i);
    expect(await fingerprint(target)).toEqual(before);
    expect(await leftovers(target)).toEqual([]);

    const already = new AbortController();
    already.abort();
    await expect(restoreMysql(target, chunked(dump), { signal: already.signal })).rejects.toThrow(/abort/i);
  });

  it('never shows a reader a missing table during the swap', async () => {
    const target = await damagedCopy('rread');
    await execAll(target, ['CREATE TABLE order_log (id INT PRIMARY KEY AUTO_INCREMENT, order_id INT, message VARCHAR(255))']);
    let done = false;
    let reads = 0;
    const errors: string[] = [];
    const reader = withConnection(target, async (conn) => {
      while (!done) {
        try {
          await conn.query('SELECT (SELECT COUNT(*) FROM orders) + (SELECT COUNT(*) FROM customer) + (SELECT COUNT(*) FROM order_log) AS n');
          reads++;
        } catch (error) {
          errors.push((error as Error).message);
        }
      }
    });
    try {
      for (let i = 0; i < 3; i++) await restoreMysql(target, chunked(dump, 65536));
    } finally {
      done = true;
      await reader;
    }
    expect(errors).toEqual([]);
    expect(reads).toBeGreaterThan(0);
    expect(await fingerprint(target)).toEqual(sourcePrint);
  });

  it('works for a user without global privileges, once the printed GRANT is given', async () => {
    const target = await damagedCopy('rpriv');
    const user = `lbt_u_${randomBytes(3).toString('hex')}`;
    const password = randomBytes(8).toString('hex');
    const root = testTarget(target.database);
    await execAll(root, [`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`, `GRANT ALL PRIVILEGES ON \`${target.database}\`.* TO '${user}'@'%'`]);
    cleanups.push(() => execAll(root, [`DROP USER IF EXISTS '${user}'@'%'`]));
    const limited: MysqlTarget = { ...target, user, password };
    const error = await restoreMysql(limited, chunked(dump)).then(
      () => null,
      (e: unknown) => e as Error,
    );
    // Found before anything is written (restore-preflight.ts), with the GRANT that fixes it.
    expect(error?.message).toMatch(
      /^cannot restore database `[^`]+`: nothing was changed, because user \S+@% lacks .*CREATE.* on the helper schemas \(such as `[^`]+__lb_stage_[0-9a-z]+`\); grant them with: GRANT ALL PRIVILEGES ON `.+\\_\\_lb\\_%`\.\* TO '.+'@'%'$/,
    );
    expect(error?.message.split('\n')).toHaveLength(1);
    const grant = /grant them with: (GRANT .*)$/.exec(error?.message ?? '')?.[1] ?? '';
    await execAll(root, [grant]);
    const result = await restoreMysql(limited, chunked(dump));
    expect(await fingerprint(target)).toEqual(sourcePrint);
    // The damaged copy was loaded by root: its routines belong to root, whose bodies this user cannot read.
    const [owners, ...unreadable] = result.warnings;
    expect(unreadable).toHaveLength(3);
    for (const w of unreadable) expect(w).toMatch(/cannot read the definition of (function|procedure) .* could not be put back/);
    // The dump's DEFINER clauses name root, which this user may not set: one warning names the objects.
    expect(owners).toMatch(/^these objects belong to the restoring user .* instead of their owner in the backup: view `v_big_customers`, .*\(root@\S+: setting another owner needs SUPER or SET USER\)$/);
    expect(await leftovers(target)).toEqual([]);
  });
});

describe('statement heads (restore-parse)', () => {
  const info = (sql: string) => classifyStatement(Buffer.from(sql));
  const strip = (sql: string) => {
    const i = info(sql);
    return removeRanges(Buffer.from(sql), i.definer ? [i.definer.range] : []).toString();
  };

  it('finds definers in every form mysqldump and servers write', () => {
    expect(strip('/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET @a=1 */')).toBe(
      '/*!50003 CREATE*/ /*!50017 */ /*!50003 TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET @a=1 */',
    );
    expect(strip("CREATE DEFINER='magento'@'%' PROCEDURE p() SELECT 1")).toBe('CREATE  PROCEDURE p() SELECT 1');
    expect(strip('CREATE DEFINER = CURRENT_USER() FUNCTION f() RETURNS INT RETURN 1')).toBe('CREATE  FUNCTION f() RETURNS INT RETURN 1');
    expect(strip('CREATE OR REPLACE ALGORITHM=MERGE DEFINER=`a`@`b` SQL SECURITY INVOKER VIEW v AS SELECT 1')).toBe(
      'CREATE OR REPLACE ALGORITHM=MERGE  SQL SECURITY INVOKER VIEW v AS SELECT 1',
    );
    expect(info('/*!50106 CREATE*/ /*!50117 DEFINER=`root`@`localhost`*/ /*!50106 EVENT `e` ON SCHEDULE EVERY 1 DAY DO SELECT 1 */')).toMatchObject({
      kind: 'create-event',
      objects: [{ name: 'e' }],
      definer: { user: 'root', host: 'localhost' },
    });
  });

  it('classifies statements and finds schema qualifiers', () => {
    expect(info('INSERT IGNORE INTO `shop`.`t` VALUES (1)')).toMatchObject({ kind: 'insert', objects: [{ schema: 'shop', name: 't', qualifier: [19, 26] }] });
    expect(info('/*!40000 ALTER TABLE `t` DISABLE KEYS */')).toMatchObject({ kind: 'alter-table', objects: [{ name: 't' }] });
    expect(info('LOCK TABLES `a` WRITE, `b` AS x READ')).toMatchObject({ kind: 'lock', objects: [{ name: 'a' }, { name: 'b' }] });
    expect(info('/*!40000 DROP DATABASE IF EXISTS `shop`*/').kind).toBe('drop-database');
    expect(info('CREATE DATABASE /*!32312 IF NOT EXISTS*/ `shop` /*!40100 DEFAULT CHARACTER SET utf8mb4 */')).toMatchObject({
      kind: 'create-database',
      objects: [{ name: 'shop' }],
    });
    expect(info('ALTER DATABASE `shop` CHARACTER SET latin1 COLLATE latin1_swedish_ci')).toMatchObject({ kind: 'alter-database', objects: [{ name: 'shop' }] });
    expect(info('ALTER DATABASE CHARACTER SET latin1')).toMatchObject({ kind: 'alter-database', objects: [] });
    expect(info('DO SETVAL(`invoice_seq`, 1001, 0)')).toMatchObject({ kind: 'setval', objects: [{ name: 'invoice_seq' }] });
    expect(info('CREATE  TRIGGER trg AFTER INSERT ON catalog_product_entity FOR EACH ROW BEGIN END')).toMatchObject({
      kind: 'create-trigger',
      table: { name: 'catalog_product_entity' },
    });
    expect(info('SET GLOBAL max_connections = 1').kind).toBe('set-global');
    expect(info('SET @@global.read_only = 1').kind).toBe('set-global');
    expect(info('/*!40101 SET NAMES utf8 */').kind).toBe('set');
    expect(info('GRANT ALL ON *.* TO x').kind).toBe('admin');
    expect(widenSetNames(Buffer.from('/*!40101 SET NAMES utf8 */')).toString()).toBe('/*!40101 SET NAMES utf8mb4 */');
    expect(widenSetNames(Buffer.from('SET NAMES utf8 COLLATE utf8_bin')).toString()).toBe('SET NAMES utf8 COLLATE utf8_bin');
  });

  it('reads names in "double quotes" (ANSI_QUOTES) and qualified names with blanks around the dot', () => {
    expect(info('CREATE DEFINER="root"@"localhost" TRIGGER "trg" AFTER INSERT ON "t ""x""" FOR EACH ROW INSERT INTO "log" VALUES (1)')).toMatchObject({
      kind: 'create-trigger',
      objects: [{ name: 'trg' }],
      table: { name: 't "x"' },
      definer: { user: 'root', host: 'localhost' },
    });
    const spaced = 'CREATE TRIGGER `shop` . q BEFORE INSERT ON "shop".t FOR EACH ROW SET @a = 1';
    const head = info(spaced);
    expect(head).toMatchObject({ objects: [{ schema: 'shop', name: 'q' }], table: { schema: 'shop', name: 't' } });
    const ranges = [head.objects[0].qualifier!, head.table!.qualifier!];
    expect(removeRanges(Buffer.from(spaced), ranges).toString()).toBe('CREATE TRIGGER q BEFORE INSERT ON t FOR EACH ROW SET @a = 1');
    // A single-quoted word is a string, never a name.
    expect(info("CREATE TRIGGER trg AFTER INSERT ON 't' FOR EACH ROW SET @a = 1").table).toBeUndefined();
  });
});

describe('restoreMysql with hand-written dumps', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const drop of cleanups) await drop().catch(() => undefined);
  });

  it('reads DELIMITER ;; trigger blocks, strips foreign definers and refuses writes to other schemas', async () => {
    const s = await createTestSchema('rhand');
    cleanups.push(s.drop);
    const sql = Buffer.from(
      [
        'SET NAMES utf8mb4;',
        'CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10));',
        "INSERT INTO t VALUES (1,'a'),(2,'b;c');",
        'DELIMITER ;;',
        'CREATE DEFINER=`nobody`@`nowhere` TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW BEGIN',
        "  SET NEW.v = CONCAT(NEW.v, ';');",
        'END ;;',
        'CREATE DEFINER=`nobody`@`nowhere` PROCEDURE p() BEGIN SELECT 1; SELECT 2; END;;',
        'DELIMITER ;',
        '',
      ].join('\n'),
    );
    const result = await restoreMysql(s.target, chunked(sql, 5));
    expect(result.objects).toMatchObject({ tables: 1, triggers: 1, routines: 1 });
    const definers = await query<{ d: string }>(
      s.target,
      `SELECT DEFINER AS d FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '${s.target.database}' UNION ALL SELECT DEFINER FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '${s.target.database}'`,
    );
    expect(definers.map((r) => r.d)).not.toContain('nobody@nowhere');
    await execAll(s.target, ["INSERT INTO t VALUES (3, 'x')"]);
    const v = await query<{ v: string }>(s.target, 'SELECT v FROM t WHERE id = 3');
    expect(v[0].v).toBe('x;');

    const escape = Buffer.from('CREATE TABLE t2 (id INT);\nINSERT INTO mysql.user_copy VALUES (1);\n');
    await expect(restoreMysql(s.target, chunked(escape))).rejects.toThrow(/reaches schema `mysql`, outside the shop's database \(mysql\.user_copy\) in its statement at byte offset 26: /);
    const empty = Buffer.from('-- nothing here\n/*!40101 SET NAMES utf8 */;\n');
    await expect(restoreMysql(s.target, chunked(empty))).rejects.toThrow(/creates no table/);
    const still = await query<{ n: number }>(s.target, 'SELECT COUNT(*) AS n FROM t');
    expect(Number(still[0].n)).toBe(3);
  });

  it('points a DEFAULT NEXTVAL(seq) column at the shop\'s sequence, not at the dropped staging schema', async () => {
    const s = await createTestSchema('rseq');
    cleanups.push(s.drop);
    const sql = Buffer.from(
      [
        'CREATE SEQUENCE invoice_seq START WITH 100 INCREMENT BY 1;',
        'CREATE TABLE invoice (id BIGINT NOT NULL DEFAULT NEXTVAL(invoice_seq) PRIMARY KEY, amount DECIMAL(10,2));',
        'INSERT INTO invoice VALUES (1, 9.99);',
        '',
      ].join('\n'),
    );
    // Twice: into an empty database, then over the restored one (the old sequence moves out).
    for (let i = 0; i < 2; i++) {
      await restoreMysql(s.target, chunked(sql, 64));
      const defaults = await query<{ d: string }>(
        s.target,
        `SELECT COLUMN_DEFAULT AS d FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '${s.target.database}' AND TABLE_NAME = 'invoice' AND COLUMN_NAME = 'id'`,
      );
      expect(defaults[0].d).toBe(`nextval(\`${s.target.database}\`.\`invoice_seq\`)`);
      await execAll(s.target, ['INSERT INTO invoice (amount) VALUES (5)']);
      const ids = await query<{ id: number }>(s.target, 'SELECT id FROM invoice ORDER BY id');
      expect(ids.map((r) => Number(r.id))).toEqual([1, 100]);
    }
  });

  it('round-trips non-UTF-8 bytes in a latin1 table and in a BLOB exactly', async () => {
    const s = await createTestSchema('rbin');
    cleanups.push(s.drop);
    const bytes = Buffer.from([0x00, 0x27, 0x5c, 0x80, 0xff, 0xe9, 0x0a, 0x1a, 0xc3]);
    const escaped = Buffer.from(
      [...bytes].flatMap((b) => {
        const map: Record<number, string> = { 0: '\\0', 0x27: "\\'", 0x5c: '\\\\', 0x0a: '\\n', 0x1a: '\\Z' };
        return map[b] ? [...Buffer.from(map[b])] : [b];
      }),
    );
    const sql = Buffer.concat([
      Buffer.from('/*!40101 SET NAMES binary */;\nCREATE TABLE b (id INT, raw BLOB, l1 VARCHAR(20) CHARACTER SET latin1);\nINSERT INTO b VALUES (1,'),
      Buffer.from("'"),
      escaped,
      Buffer.from("','"),
      Buffer.from([0xe9, 0xe8, 0x80]),
      Buffer.from("');\n"),
    ]);
    await restoreMysql(s.target, chunked(sql, 1));
    const rows = await query<{ r: string; l: string }>(s.target, 'SELECT HEX(raw) AS r, HEX(l1) AS l FROM b');
    expect(rows[0].r).toBe(bytes.toString('hex').toUpperCase());
    expect(rows[0].l).toBe('E9E880');
  });
});
