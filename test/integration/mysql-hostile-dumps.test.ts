// Dumps Lifeboat did not make, against the real MariaDB: a statement that reaches outside the shop's
// database or the server's files is refused before the shop changes, and leaves no helper schema, no
// file, account or setting behind. A clean mariadb-dump of a shop still restores, and Lifeboat's own
// backups, whose bodies may name other schemas, still roll back.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archivePath } from '../../src/core/archive-reader.js';
import { createDatabaseBackup } from '../../src/core/backup/database.js';
import { listBackups } from '../../src/repository/catalog.js';
import { manifestFileName } from '../../src/repository/naming.js';
import { rollbackDatabase } from '../../src/core/rollback/database.js';
import { restoreMysql } from '../../src/engines/mysql/restore.js';
import type { MysqlTarget } from '../../src/engines/target.js';
import { runCli } from '../helpers/cli.js';
import { databaseUrl, dumpWithStockTool, fingerprint, queryRows, schemaRegistry, testTarget, withConnection } from '../helpers/mysql.js';
import { chunked } from '../helpers/sink.js';

/** A small dump as mariadb-dump writes one; the hostile statement goes between its tables and its end. */
const HEAD = [
  '/*!40101 SET NAMES utf8mb4 */;',
  "/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;",
  'DROP TABLE IF EXISTS `t`;',
  'CREATE TABLE `t` (`id` int(11) NOT NULL, `v` varchar(200) DEFAULT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB;',
  'LOCK TABLES `t` WRITE;',
  "INSERT INTO `t` VALUES (1,'from the dump'),(2,'b');",
  'UNLOCK TABLES;',
  '',
].join('\n');
const TAIL = '\n/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;\n';

/** The one-line refusal, naming what was found and where, and what to do. */
function refusal(shop: MysqlTarget, found: string, offset: number): RegExp {
  const escaped = found.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    `^cannot restore database \`${shop.database}\`: nothing was changed, because this dump, which Lifeboat did not make, ${escaped} in its statement at byte offset ${offset}: ".+"; remove that statement from the dump, or restore the dump by hand if you trust it$`,
  );
}

/** Helper schemas a restore may have left behind. */
async function leftovers(target: MysqlTarget): Promise<string[]> {
  const pattern = `${target.database.replace(/_/g, '\\_')}\\_\\_lb\\_%`;
  return (await queryRows<{ name: string }>(target, 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [pattern])).map((r) => r.name);
}

async function exec(target: MysqlTarget, statements: string[]): Promise<void> {
  await withConnection(target, async (conn) => {
    for (const sql of statements) await conn.query(sql);
  });
}

const schemas = schemaRegistry();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-hostile-'));
});

