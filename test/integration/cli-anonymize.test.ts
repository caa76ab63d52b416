// `--anonymize` through the real `lifeboat` command on the real MariaDB, as the shop's own user: no real
// name, e-mail address, street, phone number or IP address is left in the archive; the same original
// becomes the same fake everywhere (orders still match their customers); NULL and '' stay as they were;
// a config file adds columns; the archive loads with the stock client; a rollback to it needs the second
// confirmation; SQLite shops are refused in one line.
import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { cliShop, type CliShop } from '../helpers/cli-shop.js';
import { loadWithStockClient, queryRows } from '../helpers/mysql.js';

const SHOP = `
CREATE TABLE customer_entity (entity_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, email VARCHAR(255), firstname VARCHAR(255), lastname VARCHAR(255),
  dob DATE, password_hash VARCHAR(128), group_id SMALLINT NOT NULL DEFAULT 1) ENGINE=InnoDB;
CREATE TABLE customer_address_entity (entity_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, parent_id INT UNSIGNED, firstname VARCHAR(255), lastname VARCHAR(255),
  street TEXT NOT NULL, city VARCHAR(255) NOT NULL, telephone VARCHAR(255) NOT NULL, company VARCHAR(255)) ENGINE=InnoDB;
CREATE TABLE sales_order (entity_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, customer_id INT UNSIGNED, customer_email VARCHAR(128), customer_firstname VARCHAR(128),
  customer_lastname VARCHAR(128), remote_ip VARCHAR(45), grand_total DECIMAL(20,4), customer_note LONGTEXT) ENGINE=InnoDB;
CREATE TABLE sales_order_grid (entity_id INT UNSIGNED PRIMARY KEY, customer_name VARCHAR(255), customer_email VARCHAR(255), billing_address VARCHAR(255)) ENGINE=InnoDB;
CREATE TABLE newsletter_subscriber (subscriber_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, subscriber_email VARCHAR(150)) ENGINE=InnoDB;
CREATE TABLE loyalty_card (id INT PRIMARY KEY, holder VARCHAR(100), points INT) ENGINE=InnoDB;
INSERT INTO customer_entity (email, firstname, lastname, dob, password_hash) SELECT CONCAT('Real.Person', seq, '@shop-customer.example'), CONCAT('Realfirst', seq),
  CONCAT('Reallast', seq), '1984-05-06', CONCAT('hash', seq) FROM seq_1_to_30;
INSERT INTO customer_entity (email, firstname, lastname) VALUES (NULL, '', NULL);
INSERT INTO customer_address_entity (parent_id, firstname, lastname, street, city, telephone, company)
  SELECT seq, CONCAT('Realfirst', seq), CONCAT('Reallast', seq), CONCAT(seq, ' Realstreet\\nFlat 2'), 'Amsterdam', CONCAT('+31 6 1234', LPAD(seq, 4, '0')), NULL FROM seq_1_to_30;
INSERT INTO sales_order (customer_id, customer_email, customer_firstname, customer_lastname, remote_ip, grand_total, customer_note)
  SELECT 1 + seq % 30, CONCAT('real.person', 1 + seq % 30, '@Shop-Customer.example '), CONCAT('Realfirst', 1 + seq % 30), CONCAT('Reallast', 1 + seq % 30),
    CONCAT('203.0.113.', seq % 200), seq * 3.5, REPEAT('leave at the door ', 3) FROM seq_1_to_90;
INSERT INTO sales_order_grid SELECT entity_id, CONCAT(customer_firstname, ' ', customer_lastname), customer_email, 'Realstreet 1, Amsterdam' FROM sales_order;
INSERT INTO newsletter_subscriber (subscriber_email) SELECT CONCAT('Real.Person', seq, '@shop-customer.example') FROM seq_1_to_10;
INSERT INTO loyalty_card VALUES (1, 'Realfirst1 Reallast1', 10), (2, NULL, 0);
`;

