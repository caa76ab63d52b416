// A System rollback killed with SIGKILL at every step that changes the shop, and at random moments, on
// the real MariaDB as a Magento-like user (no global privileges), with 300 triggers: after `lifeboat
// recover` (or the next job, which recovers first) the shop is wholly as it was or wholly the backup's,
// every trigger is there, no helper schema, work folder, journal or partial file is left, and the
// maintenance flag is as it was before the rollback.
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { createTestSchema, fingerprint, queryRows, shopUser, withConnection, type SchemaFingerprint } from '../helpers/mysql.js';
import { fingerprintTree, treeDifferences, type TreeEntry } from '../helpers/tree.js';
import { DatabaseSync as Database } from 'node:sqlite';
import { valueInFile } from '../helpers/sqlite.js';
import { ensureDemoShop } from '../../src/demo/shop.js';
import type { MysqlTarget } from '../../src/engines/target.js';

const TABLES = 100;

/** 100 tables with 3 triggers each, a view, a function and an event: a shop's objects, many of them. */
function shopSchema(): string {
  const parts: string[] = ['CREATE TABLE trigger_log (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(64))'];
  for (let i = 0; i < TABLES; i++) {
    parts.push(`CREATE TABLE t${i} (id INT PRIMARY KEY, v VARCHAR(32), n INT DEFAULT 0)`);
    parts.push(`INSERT INTO t${i} SELECT seq, CONCAT('row ', seq), seq FROM seq_1_to_20`);
    parts.push(`CREATE TRIGGER t${i}_bi BEFORE INSERT ON t${i} FOR EACH ROW SET NEW.n = NEW.n + 1`);
    parts.push(`CREATE TRIGGER t${i}_ai AFTER INSERT ON t${i} FOR EACH ROW INSERT INTO trigger_log (what) VALUES ('t${i} insert')`);
    parts.push(`CREATE TRIGGER t${i}_bu BEFORE UPDATE ON t${i} FOR EACH ROW SET NEW.n = NEW.n + 10`);
  }
  parts.push('CREATE VIEW t0_summary AS SELECT COUNT(*) AS n, SUM(n) AS total FROM t0');
  parts.push("CREATE FUNCTION shop_label(id INT) RETURNS VARCHAR(32) DETERMINISTIC RETURN CONCAT('#', id)");
  parts.push('CREATE EVENT nightly_cleanup ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM trigger_log');
  return parts.join(';\n');
}

/** What changes between the backup and the shop: rows, a trigger, a table, a view, files. */
const CHANGE_DATABASE = `
UPDATE t1 SET v = 'changed after the backup';
DELETE FROM t2 WHERE id > 10;
DROP TRIGGER t3_bu;
CREATE TRIGGER t3_bu BEFORE UPDATE ON t3 FOR EACH ROW SET NEW.n = NEW.n + 99;
CREATE TABLE added_after_backup (id INT PRIMARY KEY);
CREATE OR REPLACE VIEW t0_summary AS SELECT COUNT(*) AS n FROM t0;
`;

const urlOf = (t: MysqlTarget) => `mysql://${t.user}:${t.password}@${t.host}:${t.port}/${t.database}`;

interface ShopState {
  db: SchemaFingerprint;
  tree: TreeEntry[];
}