afterAll(async () => {
  await schemas.dropAll();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a dump Lifeboat did not make', () => {
  const root = testTarget('mysql');
  const tag = randomBytes(4).toString('hex');
  const outfile = `/tmp/lbt-hostile-${tag}.txt`;
  const account = `lbt_hostile_${tag}`;
  let shop: MysqlTarget;
  let other: MysqlTarget;

  beforeAll(async () => {
    shop = await schemas.create('hostile');
    other = await schemas.create('hostile_other');
    await exec(shop, ['CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(200))', "INSERT INTO t VALUES (1, 'the shop''s own')"]);
    await exec(other, ['CREATE TABLE keep (id INT PRIMARY KEY)', 'INSERT INTO keep VALUES (1)']);
  });

  afterAll(async () => {
    await exec(root, [`DROP USER IF EXISTS '${account}'@'%'`]);
    if (existsSync(outfile)) await unlink(outfile);
  });

  /** Restores HEAD + `statement` + TAIL into the shop and expects the refusal, with nothing changed. */
  async function expectRefused(statement: string, found: string): Promise<void> {
    const sql = Buffer.from(HEAD + statement + TAIL);
    const before = await fingerprint(shop);
    const error = await restoreMysql(shop, chunked(sql, 97)).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(refusal(shop, found, HEAD.length));
    expect(await fingerprint(shop)).toEqual(before);
    expect(await leftovers(shop)).toEqual([]);
  }

  it('refuses SELECT ... INTO OUTFILE, and the server writes no file', async () => {
    await expectRefused(`SELECT id, v FROM t INTO OUTFILE '${outfile}';`, 'writes a file on the database server (INTO OUTFILE)');
    const [seen] = await queryRows<{ missing: number }>(root, 'SELECT LOAD_FILE(?) IS NULL AS missing', [outfile]);
    expect(Number(seen.missing)).toBe(1);
    expect(existsSync(outfile)).toBe(false);
  });

  it('refuses a SQL SECURITY DEFINER view over mysql.user', async () => {
    const view = [
      '/*!50001 CREATE ALGORITHM=UNDEFINED */',
      '/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */',
      '/*!50001 VIEW `accounts` AS select `mysql`.`user`.`User` AS `User`,`mysql`.`user`.`Password` AS `Password` from `mysql`.`user` */;',
    ].join('\n');
    await expectRefused(view, 'reaches schema `mysql`, outside the shop\'s database (`mysql`.`user`.`User`)');
  });

  it('refuses an enabled event whose body drops a table in another schema', async () => {
    const event = [
      'DELIMITER ;;',
      `/*!50106 CREATE*/ /*!50117 DEFINER=\`root\`@\`localhost\`*/ /*!50106 EVENT \`wipe\` ON SCHEDULE EVERY 1 MINUTE ENABLE DO DROP TABLE \`${other.database}\`.keep */ ;;`,
      'DELIMITER ;',
    ].join('\n');
    const offset = HEAD.length + 'DELIMITER ;;\n'.length;
    const sql = Buffer.from(HEAD + event + TAIL);
    const before = await fingerprint(shop);
    await expect(restoreMysql(shop, chunked(sql, 97))).rejects.toThrow(
      refusal(shop, `reaches schema \`${other.database}\`, outside the shop's database (\`${other.database}\`.keep)`, offset),
    );
    expect(await fingerprint(shop)).toEqual(before);
    expect(await leftovers(shop)).toEqual([]);
    expect(await queryRows(other, 'SELECT id FROM keep')).toEqual([{ id: 1 }]);
  });

  it('refuses rows written into another schema, which keeps its rows', async () => {
    await expectRefused(`INSERT INTO \`${other.database}\`.keep VALUES (2);`, `reaches schema \`${other.database}\`, outside the shop's database (\`${other.database}\`.keep)`);
    expect(await queryRows(other, 'SELECT id FROM keep')).toEqual([{ id: 1 }]);
  });

  it('refuses GRANT, and no account is created', async () => {
    await expectRefused(`GRANT SELECT ON *.* TO '${account}'@'%' IDENTIFIED BY 'secret';`, 'changes accounts or privileges (GRANT)');
    expect(await queryRows(root, 'SELECT User FROM mysql.user WHERE User = ?', [account])).toEqual([]);
  });

  it('refuses SET GLOBAL', async () => {
    const [before] = await queryRows<{ n: number }>(root, 'SELECT @@global.max_connections AS n');
    await expectRefused('SET GLOBAL max_connections = @@global.max_connections;', 'changes a server-wide setting (SET GLOBAL)');
    expect(await queryRows(root, 'SELECT @@global.max_connections AS n')).toEqual([before]);
  });

  it('refuses LOAD_FILE', async () => {
    await expectRefused("INSERT INTO `t` VALUES (3, LOAD_FILE('/etc/hostname'));", 'reads a file on the database server (LOAD_FILE)');
  });

  it('refuses LOAD DATA INFILE without LOCAL', async () => {
    await expectRefused("LOAD DATA INFILE '/etc/hostname' INTO TABLE `t` (`v`);", 'reads a file on the database server (LOAD DATA INFILE)');
  });

  it('refuses INSTALL SONAME', async () => {
    await expectRefused("INSTALL SONAME 'lbt_no_such_library';", 'loads a library into the database server (INSTALL SONAME)');
  });

  it('refuses CREATE FUNCTION ... SONAME', async () => {
    await expectRefused("CREATE FUNCTION sys_exec RETURNS INTEGER SONAME 'lib_mysqludf_sys.so';", 'loads a library into the database server (CREATE FUNCTION ... SONAME)');
  });

  it('reads a whole dump before it writes anything, when it can read it twice; else each statement before it runs', async () => {
    const sql = Buffer.from(`${HEAD}SELECT id FROM t INTO OUTFILE '${outfile}';${TAIL}`);
    const found = refusal(shop, 'writes a file on the database server (INTO OUTFILE)', HEAD.length);
    // The journal records the staging schema right before it is created: the first thing a restore writes.
    const recorded: unknown[] = [];
    const journal = { record: async (state: unknown) => void recorded.push(state), reached: async () => undefined };
    await expect(restoreMysql(shop, chunked(sql), { rereadSql: () => chunked(sql), journal })).rejects.toThrow(found);
    expect(recorded).toEqual([]);
    await expect(restoreMysql(shop, chunked(sql), { journal })).rejects.toThrow(found);
    expect(recorded).toEqual([expect.objectContaining({ phase: 'staging' })]);
    expect(await leftovers(shop)).toEqual([]);
    expect(existsSync(outfile)).toBe(false);
  });

  it('with --table, screens what it restores: a trigger of a restored table, not a view it leaves alone', async () => {
    const trigger = `CREATE TRIGGER t_ai AFTER INSERT ON t FOR EACH ROW DELETE FROM \`${other.database}\`.keep;`;
    await expect(restoreMysql(shop, chunked(Buffer.from(HEAD + trigger + TAIL)), { tables: ['t'] })).rejects.toThrow(
      refusal(shop, `reaches schema \`${other.database}\`, outside the shop's database (\`${other.database}\`.keep)`, HEAD.length),
    );
    const view = 'CREATE VIEW accounts AS SELECT User FROM mysql.user;';
    await restoreMysql(shop, chunked(Buffer.from(HEAD + view + TAIL)), { tables: ['t'] });
    expect(await queryRows(shop, 'SELECT v FROM t ORDER BY id')).toEqual([{ v: 'from the dump' }, { v: 'b' }]);
    expect(await queryRows(shop, "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()")).toEqual([]);
    await exec(shop, ['DELETE FROM t', "INSERT INTO t VALUES (1, 'the shop''s own')"]);
  });

  it('refuses a procedure whose body runs a string as SQL', async () => {
    const procedure = ['DELIMITER ;;', 'CREATE PROCEDURE run_it(IN q TEXT) BEGIN SET @q = q; PREPARE s FROM @q; EXECUTE s; END ;;', 'DELIMITER ;'].join('\n');
    const sql = Buffer.from(HEAD + procedure + TAIL);
    await expect(restoreMysql(shop, chunked(sql))).rejects.toThrow(
      refusal(shop, 'runs SQL from a string, which cannot be checked (PREPARE)', HEAD.length + 'DELIMITER ;;\n'.length),
    );
    expect(await leftovers(shop)).toEqual([]);
  });
});

