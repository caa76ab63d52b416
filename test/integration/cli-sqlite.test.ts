// `npm start`'s demo and the SQLite life cycle through the real command: the demo shop is backed up,
// the archive loads with the stock sqlite3 shell, and a rollback restores damaged data exactly.
import { DatabaseSync as Database } from 'node:sqlite';
import { execSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

/** Every table's rows (as quoted literals) and every object's SQL: equal digests mean equal databases. */
function digest(file: string): Record<string, string> {
  const db = new Database(file, { readOnly: true });
  try {
    const out: Record<string, string> = {};
    const objects = db.prepare("SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_autoindex%' ORDER BY name").all() as {
      type: string;
      name: string;
      sql: string;
    }[];
    for (const o of objects) {
      out[`${o.type} ${o.name}`] = o.sql;
      if (o.type !== 'table') continue;
      const columns = (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(o.name) as { name: string }[]).map((c) => `quote("${c.name}")`);
      const rows = db.prepare(`SELECT ${columns.join(" || ',' || ")} AS r FROM "${o.name}" ORDER BY rowid`).all() as { r: string }[];
      out[`rows ${o.name}`] = rows.map((r) => r.r).join('\n');
    }
    return out;
  } finally {
    db.close();
  }
}

describe('the demo shop (npm start) and SQLite', () => {
  let dir: string;
  let env: Record<string, string>;
  let dbFile: string;
  let id: string;
  let file: string;

  beforeAll(async () => {
    dir = path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-demo-')), 'demo');
    dbFile = path.join(dir, 'var', 'shop.db');
    env = { LIFEBOAT_ROOT: dir, LIFEBOAT_DATABASE_URL: `sqlite://${dbFile}` };
  });

  it('demo creates the shop, takes a first backup and shows what to try (not the whole help)', async () => {
    const result = await runCli(['demo', '--dir', dir], {});
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('Usage: lifeboat');
    expect(result.stdout).toContain('Try it yourself on the demo shop');
    expect(result.stdout).toMatch(/Took backup [0-9a-f]{8}: .*_db_demo\.sql\.gz/);
    const records = JSON.parse((await runCli(['list', '--json'], env)).stdout);
    expect(records).toHaveLength(1);
    ({ id, file } = records[0]);
    expect(records[0]).toMatchObject({ type: 'db', name: 'demo', engine: 'sqlite', tables: 6 });
  });

  it('the archive loads with the stock sqlite3 shell into an identical database', async () => {
    const restored = path.join(dir, '..', 'restored.db');
    execSync(`zcat '${path.join(dir, 'var', 'backups', file)}' | sqlite3 '${restored}'`);
    expect(digest(restored)).toEqual(digest(dbFile));
  });

  it('rollback restores the damaged demo database exactly', async () => {
    const original = digest(dbFile);
    const db = new Database(dbFile);
    db.exec("DELETE FROM sales_order_item; UPDATE catalog_product_entity SET price = 0; DROP VIEW sales_revenue_by_status; CREATE TABLE junk (x)");
    db.close();
    expect(digest(dbFile)).not.toEqual(original);
    const result = await runCli(['rollback', id, '--yes'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(digest(dbFile)).toEqual(original);
  });

  it('running the demo again reuses the shop and its backup (no second one)', async () => {
    const again = await runCli(['demo', '--dir', dir], {});
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain('Took backup');
    expect(JSON.parse((await runCli(['list', '--json'], env)).stdout)).toHaveLength(1);
  });
});
