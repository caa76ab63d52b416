import { describe, expect, it } from 'vitest';
import { deferKeys, isKeysToggle } from '../../src/engines/mysql/deferred-keys.js';

const ORDER_ITEM = `CREATE TABLE \`sales_order_item\` (
  \`item_id\` int(10) unsigned NOT NULL AUTO_INCREMENT,
  \`order_id\` int(10) unsigned NOT NULL DEFAULT 0,
  \`name\` varchar(255) DEFAULT 'x, y',
  PRIMARY KEY (\`item_id\`),
  UNIQUE KEY \`name\` (\`name\`,\`order_id\`),
  KEY \`order_id\` (\`order_id\`),
  CONSTRAINT \`chk\` CHECK (\`order_id\` >= 0),
  CONSTRAINT \`fk_soi_order\` FOREIGN KEY (\`order_id\`) REFERENCES \`sales_order\` (\`entity_id\`) ON DELETE CASCADE
) ENGINE=InnoDB AUTO_INCREMENT=3014611 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`;

const text = (buffer: Buffer | undefined) => buffer?.toString('utf8');

describe('deferKeys', () => {
  it('keeps the primary key and CHECKs, and adds the indexes then the foreign keys in the dumped order', () => {
    const deferred = deferKeys(Buffer.from(ORDER_ITEM), 'sales_order_item');
    expect(text(deferred?.create)).toBe(`CREATE TABLE \`sales_order_item\` (
  \`item_id\` int(10) unsigned NOT NULL AUTO_INCREMENT,
  \`order_id\` int(10) unsigned NOT NULL DEFAULT 0,
  \`name\` varchar(255) DEFAULT 'x, y',
  PRIMARY KEY (\`item_id\`),
  CONSTRAINT \`chk\` CHECK (\`order_id\` >= 0)
) ENGINE=InnoDB AUTO_INCREMENT=3014611 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`);
    expect(text(deferred?.addKeys)).toBe(
      'ALTER TABLE `sales_order_item` ADD UNIQUE KEY `name` (`name`,`order_id`), ADD KEY `order_id` (`order_id`)',
    );
    expect(text(deferred?.addForeignKeys)).toBe(
      'ALTER TABLE `sales_order_item` ADD CONSTRAINT `fk_soi_order` FOREIGN KEY (`order_id`) REFERENCES `sales_order` (`entity_id`) ON DELETE CASCADE',
    );
  });

  it('passes any byte of names and comments through unchanged', () => {
    const create = Buffer.from('CREATE TABLE `prodüct` (\n  `id` int NOT NULL,\n  `naam` varchar(9),\n  PRIMARY KEY (`id`),\n  KEY `naam⚓` (`naam`) COMMENT \'\u00ff\'\n) ENGINE=InnoDB', 'utf8');
    const deferred = deferKeys(create, 'prodüct');
    expect(text(deferred?.addKeys)).toBe("ALTER TABLE `prodüct` ADD KEY `naam⚓` (`naam`) COMMENT '\u00ff'");
    expect(deferred?.addForeignKeys).toBeUndefined();
  });

  it('defers the foreign keys of a table without secondary indexes (its primary key serves them)', () => {
    const create = 'CREATE TABLE `w` (\n  `customer_id` int NOT NULL,\n  PRIMARY KEY (`customer_id`),\n  CONSTRAINT `fk_w` FOREIGN KEY (`customer_id`) REFERENCES `customer` (`id`)\n) ENGINE=InnoDB';
    const deferred = deferKeys(Buffer.from(create), 'w');
    expect(text(deferred?.create)).toBe('CREATE TABLE `w` (\n  `customer_id` int NOT NULL,\n  PRIMARY KEY (`customer_id`)\n) ENGINE=InnoDB');
    expect(deferred?.addKeys).toBeUndefined();
    expect(text(deferred?.addForeignKeys)).toBe('ALTER TABLE `w` ADD CONSTRAINT `fk_w` FOREIGN KEY (`customer_id`) REFERENCES `customer` (`id`)');
  });

  it.each([
    ['another engine', ORDER_ITEM.replace('ENGINE=InnoDB', 'ENGINE=MyISAM')],
    ['a partitioned table', `${ORDER_ITEM}\n PARTITION BY HASH (\`item_id\`)\nPARTITIONS 4`],
    ['no primary key', ORDER_ITEM.replace('  PRIMARY KEY (`item_id`),\n', '')],
    ['an AUTO_INCREMENT column that does not lead the primary key', ORDER_ITEM.replace('PRIMARY KEY (`item_id`)', 'PRIMARY KEY (`order_id`,`item_id`)')],
    ['a FULLTEXT index', ORDER_ITEM.replace('  KEY `order_id`', '  FULLTEXT KEY `ft` (`name`),\n  KEY `order_id`')],
    ['a hash-unique index', ORDER_ITEM.replace('(`name`,`order_id`)', '(`name`,`order_id`) USING HASH')],
    ['a generated column', ORDER_ITEM.replace("DEFAULT 'x, y'", 'GENERATED ALWAYS AS (concat(`order_id`)) VIRTUAL')],
    ['neither secondary index nor foreign key', 'CREATE TABLE `t` (\n  `id` int NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB'],
    ['a one-line definition', 'CREATE TABLE t (id int PRIMARY KEY, a int, KEY (a)) ENGINE=InnoDB'],
    ['CRLF line ends', ORDER_ITEM.replace(/\n/g, '\r\n')],
  ])('leaves the table as dumped with %s', (_what, create) => {
    expect(deferKeys(Buffer.from(create), 'sales_order_item')).toBeNull();
  });
});

describe('isKeysToggle', () => {
  it('recognises mysqldump DISABLE/ENABLE KEYS, bare or in a version comment', () => {
    expect(isKeysToggle(Buffer.from('/*!40000 ALTER TABLE `t` DISABLE KEYS */'))).toBe(true);
    expect(isKeysToggle(Buffer.from('ALTER TABLE `t` ENABLE KEYS'))).toBe(true);
    expect(isKeysToggle(Buffer.from('ALTER TABLE `t` ADD KEY `k` (`a`)'))).toBe(false);
  });
});