describe('the dump inside a .tgz Lifeboat did not make', () => {
  it('is refused before any file is swapped: files and database as they were', async () => {
    const shop = await schemas.create('htgz');
    await exec(shop, ['CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(200))', "INSERT INTO t VALUES (1, 'the shop''s own')"]);
    const root = path.join(dir, 'shop');
    await mkdir(path.join(root, 'app/etc'), { recursive: true });
    await mkdir(path.join(root, 'var/backups'), { recursive: true });
    await writeFile(path.join(root, 'app/etc/env.php'), 'the shop\'s own');
    const time = Math.floor(Date.now() / 1000) - 3600;
    const src = path.join(dir, 'src');
    await mkdir(path.join(src, 'var'), { recursive: true });
    await mkdir(path.join(src, 'app/etc'), { recursive: true });
    await writeFile(path.join(src, 'app/etc/env.php'), 'from the archive');
    await writeFile(path.join(src, `var/${time}_db.sql`), `${HEAD}GRANT ALL ON *.* TO 'lbt_nobody'@'%';${TAIL}`);
    execFileSync('tar', ['-czf', path.join(root, 'var/backups', `${time}_snapshot.tgz`), '-C', src, 'app', 'var']);
    const before = await fingerprint(shop);
    const t = shop;
    const env = { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: databaseUrl(t) };
    const result = await runCli(['rollback', `${time}_snapshot.tgz`, '--yes'], env);
    expect(result.stderr).toMatch(
      /^lifeboat: cannot restore database `[^`]+`: nothing was changed, because this dump, which Lifeboat did not make, changes accounts or privileges \(GRANT\) in its statement at byte offset \d+: "GRANT ALL ON \*\.\* TO 'lbt_nobody'@'%'"; remove that statement from the dump, or restore the dump by hand if you trust it\n$/,
    );
    expect(result.code).toBe(1);
    expect(await readFile(path.join(root, 'app/etc/env.php'), 'utf8')).toBe("the shop's own");
    expect(await fingerprint(shop)).toEqual(before);
    expect(await leftovers(shop)).toEqual([]);
  });
});

/** A shop whose code names only itself: columns qualified by their tables, joins, NEW and OLD. */
const CLEAN_SHOP = [
  'CREATE TABLE customer (id INT PRIMARY KEY, name VARCHAR(40), city_id INT)',
  'CREATE TABLE city (id INT PRIMARY KEY, name VARCHAR(40))',
  'CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(120))',
  "INSERT INTO city VALUES (1, 'Köln'), (2, 'Paris')",
  "INSERT INTO customer VALUES (1, 'Ann', 1), (2, 'Bo', 2)",
  'CREATE SEQUENCE ticket_seq START WITH 10',
  'CREATE VIEW customer_city AS SELECT c.id, c.name, ci.name AS city FROM customer c JOIN city ci ON (c.city_id = ci.id)',
  "CREATE TRIGGER customer_au AFTER UPDATE ON customer FOR EACH ROW INSERT INTO audit (what) VALUES (CONCAT(OLD.name, ' -> ', NEW.name, ' (mysql.user is only a string)'))",
  `CREATE PROCEDURE move_customer(IN cid INT, IN to_city INT) MODIFIES SQL DATA
   BEGIN
     DECLARE n INT;
     SELECT COUNT(*) INTO n FROM customer c, city ci WHERE c.city_id = ci.id AND ci.id = to_city;
     UPDATE customer c JOIN city ci ON ci.id = to_city SET c.city_id = ci.id WHERE c.id = cid;
     -- other.table in a comment is not a name
     SELECT COUNT(*) INTO n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'customer';
   END`,
  'CREATE FUNCTION city_name(cid INT) RETURNS VARCHAR(40) READS SQL DATA RETURN (SELECT ci.name FROM city ci WHERE ci.id = cid)',
  "CREATE EVENT trim_audit ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE DO DELETE a FROM audit a WHERE a.id < 0",
];

describe('dumps that must still load', () => {
  it('a mariadb-dump --routines --triggers --events of a shop restores, equal to its source', async () => {
    const source = await schemas.create('hclean');
    await exec(source, CLEAN_SHOP);
    const file = path.join(dir, 'clean.sql');
    await dumpWithStockTool(source, file);
    const shop = await schemas.create('hclean_to');
    await restoreMysql(shop, chunked(await readFile(file)));
    const print = await fingerprint(source);
    const normalise = (p: typeof print, db: string) => JSON.parse(JSON.stringify(p).split(db).join('DB'));
    expect(normalise(await fingerprint(shop), shop.database)).toEqual(normalise(print, source.database));
  });

  it("a Lifeboat backup whose trigger body names another schema rolls back; without its manifest it is refused", async () => {
    const elsewhere = await schemas.create('hlb_else');
    await exec(elsewhere, ['CREATE TABLE journal (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(60))']);
    const shop = await schemas.create('hlb');
    await exec(shop, [
      'CREATE TABLE product (id INT PRIMARY KEY, sku VARCHAR(40))',
      "INSERT INTO product VALUES (1, 'A'), (2, 'B')",
      `CREATE TRIGGER product_ai AFTER INSERT ON product FOR EACH ROW INSERT INTO \`${elsewhere.database}\`.journal (what) VALUES (NEW.sku)`,
    ]);
    const print = await fingerprint(shop);
    const backupDir = path.join(dir, 'hlb');
    const record = await createDatabaseBackup(shop, backupDir);
    await exec(shop, ['DROP TRIGGER product_ai', 'DELETE FROM product']);
    await rollbackDatabase(shop, backupDir, record);
    expect(await fingerprint(shop)).toEqual(print);
    await exec(shop, ["INSERT INTO product VALUES (3, 'C')"]);
    expect(await queryRows(elsewhere, 'SELECT what FROM journal')).toEqual([{ what: 'C' }]);

    // The same archive without its manifest is one Lifeboat cannot vouch for.
    await unlink(path.join(backupDir, manifestFileName(record.file)));
    const [foreign] = await listBackups(backupDir);
    expect(foreign).toMatchObject({ file: record.file, origin: 'foreign' });
    expect(existsSync(archivePath(backupDir, foreign))).toBe(true);
    const before = await fingerprint(shop);
    await expect(rollbackDatabase(shop, backupDir, foreign)).rejects.toThrow(
      new RegExp(`^cannot restore database \`${shop.database}\`: nothing was changed, because this dump, which Lifeboat did not make, reaches schema \`${elsewhere.database}\`, outside the shop's database \\(\`${elsewhere.database}\`\\.journal\\) in its statement at byte offset \\d+: "CREATE TRIGGER.*"; remove that statement`),
    );
    expect(await fingerprint(shop)).toEqual(before);
    expect(await leftovers(shop)).toEqual([]);
  });
});