describe('backup --anonymize', () => {
  let setup: CliShop;
  let env: Record<string, string>;
  let archive: string;

  beforeAll(async () => {
    setup = await cliShop('anon', SHOP);
    const config = path.join(setup.root, 'lifeboat.config.json');
    await writeFile(config, JSON.stringify({ anonymize: { 'loyalty_card.holder': 'name' } }));
    env = { ...setup.env, LIFEBOAT_CONFIG: config };
  });

  afterAll(async () => {
    await setup?.drop();
  });

  it('leaves no real personal data in the archive, and records what it replaced', async () => {
    const result = await runCli(['backup', 'db', '--anonymize', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const backup = JSON.parse(result.stdout) as { path: string; anonymized: Record<string, string[]> };
    archive = backup.path;
    expect(backup.anonymized.customer_entity.sort()).toEqual(['dob', 'email', 'firstname', 'lastname', 'password_hash']);
    expect(backup.anonymized.loyalty_card).toEqual(['holder']);
    expect(backup.anonymized.customer_address_entity).toContain('street');
    const sql = execFileSync('zcat', [archive]).toString();
    expect(sql).not.toMatch(/Real\.?Person|Realfirst|Reallast|Realstreet|203\.0\.113|\+31 6 1234|1984-05-06|hash\d/i);
    expect(sql).toContain('leave at the door'); // what is not personal stays
    expect(sql).toContain('Amsterdam');
  });

  it('loads with the stock client, with the same fake for the same original everywhere', async () => {
    await loadWithStockClient(setup.copy, archive);
    const customers = await queryRows<{ entity_id: number; email: string | null; firstname: string; lastname: string | null; password_hash: string | null; dob: string | null }>(
      setup.copy,
      'SELECT entity_id, email, firstname, lastname, password_hash, CAST(dob AS CHAR) AS dob FROM customer_entity ORDER BY entity_id',
    );
    expect(customers).toHaveLength(31);
    for (const c of customers.slice(0, 30)) {
      expect(c.email).toMatch(/^customer-[0-9a-f]{12}@example\.invalid$/);
      expect(c.password_hash).toBeNull();
      expect(c.dob).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    expect(new Set(customers.map((c) => c.email)).size).toBe(31); // distinct customers stay distinct
    expect(customers[30]).toMatchObject({ email: null, firstname: '', lastname: null }); // NULL and '' as they were
    // Each order's e-mail and names are its customer's fake ones (the order's e-mail differed in case and spacing).
    const mismatched = await queryRows(
      setup.copy,
      `SELECT o.entity_id FROM sales_order o JOIN customer_entity c ON c.entity_id = o.customer_id
       WHERE o.customer_email <> c.email OR o.customer_firstname <> c.firstname OR o.customer_lastname <> c.lastname`,
    );
    expect(mismatched).toEqual([]);
    const grid = await queryRows(
      setup.copy,
      "SELECT g.entity_id FROM sales_order_grid g JOIN sales_order o USING (entity_id) WHERE g.customer_name <> CONCAT(o.customer_firstname, ' ', o.customer_lastname)",
    );
    expect(grid).toEqual([]);
    const ips = await queryRows<{ remote_ip: string }>(setup.copy, 'SELECT DISTINCT remote_ip FROM sales_order');
    for (const { remote_ip } of ips) expect(remote_ip).toMatch(/^192\.0\.2\.\d{1,3}$/);
    const [card] = await queryRows<{ holder: string }>(setup.copy, 'SELECT holder FROM loyalty_card WHERE id = 1');
    expect(card.holder).toBe(`${customers[0].firstname} ${customers[0].lastname}`);
    expect(await queryRows(setup.copy, 'SELECT SUM(grand_total) AS t FROM sales_order')).toEqual(await queryRows(setup.shop, 'SELECT SUM(grand_total) AS t FROM sales_order'));
  });

  it('marks the backup, and a rollback to it needs --allow-stripped', async () => {
    expect((await runCli(['list'], env)).stdout).toMatch(/Database \(anonymized\)/);
    const listed = JSON.parse((await runCli(['list', '--json'], env)).stdout) as { id: string }[];
    const refused = await runCli(['rollback', listed[0].id, '--yes'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/taken with --anonymize: rolling back to it would empty or fill with fake data 6 table\(s\)/);
    expect((await queryRows<{ email: string }>(setup.shop, 'SELECT email FROM customer_entity WHERE entity_id = 1'))[0].email).toBe('Real.Person1@shop-customer.example');
  });

  it('refuses a bad anonymize setting and a SQLite shop in one line', async () => {
    const bad = path.join(setup.root, 'bad.config.json');
    await writeFile(bad, JSON.stringify({ anonymize: { 'loyalty_card.holder': 'surname' } }));
    const refused = await runCli(['backup', 'db', '--anonymize'], { ...setup.env, LIFEBOAT_CONFIG: bad });
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toMatch(/anonymize "loyalty_card.holder" must be one of email, firstname, .*not "surname"$/);

    const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-anon-sqlite-'));
    const db = new DatabaseSync(path.join(dir, 'shop.db'));
    db.exec('CREATE TABLE customer_entity (entity_id INTEGER PRIMARY KEY, email TEXT)');
    db.close();
    const sqlite = await runCli(['backup', 'db', '--anonymize'], { LIFEBOAT_ROOT: dir, LIFEBOAT_DATABASE_URL: `sqlite://${path.join(dir, 'shop.db')}` });
    expect(sqlite.code).toBe(2);
    expect(sqlite.stderr.trim()).toMatch(/--anonymize works on MySQL and MariaDB databases; this shop runs on SQLite: use --strip/);
  });
});
