// A small built-in demo shop: an SQLite database shaped like a tiny Magento and a file tree, so a
// newcomer can try every command without setting anything up.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openSqlite, type SqliteDb } from '../sql/sqlite.js';

export interface DemoShop {
  root: string;
  databaseFile: string;
  databaseUrl: string;
}

const SCHEMA = `
CREATE TABLE store (store_id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL);
CREATE TABLE catalog_product_entity (
  entity_id INTEGER PRIMARY KEY AUTOINCREMENT, sku TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
  price NUMERIC NOT NULL, image BLOB, updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE customer_entity (
  entity_id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE, firstname TEXT, lastname TEXT);
CREATE TABLE sales_order (
  entity_id INTEGER PRIMARY KEY AUTOINCREMENT, increment_id TEXT NOT NULL UNIQUE,
  customer_id INTEGER REFERENCES customer_entity(entity_id), store_id INTEGER REFERENCES store(store_id),
  grand_total NUMERIC NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE sales_order_item (
  item_id INTEGER PRIMARY KEY AUTOINCREMENT, order_id INTEGER NOT NULL REFERENCES sales_order(entity_id) ON DELETE CASCADE,
  product_id INTEGER REFERENCES catalog_product_entity(entity_id), qty NUMERIC NOT NULL, row_total NUMERIC NOT NULL);
CREATE INDEX sales_order_item_order ON sales_order_item(order_id);
CREATE TABLE sales_order_grid (entity_id INTEGER PRIMARY KEY, increment_id TEXT, grand_total NUMERIC, status TEXT);
CREATE TRIGGER sales_order_to_grid AFTER INSERT ON sales_order BEGIN
  INSERT INTO sales_order_grid (entity_id, increment_id, grand_total, status)
  VALUES (NEW.entity_id, NEW.increment_id, NEW.grand_total, NEW.status);
END;
CREATE VIEW sales_revenue_by_status AS SELECT status, COUNT(*) AS orders, SUM(grand_total) AS revenue FROM sales_order GROUP BY status;
`;

const FILES: Record<string, string> = {
  'app/etc/env.php': "<?php\nreturn ['db' => ['connection' => ['default' => ['dbname' => 'demo']]]];\n",
  'app/code/Demo/Hello/registration.php': "<?php\n// a demo module\n",
  'pub/index.php': "<?php\necho 'Lifeboat demo shop';\n",
  'pub/media/catalog/product/l/i/lifeboat.txt': 'a stand-in for a product image\n',
  'composer.json': '{"name": "demo/shop", "require": {}}\n',
};

/** Creates the demo shop under `dir` unless it is there already. */
export async function ensureDemoShop(dir: string): Promise<DemoShop> {
  const root = path.resolve(dir);
  const databaseFile = path.join(root, 'var', 'shop.db');
  const shop = { root, databaseFile, databaseUrl: `sqlite://${databaseFile}` };
  if (existsSync(databaseFile)) return shop;
  for (const [file, content] of Object.entries(FILES)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), content);
  }
  await mkdir(path.dirname(databaseFile), { recursive: true });
  const db = openSqlite(databaseFile);
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec(SCHEMA);
    db.exec('BEGIN');
    fillShop(db);
    db.exec('COMMIT');
  } finally {
    db.close();
  }
  return shop;
}

/** A few hundred products, customers and orders: enough to see a rollback change something. */
function fillShop(db: SqliteDb): void {
  db.prepare("INSERT INTO store VALUES (1, 'default', 'Lifeboat Demo Store'), (2, 'nl', 'Reddingsboot')").run();
  const product = db.prepare('INSERT INTO catalog_product_entity (sku, name, price, image) VALUES (?, ?, ?, ?)');
  for (let i = 1; i <= 200; i++) product.run(`LB-${1000 + i}`, `Life jacket "${i}" ⚓`, (9.95 + i).toFixed(2), Buffer.from([i % 256, 0, 255]));
  const customer = db.prepare('INSERT INTO customer_entity (email, firstname, lastname) VALUES (?, ?, ?)');
  for (let i = 1; i <= 100; i++) customer.run(`sailor${i}@example.com`, 'Sailor', `O'Brien ${i}`);
  const order = db.prepare('INSERT INTO sales_order (increment_id, customer_id, store_id, grand_total, status, created_at) VALUES (?, ?, ?, ?, ?, ?)');
  const item = db.prepare('INSERT INTO sales_order_item (order_id, product_id, qty, row_total) VALUES (?, ?, ?, ?)');
  for (let i = 1; i <= 500; i++) {
    const { lastInsertRowid } = order.run(`0000${10000 + i}`, (i % 100) + 1, (i % 2) + 1, (i * 3.7).toFixed(2), i % 7 ? 'complete' : 'pending', `2026-11-${String((i % 28) + 1).padStart(2, '0')} 12:00:00`);
    item.run(lastInsertRowid, (i % 200) + 1, (i % 3) + 1, (i * 3.7).toFixed(2));
  }
}
