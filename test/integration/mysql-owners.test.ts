// Who owns the views, triggers, routines and events after a rollback, on the real server: the owner each
// had in the backup when the restoring user may set it (it is that user, or has SUPER / SET USER), the
// restoring user otherwise, with one warning naming the objects. The dump leaves DEFINER clauses out and
// records the owners in the manifest; a dump that carries the clauses (mariadb-dump) is its own record.
import { mkdtemp, readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseBackup } from '../../src/core/backup/database.js';
import { rollbackDatabase } from '../../src/core/rollback/database.js';
import { helperGrant } from '../../src/engines/mysql/helper-schemas.js';
import { restoreMysql } from '../../src/engines/mysql/restore.js';
import type { MysqlTarget } from '../../src/engines/target.js';
import { dumpWithStockTool, queryRows, schemaRegistry, testTarget, withConnection } from '../helpers/mysql.js';
import { chunked } from '../helpers/sink.js';

const suffix = randomBytes(3).toString('hex');
/** Like the user Magento's installer creates: ALL on the shop (and on its helper schemas), nothing global. */
const SHOP_USER = { user: `lbt_mage_${suffix}`, password: 'Shop-user-pw-1' };
const THIRD_USER = { user: `lbt_third_${suffix}`, password: 'Third-user-pw-1' };
const GONE_USER = { user: `lbt_gone_${suffix}`, password: 'Gone-user-pw-1' };

/** One object of each kind; created by whoever runs it, or for `definer` when given. */
function shopObjects(definer?: string): string[] {
  const owner = definer ? `DEFINER=${definer} ` : '';
  return [
    'CREATE TABLE item (id INT PRIMARY KEY, qty INT NOT NULL)',
    'CREATE TABLE item_log (id INT AUTO_INCREMENT PRIMARY KEY, item_id INT)',
    'INSERT INTO item VALUES (1, 5), (2, 7)',
    `CREATE ${owner}TRIGGER trg_item_log AFTER INSERT ON item FOR EACH ROW INSERT INTO item_log (item_id) VALUES (NEW.id)`,
    `CREATE ${owner}VIEW item_totals AS SELECT SUM(qty) AS qty FROM item`,
    `CREATE ${owner}FUNCTION item_qty(p INT) RETURNS INT READS SQL DATA RETURN (SELECT qty FROM item WHERE id = p)`,
    `CREATE ${owner}PROCEDURE item_reset() MODIFIES SQL DATA UPDATE item SET qty = 0`,
    `CREATE ${owner}EVENT item_cleanup ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM item_log`,
  ];
}

const OBJECTS = ['trigger trg_item_log', 'view item_totals', 'function item_qty', 'procedure item_reset', 'event item_cleanup'];

/** Changes that the rollback must undo. */
const CHANGE = ['INSERT INTO item VALUES (3, 1)', 'DROP VIEW item_totals', 'CREATE OR REPLACE FUNCTION item_qty(p INT) RETURNS INT DETERMINISTIC RETURN 0'];

const account = (user: { user: string }) => `${user.user}@%`;

/** "kind name" -> the owner (DEFINER) of every view, trigger, routine and event of the schema, read as root. */
async function owners(target: MysqlTarget): Promise<Record<string, string>> {
  const db = target.database;
  const rows = await queryRows<{ k: string; d: string }>(
    testTarget(db),
    `SELECT CONCAT('trigger ', TRIGGER_NAME) AS k, DEFINER AS d FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?
     UNION ALL SELECT CONCAT('view ', TABLE_NAME), DEFINER FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?
     UNION ALL SELECT CONCAT(LOWER(ROUTINE_TYPE), ' ', ROUTINE_NAME), DEFINER FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?
     UNION ALL SELECT CONCAT('event ', EVENT_NAME), DEFINER FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?`,
    [db, db, db, db],
  );
  return Object.fromEntries(rows.map((r) => [r.k, r.d]));
}

function ownedBy(user: { user: string }): Record<string, string> {
  return Object.fromEntries(OBJECTS.map((o) => [o, account(user)]));
}

async function run(target: MysqlTarget, statements: string[]): Promise<void> {
  await withConnection(target, async (conn) => {
    for (const sql of statements) await conn.query(sql);
  });
}

