// The restore's fast paths against the real MariaDB: rows sent as LOAD DATA (load-data.ts) and a local
// archive read as two streams (parallel-sql.ts) must give exactly the dumped data, for every kind of value
// a shop holds (checksums of every table, SHOW CREATE of every object).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseBackup } from '../../src/core/backup/database.js';
import { rollbackDatabase } from '../../src/core/rollback/database.js';
import { dumpMysql } from '../../src/engines/mysql/dump.js';
import mysql from 'mysql2/promise';
import { connectionOptions } from '../../src/engines/mysql/connect.js';
import { canLoadLocal, restoreMysql } from '../../src/engines/mysql/restore.js';
import { openRawSession } from '../../src/engines/mysql/restore-session.js';
import { dumpWithStockTool, fingerprint, queryRows, schemaRegistry, withConnection, type SchemaFingerprint } from '../helpers/mysql.js';
import { chunked, MemorySqlSink } from '../helpers/sink.js';
import type { MysqlTarget } from '../../src/engines/target.js';

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('hex');

const SOURCE_SQL = `
CREATE TABLE product (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(64) NOT NULL, name VARCHAR(255), body MEDIUMTEXT,
  price DECIMAL(20,4) NOT NULL DEFAULT 0, weight DOUBLE, ratio FLOAT, status ENUM('new','old','ü x'), flags SET('a','b','c'),
  made YEAR, at_time TIME(6), created DATETIME(6), updated TIMESTAMP NULL, legacy VARCHAR(64) CHARACTER SET latin1,
  attrs LONGTEXT CHECK (attrs IS NULL OR JSON_VALID(attrs)), image BLOB, code BINARY(4), tiny TINYINT, big BIGINT UNSIGNED,
  UNIQUE KEY uk_sku (sku), KEY k_name (name)
) ENGINE=InnoDB;
CREATE TABLE review (id BIGINT NOT NULL PRIMARY KEY, product_id INT UNSIGNED, text TEXT, KEY k_product (product_id),
  CONSTRAINT fk_review_product FOREIGN KEY (product_id) REFERENCES product (id) ON DELETE CASCADE) ENGINE=InnoDB;
CREATE TABLE audit (id INT PRIMARY KEY AUTO_INCREMENT, product_id INT UNSIGNED, what VARCHAR(20)) ENGINE=InnoDB;
CREATE TABLE bits (id INT PRIMARY KEY, b BIT(9)) ENGINE=InnoDB;

INSERT INTO product (sku, name, body, price, weight, ratio, status, flags, made, at_time, created, updated, legacy, attrs, image, code, tiny, big) VALUES
  ('tab', 'a\\tb', 'line1\\nline2\\r\\nline3', -99999999999999.9999, 1.7976931348623157e308, 3.40282e38, 'ü x', 'a,c', 1901, '-838:59:59.000000', '0000-00-00 00:00:00', NULL, 'Caf\\xE9', '{"a": "\\\\u00e9", "b": [1, 2]}', UNHEX('${ALL_BYTES}'), UNHEX('00000000'), -128, 18446744073709551615),
  ('nul', CONCAT('x', CHAR(0), 'y', CHAR(26), 'z'), '\\\\N', 0, -0.0, 1.17549e-38, 'new', '', 2155, '00:00:00', '1000-01-01 00:00:00.000001', '2038-01-19 03:14:07', NULL, NULL, '', NULL, 0, 0),
  ('null-text', 'NULL', 'back\\\\slash \\\\\\\\ and \\\\'' quote', 0.0001, 5e-324, -1.5, NULL, 'b', NULL, NULL, NULL, '1970-01-01 00:00:01', 'x''y', 'null', UNHEX('5C4E'), UNHEX('5C0A0900'), 127, 1),
  ('emoji', 'Zoë 😀 — 𝄞', REPEAT('long text ', 2000), 12.5, 0.1, 0.1, 'old', 'a,b,c', 2000, '12:34:56.789012', '2026-11-25 23:59:59.999999', NULL, '', '[]', UNHEX(REPEAT('DEADBEEF00', 3000)), UNHEX('FFFFFFFF'), NULL, NULL),
  ('empty', '', '', 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO product (sku, name, price, created) SELECT CONCAT('SKU-', seq), CONCAT('Product ', seq, ' ', MD5(seq)), seq / 7, '2020-01-01' + INTERVAL seq MINUTE FROM seq_1_to_8000;
INSERT INTO review SELECT seq, 1 + seq % 8000, CONCAT('review ', seq, '\\t', SHA1(seq)) FROM seq_1_to_12000;
INSERT INTO bits VALUES (1, b'101010101'), (2, NULL);

CREATE VIEW product_reviews AS SELECT p.sku, COUNT(r.id) AS n FROM product p LEFT JOIN review r ON r.product_id = p.id GROUP BY p.sku;
CREATE TRIGGER trg_product_ai AFTER INSERT ON product FOR EACH ROW INSERT INTO audit (product_id, what) VALUES (NEW.id, 'insert');
`;

