// The screen of dumps Lifeboat did not make (dump-screen.ts, reach-scan.ts), statement by statement,
// without a server: what reaches outside the shop's database is found, what a normal shop's dump holds
// (columns qualified by their tables, strings and comments that mention other schemas, mysqldump's
// session statements) is not.
import { describe, expect, it } from 'vitest';
import { DumpScreen } from '../../src/engines/mysql/dump-screen.js';
import { classifyStatement } from '../../src/engines/mysql/restore-parse.js';

const SHOP = 'shop';

/** Runs `statements` through one screen, as a dump in this order; returns the refusal, or '' when none. */
function screen(statements: string[], names: { source?: string; sequences?: string[] } = {}, sqlMode = ''): string {
  const check = new DumpScreen(SHOP, sqlMode);
  let offset = 0;
  try {
    for (const sql of statements) {
      const text = Buffer.from(sql);
      check.check({ text, offset, delimiter: ';' }, classifyStatement(text), { source: names.source, sequences: new Set(names.sequences) });
      offset += text.length + 2;
    }
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}

describe('DumpScreen', () => {
  it.each([
    ["SELECT * FROM t INTO OUTFILE '/tmp/x'", 'writes a file on the database server (INTO OUTFILE)'],
    ["SELECT data FROM t LIMIT 1 INTO DUMPFILE '/var/www/x.php'", 'writes a file on the database server (INTO DUMPFILE)'],
    ["INSERT INTO t VALUES (1, LOAD_FILE('/etc/passwd'))", 'reads a file on the database server (LOAD_FILE)'],
    ["INSERT INTO t VALUES (1, `load_file` ('/etc/passwd'))", 'reads a file on the database server (LOAD_FILE)'],
    ["LOAD DATA INFILE '/etc/passwd' INTO TABLE t", 'reads a file on the database server (LOAD DATA INFILE)'],
    ["LOAD DATA LOW_PRIORITY LOCAL INFILE '/home/x/.ssh/id_rsa' INTO TABLE t", 'reads a file of the machine that restores it (LOAD DATA LOCAL INFILE)'],
    ["LOAD XML INFILE '/etc/x.xml' INTO TABLE t", 'reads a file on the database server (LOAD XML INFILE)'],
    ['INSERT INTO t SELECT * FROM mysql.user', 'reaches schema `mysql`, outside the shop\'s database (mysql.user)'],
    ['CREATE PROCEDURE p() INSERT IGNORE other.t VALUES (1)', 'reaches schema `other`'],
    ['SELECT `mysql` . `user` . `Password` FROM t', 'reaches schema `mysql`'],
    ['CREATE VIEW v AS SELECT * FROM (mysql.user)', 'reaches schema `mysql`'],
    ['CREATE VIEW v AS SELECT a.x FROM t a JOIN b ON a.id = b.id, other.t2', 'reaches schema `other`'],
    ['INSERT INTO t SELECT u.a FROM u JOIN v ON CASE WHEN u.x THEN 1 ELSE 0 END = 1, other.w', 'reaches schema `other`'],
    ['CREATE VIEW v AS SELECT other.f(1) AS n', 'reaches schema `other`'],
    ['CREATE TABLE t (id INT DEFAULT NEXTVAL(other.s))', 'reaches schema `other`'],
    ['SELECT NEXT VALUE FOR other.s', 'reaches schema `other`'],
    ['CREATE TABLE t (id INT, FOREIGN KEY (id) REFERENCES other.p (id))', 'reaches schema `other`'],
    ['CREATE TABLE t LIKE other.p', 'reaches schema `other`'],
    ['CREATE TABLE m (a INT) ENGINE=MERGE UNION=(other.t1)', 'reaches schema `other`'],
    ['CREATE TRIGGER tr BEFORE INSERT ON other.t FOR EACH ROW SET @a = 1', 'reaches schema `other`, outside the shop\'s database (other.t)'],
    ['UPDATE t, other.u SET t.a = u.a', 'reaches schema `other`'],
    ['DELETE FROM t USING t, other.u', 'reaches schema `other`'],
    ['LOCK TABLES t READ, other.u WRITE', 'reaches schema `other`'],
    ['ALTER TABLE t RENAME TO other.t', 'reaches schema `other`'],
    ['CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO DROP TABLE `other`.keep', 'reaches schema `other`, outside the shop\'s database (`other`.keep)'],
    ['CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO DROP DATABASE other', 'reaches schema `other`'],
    ["CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO CALL sys.execute_prepared_stmt('x')", 'reaches schema `sys`'],
    ['CREATE PROCEDURE p() BEGIN DECLARE CONTINUE HANDLER FOR NOT FOUND SET @x = 1; SET GLOBAL general_log = 1; END', 'changes a server-wide setting (SET GLOBAL)'],
    ["SET sql_mode = '', @@GLOBAL.general_log = 1", 'changes a server-wide setting (SET GLOBAL)'],
    ['SET @a = 1, GLOBAL general_log = 1', 'changes a server-wide setting (SET GLOBAL)'],
    ['/*!40101 SET @@global.max_connections = 1 */', 'changes a server-wide setting (SET GLOBAL)'],
    ["SET PERSIST max_connections = 1", 'changes a server-wide setting (SET PERSIST)'],
    ["CREATE PROCEDURE p() SET PASSWORD = PASSWORD('x')", 'changes accounts or privileges (SET PASSWORD)'],
    ["GRANT ALL ON *.* TO 'x'@'%'", 'changes accounts or privileges (GRANT)'],
    ['REVOKE ALL ON *.* FROM x', 'changes accounts or privileges (REVOKE)'],
    ["CREATE OR REPLACE USER x IDENTIFIED BY 'y'", 'changes accounts or privileges (CREATE USER)'],
    ['DROP USER IF EXISTS x', 'changes accounts or privileges (DROP USER)'],
    ["ALTER USER root@localhost IDENTIFIED BY 'x'", 'changes accounts or privileges (ALTER USER)'],
    ['RENAME USER a TO b', 'changes accounts or privileges (RENAME USER)'],
    ['CREATE ROLE r', 'changes accounts or privileges (CREATE ROLE)'],
    ['SET ROLE admin', 'changes accounts or privileges (SET ROLE)'],
    ['SET DEFAULT ROLE admin FOR x', 'changes accounts or privileges (SET DEFAULT ROLE)'],
    ["INSTALL PLUGIN x SONAME 'y.so'", 'loads a library into the database server (INSTALL PLUGIN)'],
    ["INSTALL SONAME 'y'", 'loads a library into the database server (INSTALL SONAME)'],
    ['UNINSTALL PLUGIN x', 'administers the database server (UNINSTALL PLUGIN)'],
    ["CREATE AGGREGATE FUNCTION f RETURNS STRING SONAME 'x.so'", 'loads a library into the database server (CREATE FUNCTION ... SONAME)'],
    ["SELECT sys_exec('id')", 'runs a program on the database server (sys_exec)'],
    ["CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (HOST 'x')", 'connects to another server (CREATE SERVER)'],
    ["CREATE TABLE t (a INT) ENGINE=CONNECT TABLE_TYPE=DOS FILE_NAME='/etc/passwd'", 'connects to another server (ENGINE=CONNECT)'],
    ["CREATE TABLE t (a INT) ENGINE='FEDERATED' CONNECTION='mysql://u@h/db/t'", 'connects to another server (ENGINE=FEDERATED)'],
    ["CREATE TABLE t (a INT) DATA DIRECTORY='/var/www'", "puts its files outside the server's data folder (DATA DIRECTORY)"],
    ['SHUTDOWN', 'administers the database server (SHUTDOWN)'],
    ['KILL QUERY 5', 'administers the database server (KILL)'],
    ['FLUSH TABLES WITH READ LOCK', 'administers the database server (FLUSH)'],
    ["CHANGE MASTER TO MASTER_HOST='x'", 'administers the database server (CHANGE MASTER)'],
    ['RESET MASTER', 'administers the database server (RESET MASTER)'],
    ["PURGE BINARY LOGS TO 'x'", 'administers the database server (PURGE BINARY LOGS)'],
    ['START SLAVE', 'administers the database server (START SLAVE)'],
    ['BACKUP STAGE START', 'administers the database server (BACKUP STAGE)'],
    ["BINLOG 'AAAA'", 'replays binary-log events, which cannot be checked (BINLOG)'],
    ['CREATE PROCEDURE p() BEGIN PREPARE s FROM @q; EXECUTE s; END', 'runs SQL from a string, which cannot be checked (PREPARE)'],
    ['EXECUTE s USING @a', 'runs SQL from a string, which cannot be checked (EXECUTE)'],
    ["EXECUTE IMMEDIATE 'DROP DATABASE x'", 'runs SQL from a string, which cannot be checked (EXECUTE IMMEDIATE)'],
  ])('refuses %s', (sql, found) => {
    const message = screen(['/*!40101 SET NAMES utf8mb4 */', sql]);
    expect(message).toContain(`because this dump, which Lifeboat did not make, ${found}`);
    expect(message).toMatch(/^cannot restore database `shop`: nothing was changed, because .* in its statement at byte offset 31: ".*"; remove that statement from the dump, or restore the dump by hand if you trust it$/);
  });

  it.each([
    '/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */',
    "/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */",
    '/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */',
    "/*!40103 SET TIME_ZONE='+00:00' */",
    'SET @x = @@global.max_connections',
    'LOCK TABLES `t` WRITE',
    '/*!40000 ALTER TABLE `t` DISABLE KEYS */',
    'UNLOCK TABLES',
    "INSERT INTO `t` VALUES (1,'mysql.user; GRANT ALL','it\\'s LOAD_FILE(x) INTO OUTFILE'),(2,NULL,0x1F),(3,1.5,-2e3)",
    '/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`127.0.0.1`*/ /*!50003 TRIGGER tr AFTER INSERT ON t FOR EACH ROW INSERT INTO log (m) VALUES (NEW.v) */',
    'CREATE DEFINER=root@127.0.0.1 PROCEDURE `p`(IN x INT) BEGIN SELECT t.v FROM t WHERE t.id = x; UPDATE t SET t.v = \'x\', password = \'y\' WHERE t.id = x; END',
    '/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */ /*!50001 VIEW `vw` AS select `t`.`id` AS `id` from `t` */',
    'CREATE VIEW v AS SELECT c.id FROM customer c JOIN city ci ON (c.city_id = ci.id) WHERE ci.name LIKE c.pattern',
    'CREATE VIEW v AS SELECT t.* FROM t, u WHERE t.a IN (u.a, u.b) GROUP BY t.a, u.c ORDER BY t.a, u.b',
    'CREATE TRIGGER `shop`.tr BEFORE INSERT ON `shop`.t FOR EACH ROW SET NEW.a = 1',
    'CREATE TRIGGER tr BEFORE UPDATE ON t FOR EACH ROW BEGIN IF NEW.a > 0 THEN SET NEW.b = OLD.b; END IF; END',
    'SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()',
    'UPDATE admin_user SET password = SHA2(password, 256)',
    "INSERT INTO t SET password = 'x', role = 'admin'",
    'ALTER TABLE t DROP user',
    "ALTER TABLE t ALTER COLUMN user SET DEFAULT 'x'",
    "CREATE TABLE t (c ENUM('a') CHARACTER SET utf8mb4, d SET('x','y'), fk INT, FOREIGN KEY (fk) REFERENCES p (id) ON DELETE SET NULL ON UPDATE CASCADE)",
    'CREATE TABLE t (ts TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP) ENGINE=InnoDB',
    'SELECT a FROM t FOR UPDATE',
    'INSERT INTO t (a) SELECT u.a FROM u ON DUPLICATE KEY UPDATE a = VALUES(a), b = u.b',
    'DO SETVAL(`seq`, 1, 0)',
    'SELECT NEXT VALUE FOR seq',
    'DELETE a FROM audit a WHERE a.id < 0',
    'CREATE PROCEDURE p() BEGIN DECLARE c CURSOR FOR SELECT t.a FROM t; CALL q(1, 2); SELECT f(t.a) FROM t; END',
    '-- GRANT ALL ON *.* TO x\nSELECT 1 /* INTO OUTFILE mysql.user */',
    "CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC COMMENT 'reads mysql.user' RETURN x + 1",
    '/*!50001 CREATE VIEW `v` AS select `t`.`a` AS `a` from (`t` join `u` on((`t`.`id` = `u`.`id`))) where `t`.`b` in (select `w`.`b` from `w`) */',
    [
      'CREATE PROCEDURE p() BEGIN DECLARE done INT DEFAULT 0; DECLARE a INT;',
      'DECLARE cur CURSOR FOR SELECT t.a FROM t; DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = 1;',
      'OPEN cur; read_loop: LOOP FETCH cur INTO a; IF done THEN LEAVE read_loop; END IF;',
      "UPDATE t1 INNER JOIN t2 ON t1.id = t2.id SET t1.a = t2.a, t1.b = CONVERT(t2.b USING utf8mb4) WHERE t1.c = a; END LOOP;",
      "IF a < 0 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'negative'; END IF; CLOSE cur; END",
    ].join('\n'),
    "CREATE EVENT e ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' ON COMPLETION NOT PRESERVE ENABLE DO DELETE t1 FROM t1 LEFT JOIN t2 ON t1.id = t2.id WHERE t2.id IS NULL",
    'CREATE TABLE t (a INT, b VARCHAR(9) GENERATED ALWAYS AS (concat(`a`, \'x\')) VIRTUAL, CONSTRAINT `c` CHECK (`a` > 0 AND b LIKE \'x%\'))',
  ])('loads %s', (sql) => {
    expect(screen([sql])).toBe('');
  });

  it('lets the restore take off a qualifier naming the dumped database, in a head and in a sequence default', () => {
    expect(screen(['INSERT INTO `src`.t VALUES (1)'], { source: 'src' })).toBe('');
    expect(screen(['CREATE TABLE t (id INT DEFAULT nextval(`src`.`s`))'], { sequences: ['s'] })).toBe('');
    // A body is not rewritten: there the dumped database is another schema.
    expect(screen(['CREATE VIEW v AS SELECT * FROM `src`.t'], { source: 'src' })).toContain('reaches schema `src`');
    expect(screen(['CREATE VIEW v AS SELECT lastval(`src`.`s`)'], { source: 'src', sequences: ['s'] })).toContain('reaches schema `src`');
  });

  it('reads statements as the sql_mode the dump set tells the server to', () => {
    const hidden = "CREATE PROCEDURE p() BEGIN SELECT 'a\\'; GRANT ALL ON *.* TO x; SELECT ''; END";
    // With backslash escapes (the default), the GRANT is inside a string.
    expect(screen([hidden])).toBe('');
    expect(screen(["SET sql_mode = 'NO_BACKSLASH_ESCAPES'", hidden])).toContain('(GRANT)');
    expect(screen([hidden], {}, 'STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES')).toContain('(GRANT)');
    // mysqldump's save and restore of the mode.
    const saved = ["/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_BACKSLASH_ESCAPES' */", '/*!40101 SET SQL_MODE=@OLD_SQL_MODE */'];
    expect(screen([...saved, hidden])).toBe('');
    // A mode computed by the server: every reading.
    expect(screen(["SET sql_mode = CONCAT('NO_BACKSLASH', '_ESCAPES')", hidden])).toContain('(GRANT)');
    // Under ANSI_QUOTES, "..." is a name.
    expect(screen(["SET sql_mode = 'ANSI_QUOTES'", 'CREATE VIEW v AS SELECT * FROM "mysql"."user"'])).toContain('reaches schema `mysql`');
  });

  it('refuses a client character set in which a byte after a letter can read as a backslash', () => {
    const gbk = 'switches to a client character set in which its statements cannot be checked';
    expect(screen(['SET NAMES gbk'])).toContain(`${gbk} (gbk)`);
    expect(screen(["/*!40101 SET character_set_client = 'sjis' */"])).toContain(`${gbk} (sjis)`);
    expect(screen(['SET CHARACTER SET big5'])).toContain(`${gbk} (big5)`);
    expect(screen(['SET @@session.character_set_client = @nobody_knows'])).toContain(`${gbk} (one the server computes)`);
    // mysqldump's own: utf8, binary, saved and put back.
    const mysqldump = [
      '/*!40101 SET NAMES utf8 */',
      'SET NAMES binary',
      '/*!40101 SET @saved_cs_client     = @@character_set_client */',
      '/*!40101 SET character_set_client = utf8mb4 */',
      '/*!40101 SET character_set_client = @saved_cs_client */',
      'SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci',
    ];
    expect(screen(mysqldump)).toBe('');
  });
});