describe('a System rollback killed at any moment, then recovered', () => {
  let schema: { target: MysqlTarget; drop: () => Promise<void> };
  let user: { target: MysqlTarget; drop: () => Promise<void> };
  let base: string;
  let root: string;
  let env: Record<string, string>;
  let backupId: string;
  let changedId: string;
  let backupState: ShopState;
  let changedState: ShopState;
  const own = (rel: string) => ['var/backups', 'var/lifeboat', 'var/log'].some((dir) => rel === dir || rel.startsWith(`${dir}/`)) || rel === 'var/.maintenance.flag';
  const current = async (): Promise<ShopState> => ({ db: await fingerprint(user.target), tree: await fingerprintTree(root, { ignore: own }) });
  const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, { ...env, ...extra });

  /** The shop is exactly `state` (files to the microsecond; var/ holds Lifeboat's own folders, whose mtime moves). */
  const differences = (state: ShopState, now: ShopState) => [
    ...treeDifferences(state.tree, now.tree, 1000n, ['var']),
    ...(JSON.stringify(now.db) === JSON.stringify(state.db) ? [] : ['the database differs']),
  ];

  async function leftovers(): Promise<string[]> {
    const schemas = await queryRows<{ name: string }>(schema.target, 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [`${schema.target.database}\\_\\_lb\\_%`]);
    const beside = (await readdir(base)).filter((name) => name.startsWith('.lifeboat-'));
    const inside = (await readdir(root)).filter((name) => name.startsWith('.lifeboat-'));
    const journals = (await readdir(path.join(root, 'var/lifeboat'))).filter((name) => name.includes('journal'));
    const partial = (await readdir(path.join(root, 'var/backups'))).filter((name) => name.endsWith('.partial'));
    return [...schemas.map((s) => `schema ${s.name}`), ...beside, ...inside, ...journals, ...partial];
  }

  async function triggerCount(): Promise<number> {
    const [row] = await queryRows<{ n: number }>(schema.target, 'SELECT COUNT(*) AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?', [schema.target.database]);
    return Number(row.n);
  }

  /** Puts the shop back into the changed state (the one a killed rollback starts from). */
  async function startChanged(): Promise<void> {
    if (differences(changedState, await current()).length === 0) return;
    const result = await cli(['rollback', changedId, '--yes']);
    expect(result.stderr).toBe('');
    expect(differences(changedState, await current())).toEqual([]);
  }

  /** Runs the rollback to the backup until it pauses at `step` (or until `afterMs`), then kills it with SIGKILL. */
  async function killRollback(options: { step?: string; afterMs?: number; maintenance?: boolean }): Promise<string> {
    const args = ['rollback', backupId, '--yes', ...(options.maintenance === false ? [] : ['--maintenance'])];
    const child = startCli(args, { ...env, ...(options.step ? { LIFEBOAT_PAUSE_AT: options.step } : {}) });
    let stderr = '';
    const ended = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      const timer = options.afterMs === undefined ? undefined : setTimeout(resolve, options.afterMs);
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (options.step && stderr.includes(`paused at ${options.step}`)) resolve();
      });
      void ended.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    child.kill('SIGKILL');
    await ended;
    return stderr;
  }

  /** After `lifeboat recover`: wholly one state or the other, every trigger there, nothing left behind. */
  async function expectWhole(expected?: 'old' | 'new'): Promise<'old' | 'new'> {
    const now = await current();
    const asOld = differences(changedState, now);
    const asNew = differences(backupState, now);
    const outcome = asOld.length === 0 ? 'old' : asNew.length === 0 ? 'new' : undefined;
    expect(outcome, `neither the old shop (${asOld.slice(0, 5).join('; ')}) nor the backup's (${asNew.slice(0, 5).join('; ')})`).toBeDefined();
    if (expected) expect(outcome).toBe(expected);
    expect(await triggerCount()).toBe(TABLES * 3);
    expect(await leftovers()).toEqual([]);
    return outcome as 'old' | 'new';
  }

  beforeAll(async () => {
    schema = await createTestSchema('crash');
    user = await shopUser(schema.target);
    await withConnection(user.target, (conn) => conn.query(shopSchema()));
    base = await mkdtemp(path.join(tmpdir(), 'lifeboat-crash-'));
    root = path.join(base, 'shop');
    for (const dir of ['app/etc', 'app/code/Acme/Shop', 'vendor/magento/framework', 'pub/media/catalog', 'pub/static', 'var/log']) await mkdir(path.join(root, dir), { recursive: true });
    await writeFile(path.join(root, 'app/etc/env.php'), "<?php return ['db' => ['host' => 'db']];\n");
    await writeFile(path.join(root, 'app/code/Acme/Shop/registration.php'), '<?php // module\n');
    for (let i = 0; i < 50; i++) await writeFile(path.join(root, `vendor/magento/framework/File${i}.php`), `<?php // ${i}\n`.repeat(50));
    await writeFile(path.join(root, 'pub/media/catalog/shirt.jpg'), Buffer.alloc(20_000, 3));
    await writeFile(path.join(root, 'composer.json'), '{"name": "acme/shop"}\n');
    await writeFile(path.join(root, 'index.php'), '<?php // entry\n');
    await writeFile(path.join(root, 'var/log/system.log'), 'log\n');
    env = { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: urlOf(user.target) };

    const backup = await cli(['backup', 'system', '--json']);
    expect(backup.stderr).toBe('');
    backupId = JSON.parse(backup.stdout).id;
    backupState = await current();

    await withConnection(user.target, (conn) => conn.query(CHANGE_DATABASE));
    await writeFile(path.join(root, 'app/etc/env.php'), "<?php return ['db' => ['host' => 'changed']];\n");
    await writeFile(path.join(root, 'pub/static/added.css'), 'body {}\n');
    await rm(path.join(root, 'index.php'));
    const changed = await cli(['backup', 'system', '--json']);
    expect(changed.stderr).toBe('');
    changedId = JSON.parse(changed.stdout).id;
    changedState = await current();
    expect(differences(backupState, changedState).length).toBeGreaterThan(3);
  });

  afterAll(async () => {
    await user?.drop();
    await schema?.drop();
  });

  // Before the commit point (the database's RENAME TABLE) recovery puts the shop back; from it on, it
  // finishes the rollback.
  const steps: [string, 'old' | 'new'][] = [
    ['files-staged', 'old'],
    ['database-staged', 'old'],
    ['file-renamed#1', 'old'],
    ['file-renamed#4', 'old'],
    ['files-swapped', 'old'],
    ['trigger-dropped#1', 'old'],
    ['trigger-dropped#150', 'old'],
    ['tables-renamed', 'new'],
    ['trigger-created#1', 'new'],
    ['trigger-created#299', 'new'],
    ['database-swapped', 'new'],
    ['committed', 'new'],
    ['files-settled', 'new'],
  ];
  for (const [step, expected] of steps) {
    it(`killed at ${step}: recover leaves the shop ${expected === 'old' ? 'as it was' : "the backup's"}`, async () => {
      await startChanged();
      const stderr = await killRollback({ step });
      expect(stderr).toContain(`paused at ${step}`);
      expect(existsSync(path.join(root, 'var/.maintenance.flag'))).toBe(true); // the dead job's flag
      const listed = await cli(['list']);
      expect(listed.stderr).toMatch(/warning: the rollback to \d+_snapshot\.tgz \(job j[0-9a-f]+, started .*\) was interrupted at ".*"/);
      const recovered = await cli(['recover']);
      expect(recovered.code).toBe(0);
      expect(recovered.stdout).toMatch(/^recovered the rollback to \d+_snapshot\.tgz \(job j[0-9a-f]+\), interrupted at/m);
      expect(recovered.stdout).toContain(expected === 'old' ? 'the shop is as it was before the rollback' : "the shop is the backup's");
      await expectWhole(expected);
      expect(existsSync(path.join(root, 'var/.maintenance.flag'))).toBe(false); // as before the rollback
      expect((await cli(['recover'])).stdout).toMatch(/^nothing to recover/);
    });
  }

  it('a recovery killed half-way is finished by the next one', async () => {
    await startChanged();
    await killRollback({ step: 'trigger-dropped#20' });
    const child = await killRecover('files-settled');
    expect(child).toContain('paused at files-settled');
    expect((await cli(['recover'])).code).toBe(0);
    await expectWhole('old');
  });

  it('the next backup recovers first, so it never backs up a half shop, and an operator’s maintenance flag stays on', async () => {
    await startChanged();
    await writeFile(path.join(root, 'var/.maintenance.flag'), ''); // set by a person: it stays
    await killRollback({ step: 'trigger-dropped#100' });
    const backup = await cli(['backup', 'db', '--json']);
    expect(backup.code).toBe(0);
    expect(backup.stderr).toMatch(/recovered the rollback to .*interrupted at .*the shop is as it was before the rollback/);
    await expectWhole('old');
    expect(existsSync(path.join(root, 'var/.maintenance.flag'))).toBe(true);
    await rm(path.join(root, 'var/.maintenance.flag'));
    const { path: archive } = JSON.parse(backup.stdout) as { path: string };
    const manifest = JSON.parse(await readFile(`${archive}.manifest.json`, 'utf8')) as { objects: { triggers: number } };
    expect(manifest.objects.triggers).toBe(TABLES * 3);
  });

  it('killed at random moments: every time wholly the old shop or wholly the backup', async () => {
    await startChanged();
    const started = Date.now();
    expect((await cli(['rollback', backupId, '--yes'])).code).toBe(0);
    const duration = Date.now() - started;
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      await startChanged();
      await killRollback({ afterMs: randomInt(100, duration), maintenance: i % 2 === 0 });
      expect((await cli(['recover'])).code).toBe(0);
      outcomes.push(await expectWhole());
      expect(existsSync(path.join(root, 'var/.maintenance.flag'))).toBe(false);
    }
    expect(outcomes).toHaveLength(4);
  }, 300_000); // five rollbacks and four recoveries: over two minutes on a loaded 2-core machine

  /** Runs `lifeboat recover` until it pauses at `step`, then kills it. */
  async function killRecover(step: string): Promise<string> {
    const child = startCli(['recover'], { ...env, LIFEBOAT_PAUSE_AT: step });
    let stderr = '';
    const ended = new Promise<void>((resolve) => child.on('close', () => resolve()));
    await new Promise<void>((resolve) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes(`paused at ${step}`)) resolve();
      });
      void ended.then(resolve);
    });
    child.kill('SIGKILL');
    await ended;
    return stderr;
  }
});