async function loadStatements(target: MysqlTarget): Promise<number> {
  const [row] = await queryRows<{ Value: string }>(target, "SHOW GLOBAL STATUS LIKE 'Com_load'");
  return Number(row.Value);
}

/**
 * The LOAD DATA statements the server ran during `restore` and its result. The counter is the server's
 * (the restore's own sessions are gone when it ends), so other test files' loads add to it: the restore
 * (which replaces the database each time) is run up to three times, and the smallest count is the one
 * with no other load in it, unless every run shared the server with one.
 */
async function loadsDuring<T>(target: MysqlTarget, restore: () => Promise<T>, expected: number): Promise<{ loads: number; result: T }> {
  let fewest = Infinity;
  let result: T | undefined;
  for (let run = 0; run < 3 && fewest !== expected; run++) {
    const before = await loadStatements(target);
    result = await restore();
    fewest = Math.min(fewest, (await loadStatements(target)) - before);
  }
  return { loads: fewest, result: result as T };
}

describe('restore through LOAD DATA and two streams', () => {
  const schemas = schemaRegistry();
  let dir: string;
  let source: MysqlTarget;
  let sourcePrint: SchemaFingerprint;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-load-'));
    source = await schemas.create('loadsrc');
    await withConnection(source, (conn) => conn.query(SOURCE_SQL));
    sourcePrint = await fingerprint(source);
  });

  afterAll(async () => {
    await schemas.dropAll();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('gives every value back exactly from Lifeboat\'s dump and from mariadb-dump\'s, over one session and two', async () => {
    const sink = new MemorySqlSink();
    await dumpMysql(source, sink);
    await dumpWithStockTool(source, path.join(dir, 'stock.sql'));
    const stock = await readFile(path.join(dir, 'stock.sql'));
    for (const [name, dump] of [['own', sink.toBuffer()], ['stock', stock]] as const) {
      for (const threads of [1, 2]) {
        const target = await schemas.create(`load${name}${threads}`);
        const loadsBefore = await loadStatements(target);
        await restoreMysql(target, chunked(dump, 100_000), { threads });
        expect(await fingerprint(target), `${name} dump over ${threads} session(s)`).toEqual(sourcePrint);
        // Lifeboat's own dump sends the rows of product and review as LOAD DATA (bits keeps its INSERT).
        if (name === 'own') expect((await loadStatements(target)) - loadsBefore).toBeGreaterThanOrEqual(2);
      }
    }
  });

  it("points a mariadb-dump's DEFAULT NEXTVAL(`source`.`seq`) at the restored sequence", async () => {
    const origin = await schemas.create('nvsrc');
    await withConnection(origin, (conn) =>
      conn.query(`CREATE SEQUENCE ticket_seq START WITH 500;
        CREATE TABLE a_ticket (id INT NOT NULL DEFAULT NEXTVAL(ticket_seq) PRIMARY KEY, note VARCHAR(20)) ENGINE=InnoDB;
        INSERT INTO a_ticket (note) VALUES ('one'), ('two');`),
    );
    const file = path.join(dir, 'nextval.sql');
    await dumpWithStockTool(origin, file);
    const stock = await readFile(file);
    expect(stock.toString('utf8')).toContain(`nextval(\`${origin.database}\`.\`ticket_seq\`)`);
    // Into another database of the same server (the source's sequence must not move), and from a server
    // whose source database is not here (the table could not even be created).
    const elsewhere = Buffer.from(stock.toString('utf8').split(`\`${origin.database}\`.`).join('`lbt_gone_db`.'));
    for (const [name, dump] of [['nvsame', stock], ['nvgone', elsewhere]] as const) {
      const target = await schemas.create(name);
      await restoreMysql(target, chunked(dump, 1000));
      await withConnection(target, (conn) => conn.query("INSERT INTO a_ticket (note) VALUES ('three')"));
      const [create] = await queryRows<Record<string, string>>(target, 'SHOW CREATE TABLE a_ticket');
      expect(create['Create Table']).toContain(`nextval(\`${target.database}\`.\`ticket_seq\`)`);
      expect((await queryRows<{ id: number }>(target, 'SELECT id FROM a_ticket ORDER BY id')).map((r) => Number(r.id))).toEqual([500, 501, 1500]);
    }
    const [next] = await queryRows<{ n: number }>(origin, 'SELECT NEXTVAL(ticket_seq) AS n');
    expect(Number(next.n)).toBe(502); // untouched by the restores (a restored table drawing from it would have taken 502)
  });

  it('says which tables got values the server changed while loading (as LOAD DATA and as INSERT)', async () => {
    const dump = Buffer.from(`/*!40101 SET SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
CREATE TABLE \`cut\` (
  \`id\` int(11) NOT NULL,
  \`s\` varchar(3) DEFAULT NULL,
  PRIMARY KEY (\`id\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO \`cut\` VALUES (1,'abcdef'),(2,'ok');
CREATE TABLE \`fn\` (\`id\` int(11) NOT NULL PRIMARY KEY, \`s\` varchar(3)) ENGINE=InnoDB;
INSERT INTO \`fn\` VALUES (1,CONCAT('xyz','def'));
CREATE TABLE \`fine\` (\`id\` int(11) NOT NULL PRIMARY KEY) ENGINE=InnoDB;
INSERT INTO \`fine\` VALUES (1);
`);
    const target = await schemas.create('loadcut');
    const { loads, result } = await loadsDuring(target, () => restoreMysql(target, chunked(dump, 100)), 2);
    expect(loads).toBe(2); // cut and fine; fn keeps its INSERT
    const changed = result.warnings.filter((w) => w.includes('the server changed values'));
    expect(changed).toHaveLength(2);
    expect(changed[0]).toMatch(/^table cut: the server changed values while loading rows \(byte offset \d+\): Warning 1265: Data truncated for column 's' at row 1$/);
    expect(changed[1]).toMatch(/^table fn: .*Warning 1265: Data truncated for column 's'/);
    expect(await queryRows(target, 'SELECT s FROM cut ORDER BY id')).toEqual([{ s: 'abc' }, { s: 'ok' }]);

    // A dump of Lifeboat's own: its values come back as they were, warnings or not (ENUM's error value).
    const own = await restoreMysql(target, chunked(dump, 100), { ownDump: true });
    expect(own.warnings.filter((w) => w.includes('the server changed values'))).toEqual([]);
    expect(await queryRows(target, 'SELECT id, s FROM cut ORDER BY id')).toEqual([{ id: 1, s: 'abc' }, { id: 2, s: 'ok' }]);
  });

  it('sends rows as LOAD DATA only where the connection allows it (else every row keeps its INSERT)', async () => {
    const allowed = await openRawSession(source, { database: source.database });
    const refused = await mysql.createConnection({ ...connectionOptions(source, source.database), flags: ['-LOCAL_FILES'] });
    try {
      expect(await canLoadLocal(allowed)).toBe(true);
      expect(await canLoadLocal(refused)).toBe(false);
    } finally {
      await allowed.end();
      await refused.end();
    }
  });

  it('rolls a backup back read as two streams, foreign keys and the view across them', async () => {
    // A sequence and a column that defaults to it: the header (which holds sequences) is read by both
    // streams, the sequence made once.
    await withConnection(source, (conn) =>
      conn.query(`CREATE SEQUENCE invoice_seq START WITH 100;
        CREATE TABLE invoice (id INT NOT NULL DEFAULT NEXTVAL(invoice_seq) PRIMARY KEY, total DECIMAL(12,2)) ENGINE=InnoDB;
        INSERT INTO invoice (total) SELECT seq FROM seq_1_to_50;`),
    );
    sourcePrint = await fingerprint(source);
    const backupDir = path.join(dir, 'backups');
    const record = await createDatabaseBackup(source, backupDir);
    const target = await schemas.create('loadroll');
    await withConnection(target, (conn) => conn.query('CREATE TABLE leftover (id INT PRIMARY KEY)'));
    const result = await rollbackDatabase(target, backupDir, record);
    expect(await fingerprint(target)).toEqual(sourcePrint);
    expect(result.rows).toBe(5 + 8000 + 12000 + 2 + 50); // audit is empty: its trigger came after the rows
    // The sequence came back with its table: a new invoice takes a number after the restored ones (the
    // sequence's saved state, past its cache, as mariadb-dump keeps it too).
    await withConnection(target, (conn) => conn.query('INSERT INTO invoice (total) VALUES (1)'));
    const [last] = await queryRows<{ id: number }>(target, 'SELECT MAX(id) AS id FROM invoice');
    expect(Number(last.id)).toBeGreaterThanOrEqual(150);
  });
});