describe('owners of views, triggers, routines and events after a rollback', () => {
  const schemas = schemaRegistry();
  let backupDir: string;
  let someSchema: MysqlTarget;
  /** The schema as the test server's administrator (root) sees it; `as` for another user. */
  const asRoot = (target: MysqlTarget): MysqlTarget => testTarget(target.database);
  const as = (target: MysqlTarget, user: { user: string; password: string }): MysqlTarget => ({ ...target, ...user });

  /** A schema the shop user may use entirely (with its helper schemas), as Magento's installer grants. */
  async function shopSchema(prefix: string): Promise<MysqlTarget> {
    const target = await schemas.create(prefix);
    await run(target, [
      `GRANT ALL PRIVILEGES ON \`${target.database}\`.* TO '${SHOP_USER.user}'@'%'`,
      helperGrant(target.database, SHOP_USER.user, '%'),
      // A definer without privileges on the schema makes MariaDB qualify the view's columns with it.
      ...[THIRD_USER, GONE_USER].map((u) => `GRANT ALL PRIVILEGES ON \`${target.database}\`.* TO '${u.user}'@'%'`),
    ]);
    return target;
  }

  const asShopUser = (target: MysqlTarget) => as(target, SHOP_USER);

  /** A shop with one object of each kind made by `maker` (for `definer` when given), and its backup by `maker`. */
  async function backedUpShop(prefix: string, maker: (target: MysqlTarget) => MysqlTarget, definer?: { user: string }) {
    const shop = await shopSchema(prefix);
    await run(maker(shop), shopObjects(definer && `'${definer.user}'@'%'`));
    const record = await createDatabaseBackup(maker(shop), backupDir);
    return { shop, record };
  }

  beforeAll(async () => {
    backupDir = path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-owners-')), 'backups');
    someSchema = await schemas.create('owners_users');
    await run(someSchema, [SHOP_USER, THIRD_USER, GONE_USER].map((u) => `CREATE USER '${u.user}'@'%' IDENTIFIED BY '${u.password}'`));
  });

  afterAll(async () => {
    if (someSchema) await run(someSchema, [SHOP_USER, THIRD_USER, GONE_USER].map((u) => `DROP USER IF EXISTS '${u.user}'@'%'`));
    await schemas.dropAll();
  });

  it("records every object's owner in the manifest, and leaves DEFINER clauses out of the SQL", async () => {
    const { record } = await backedUpShop('owners_manifest', asShopUser);
    expect(record.manifest?.definers).toEqual(ownedBy(SHOP_USER));
    const sql = gunzipSync(await readFile(path.join(backupDir, record.file))).toString('utf8');
    expect(sql).not.toMatch(/DEFINER\s*=/i);
  });

  it.each([
    ['root', 'owners_by_root', asRoot],
    ['the shop user', 'owners_by_user', asShopUser],
  ])("rolled back as %s, every object is the shop user's again, and the shop user's next backup succeeds", async (_who, prefix, restorer) => {
    const { shop, record } = await backedUpShop(prefix, asShopUser);
    await run(asShopUser(shop), CHANGE);
    const result = await rollbackDatabase(restorer(shop), backupDir, record);
    expect(await owners(shop)).toEqual(ownedBy(SHOP_USER));
    expect(result.warnings).toEqual([]);
    await expect(createDatabaseBackup(asShopUser(shop), backupDir)).resolves.toMatchObject({ type: 'db' });
  });

  it("objects of a third user, rolled back by the shop user: the shop user's, with one warning naming them", async () => {
    const { shop, record } = await backedUpShop('owners_third', asRoot, THIRD_USER);
    expect(record.manifest?.definers).toEqual(ownedBy(THIRD_USER));
    await run(asRoot(shop), ['INSERT INTO item VALUES (3, 1)']);
    const result = await rollbackDatabase(asShopUser(shop), backupDir, record);
    expect(await owners(shop)).toEqual(ownedBy(SHOP_USER));
    const about = result.warnings.filter((w) => w.includes(account(THIRD_USER)));
    expect(about).toHaveLength(1);
    for (const object of OBJECTS) expect(about[0]).toContain(object.replace(' ', ' `') + '`');
    expect(about[0]).toMatch(/SUPER or SET USER/);
    expect(about[0].split('\n')).toHaveLength(1);
  });

  it('a dump with DEFINER clauses (mariadb-dump) gives each object the owner its clause names', async () => {
    const source = await shopSchema('owners_stock_src');
    await run(asShopUser(source), shopObjects());
    const file = path.join(backupDir, `${source.database}.sql`);
    await dumpWithStockTool(asRoot(source), file);
    expect(await readFile(file, 'utf8')).toContain(`DEFINER=\`${SHOP_USER.user}\`@\`%\``);
    const target = await shopSchema('owners_stock');
    const result = await restoreMysql(asRoot(target), chunked(await readFile(file)));
    expect(await owners(target)).toEqual(ownedBy(SHOP_USER));
    expect(result.warnings).toEqual([]);
  });

  it('an owner whose account is gone: the restoring user owns the objects, with one warning saying why', async () => {
    const { shop, record } = await backedUpShop('owners_gone', asRoot, GONE_USER);
    await run(asRoot(shop), [`DROP USER '${GONE_USER.user}'@'%'`]);
    try {
      const result = await rollbackDatabase(asRoot(shop), backupDir, record);
      const [rootAccount] = Object.values(await owners(shop));
      expect(await owners(shop)).toEqual(Object.fromEntries(OBJECTS.map((o) => [o, rootAccount])));
      expect(rootAccount).toMatch(/^root@/);
      expect(result.warnings).toHaveLength(1);
      expect(result.warnings[0]).toContain(account(GONE_USER));
      expect(result.warnings[0]).toMatch(/no such account/);
    } finally {
      await run(asRoot(shop), [`CREATE USER IF NOT EXISTS '${GONE_USER.user}'@'%' IDENTIFIED BY '${GONE_USER.password}'`]);
    }
  });
});
