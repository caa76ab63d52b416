// Small reads and writes on the SQLite demo shop's database, to damage it and check a restore.
import { DatabaseSync as Database } from 'node:sqlite';
import path from 'node:path';
import type { Readable } from 'node:stream';

function withShopDb<T>(root: string, fn: (db: Database) => T): T {
  const db = new Database(path.join(root, 'var', 'shop.db'));
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** Rows in the demo shop's sales_order_grid. */
export function gridRows(root: string): number {
  return withShopDb(root, (db) => (db.prepare('SELECT COUNT(*) AS n FROM sales_order_grid').get() as { n: number }).n);
}

/** Deletes grid rows (all, or those above an id) so a rollback has something to restore. */
export function emptyGrid(root: string, keepUpToId = 0): void {
  withShopDb(root, (db) => db.prepare('DELETE FROM sales_order_grid WHERE entity_id > ?').run(keepUpToId));
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
