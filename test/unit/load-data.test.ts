import { describe, expect, it } from 'vitest';
import { loadPlan, RowBuffers, SessionCharset, toLoadData } from '../../src/engines/mysql/load-data.js';

const CREATE = Buffer.from(`CREATE TABLE \`t\` (
  \`id\` int(11) NOT NULL,
  \`name\` varchar(64) DEFAULT NULL,
  \`price\` decimal(20,4) NOT NULL,
  \`data\` blob DEFAULT NULL,
  \`at\` datetime(6) DEFAULT NULL,
  PRIMARY KEY (\`id\`),
  KEY \`name\` (\`name\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);

const plan = loadPlan(CREATE);
const insert = (values: string, columns = ' (`id`,`name`,`price`,`data`,`at`)') => Buffer.from(`INSERT INTO \`t\`${columns} VALUES ${values}`, 'latin1');

describe('loadPlan', () => {
  it('lists the columns and which hold bytes', () => {
    expect(plan).toEqual({ columns: ['id', 'name', 'price', 'data', 'at'], binary: new Set(['data']) });
  });

  it.each([
    ['a BIT column', 'bit(9) DEFAULT NULL'],
    ['a spatial column', 'point DEFAULT NULL'],
    ['a generated column', "varchar(9) GENERATED ALWAYS AS (concat(`name`,'x')) VIRTUAL"],
    ['a MariaDB generated column', "varchar(9) AS (concat(`name`,'x')) PERSISTENT"],
    ['an invisible column', 'int(11) DEFAULT NULL INVISIBLE'],
    ['an INET6 column', 'inet6 DEFAULT NULL'],
  ])('has no plan for a table with %s', (_what, definition) => {
    expect(loadPlan(Buffer.from(CREATE.toString().replace('`at` datetime(6) DEFAULT NULL', `\`at\` ${definition}`)))).toBeNull();
  });
});

describe('toLoadData', () => {
  it('turns plain literals into tab-separated rows, byte for byte', () => {
    const load = toLoadData(
      insert("(1,'O''Brien \\\\ \\' \\\" \\0 \\Z \\b',-12.5000,0x00FF5C09,'2026-01-02 03:04:05.000006'),\n(2,NULL,1e3,'',NULL),(3,'tab\there\nnew\rline',0,NULL,'0000-00-00 00:00:00')"),
      plan!,
    );
    expect(load?.count).toBe(3);
    expect(load?.sql).toBe("LOAD DATA LOCAL INFILE 'rows' INTO TABLE `t` CHARACTER SET utf8mb4 (`id`, `name`, `price`, @b3, `at`) SET `data` = UNHEX(@b3)");
    expect(load?.rows.toString('latin1')).toBe(
      "1\tO'Brien \\\\ ' \" \\0 \\Z \\b\t-12.5000\t00FF5C09\t2026-01-02 03:04:05.000006\n" +
        '2\t\\N\t1e3\t\t\\N\n' +
        '3\ttab\\there\\nnew\\rline\t0\t\\N\t0000-00-00 00:00:00\n',
    );
  });

  it('passes UTF-8 and any other byte of a string through unchanged', () => {
    const load = toLoadData(Buffer.concat([Buffer.from("INSERT INTO `t` VALUES (1,'Zoë 😀 \x1a"), Buffer.from([0x80, 0xff]), Buffer.from("',1,NULL,NULL)")]), plan!);
    expect(load?.rows).toEqual(Buffer.concat([Buffer.from('1\tZoë 😀 \x1a'), Buffer.from([0x80, 0xff]), Buffer.from('\t1\t\\N\t\\N\n')]));
  });

  it('writes the next rows into memory given back, and never into rows not released', () => {
    const buffers = new RowBuffers();
    const first = toLoadData(insert("(1,'a',1,NULL,NULL),(2,'b',2,NULL,NULL)"), plan!, buffers);
    const second = toLoadData(insert("(3,'c',3,NULL,NULL)"), plan!, buffers);
    expect(second?.rows.buffer).not.toBe(first?.rows.buffer);
    expect(first?.rows.toString()).toBe('1\ta\t1\t\\N\t\\N\n2\tb\t2\t\\N\t\\N\n');
    first?.release();
    first?.release(); // once only: the memory is not handed out twice
    const third = toLoadData(insert("(4,'d',4,NULL,NULL)"), plan!, buffers);
    const fourth = toLoadData(insert("(5,'e',5,NULL,NULL)"), plan!, buffers);
    expect(third?.rows.buffer).toBe(first?.rows.buffer);
    expect(fourth?.rows.buffer).not.toBe(third?.rows.buffer);
    expect([second, third, fourth].map((load) => load?.rows.toString())).toEqual(['3\tc\t3\t\\N\t\\N\n', '4\td\t4\t\\N\t\\N\n', '5\te\t5\t\\N\t\\N\n']);
  });

  it('maps a column list onto the table', () => {
    const load = toLoadData(insert("(7,'x')", ' (`id`,`name`)'), plan!);
    expect(load?.sql).toContain('(`id`, `name`)');
    expect(load?.rows.toString()).toBe('7\tx\n');
  });

  it.each([
    ['INSERT IGNORE', Buffer.from("INSERT IGNORE INTO `t` VALUES (1,'a',1,NULL,NULL)")],
    ['ON DUPLICATE KEY', insert("(1,'a',1,NULL,NULL) ON DUPLICATE KEY UPDATE `price` = 2")],
    ['an unknown column', insert("(1,'a')", ' (`id`,`nope`)')],
    ['an escape LOAD DATA reads otherwise', insert("(1,'100\\%',1,NULL,NULL)")],
    ['\\N inside a string', insert("(1,'\\N',1,NULL,NULL)")],
    ['an introducer', insert("(1,_latin1 X'41',1,NULL,NULL)")],
    ['a binary string for bytes', insert("(1,'a',1,_binary 'abc',NULL)")],
    ['a quoted string for bytes', insert("(1,'a',1,'abc',NULL)")],
    ['hex for text', insert('(1,0x41,1,NULL,NULL)')],
    ['a function', insert("(1,'a',1,NULL,NOW())")],
    ['DEFAULT', insert("(1,'a',DEFAULT,NULL,NULL)")],
    ['too few values', insert("(1,'a',1,NULL)")],
    ['too many values', insert("(1,'a',1,NULL,NULL,2)")],
    ['spaces between values', insert("(1, 'a',1,NULL,NULL)")],
    ['an unterminated string', insert("(1,'a,1,NULL,NULL)")],
  ])('keeps the INSERT with %s', (_what, statement) => {
    expect(toLoadData(statement, plan!)).toBeNull();
  });
});

describe('SessionCharset', () => {
  const follow = (...statements: string[]) => {
    const charset = new SessionCharset();
    for (const s of statements) charset.follow(Buffer.from(s));
    return charset.utf8;
  };

  it('follows SET NAMES and mysqldump\'s saved client character set', () => {
    expect(follow()).toBe(true);
    expect(follow('/*!40101 SET NAMES latin1 */')).toBe(false);
    expect(follow('/*!40101 SET NAMES latin1 */', 'SET NAMES utf8mb4')).toBe(true);
    expect(follow('/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */')).toBe(true);
    expect(
      follow('/*!40101 SET @saved_cs_client     = @@character_set_client */', '/*!40101 SET character_set_client = latin1 */', '/*!40101 SET character_set_client = @saved_cs_client */'),
    ).toBe(true);
    expect(follow('/*!40101 SET character_set_client = latin1 */')).toBe(false);
    expect(follow('/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */')).toBe(false);
  });
});