describe('a database rollback of some tables (--table) killed at any moment, then recovered', () => {
  let schema: { target: MysqlTarget; drop: () => Promise<void> };
  let env: Record<string, string>;
  let backupId: string;
  let backedUp: SchemaFingerprint;
  let changed: SchemaFingerprint;
  const SCHEMA = `
    CREATE TABLE orders (id INT PRIMARY KEY, total INT);
    CREATE TABLE order_log (id INT AUTO_INCREMENT PRIMARY KEY, order_id INT);
    CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(32));
    INSERT INTO orders SELECT seq, seq * 10 FROM seq_1_to_500;
    INSERT INTO customers SELECT seq, CONCAT('c', seq) FROM seq_1_to_50;
    CREATE TRIGGER orders_ai AFTER INSERT ON orders FOR EACH ROW INSERT INTO order_log (order_id) VALUES (NEW.id);
    CREATE TRIGGER orders_bu BEFORE UPDATE ON orders FOR EACH ROW SET NEW.total = NEW.total + 1;`;

  beforeAll(async () => {
    schema = await createTestSchema('crashtbl', { asShopUser: true });
    await withConnection(schema.target, (conn) => conn.query(SCHEMA));
    const root = await mkdtemp(path.join(tmpdir(), 'lifeboat-crash-table-'));
    env = { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: urlOf(schema.target) };
    const backup = await runCli(['backup', 'db', '--json'], env);
    expect(backup.stderr).toBe('');
    backupId = JSON.parse(backup.stdout).id;
    backedUp = await fingerprint(schema.target);
  });

  afterAll(async () => {
    await schema?.drop();
  });

  for (const [step, expected] of [
    ['trigger-dropped#1', 'old'],
    ['tables-renamed', 'new'],
    ['trigger-created#1', 'new'],
  ] as const) {
    it(`killed at ${step}: recover leaves the orders table ${expected === 'old' ? 'as it was' : "the backup's"}, the customers table as it is`, async () => {
      await withConnection(schema.target, (conn) => conn.query("UPDATE orders SET total = 0 WHERE id <= 100; UPDATE customers SET name = 'changed'"));
      changed = await fingerprint(schema.target);
      const child = startCli(['rollback', backupId, '--table', 'orders', '--yes'], { ...env, LIFEBOAT_PAUSE_AT: step });
      const ended = new Promise((resolve) => child.on('close', resolve));
      await new Promise<void>((resolve) => child.stderr?.on('data', (chunk: Buffer) => chunk.toString().includes('paused at') && resolve()));
      child.kill('SIGKILL');
      await ended;
      expect((await runCli(['recover'], env)).code).toBe(0);
      const now = await fingerprint(schema.target);
      const orders = (print: SchemaFingerprint) => [print.tables.orders, print.objects['table orders'], print.objects['trigger orders_ai'], print.objects['trigger orders_bu']];
      expect(orders(now)).toEqual(orders(expected === 'old' ? changed : backedUp));
      expect(now.tables.customers).toEqual(changed.tables.customers);
      const helpers = await queryRows(schema.target, 'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [`${schema.target.database}\\_\\_lb\\_%`]);
      expect(helpers).toEqual([]);
    });
  }
});

describe('a System rollback of an SQLite shop killed around its commit, then recovered', () => {
  let env: Record<string, string>;
  let root: string;
  let dbFile: string;
  let backupId: string;
  const storeName = () => valueInFile(dbFile, 'SELECT name FROM store WHERE store_id = 1');

  beforeAll(async () => {
    const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-crash-sqlite-')), 'shop'));
    root = shop.root;
    dbFile = shop.databaseFile;
    env = { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: shop.databaseUrl };
    const backup = await runCli(['backup', 'system', '--json'], env);
    expect(backup.code).toBe(0);
    backupId = JSON.parse(backup.stdout).id;
  });

  // database-committed: the transaction committed (with its marker table), the journal not yet told.
  for (const [step, expected] of [
    ['files-swapped', 'old'],
    ['database-committed', 'new'],
  ] as const) {
    it(`killed at ${step}: recover leaves files and database ${expected === 'old' ? 'as they were' : "the backup's"}`, async () => {
      const db = new Database(dbFile);
      db.exec("UPDATE store SET name = 'changed' WHERE store_id = 1");
      db.close();
      await writeFile(path.join(root, 'app/etc/env.php'), 'changed\n');
      const child = startCli(['rollback', backupId, '--yes'], { ...env, LIFEBOAT_PAUSE_AT: step });
      const ended = new Promise((resolve) => child.on('close', resolve));
      await new Promise<void>((resolve) => child.stderr?.on('data', (chunk: Buffer) => chunk.toString().includes('paused at') && resolve()));
      child.kill('SIGKILL');
      await ended;
      expect((await runCli(['recover'], env)).code).toBe(0);
      const envFile = await readFile(path.join(root, 'app/etc/env.php'), 'utf8');
      if (expected === 'old') {
        expect([storeName(), envFile]).toEqual(['changed', 'changed\n']);
      } else {
        expect(storeName()).not.toBe('changed');
        expect(envFile).not.toBe('changed\n');
      }
      const marker = new Database(dbFile, { readOnly: true });
      expect(marker.prepare("SELECT name FROM sqlite_schema WHERE name LIKE 'lifeboat_%'").all()).toEqual([]);
      marker.close();
      const beside = [...(await readdir(path.dirname(root))), ...(await readdir(path.join(root, 'var')))].filter((n) => n.startsWith('.lifeboat-'));
      expect(beside).toEqual([]);
    });
  }
});
