// `lifeboat drill` through the real command on the real MariaDB, as the shop's own user, and on SQLite:
// the newest database backup is restored into a scratch database and checked table by table; the shop is
// never touched and the scratch database is gone afterwards; stripped and anonymized backups drill too;
// a drill while another holds the database is refused in one line, and what a killed one left is removed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { cliShop, type CliShop } from '../helpers/cli-shop.js';
import { fingerprint, queryRows, withConnection } from '../helpers/mysql.js';
import { startServer } from '../helpers/server.js';
import { loadSettings } from '../../src/config/settings.js';
import { keepDrill } from '../../src/core/verify/drill-record.js';
import { processIdentity } from '../../src/shared/process-identity.js';

const SHOP = `
CREATE TABLE customer_entity (entity_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, email VARCHAR(255), note TEXT, born DATE, score DOUBLE) ENGINE=InnoDB;
CREATE TABLE sales_order (entity_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, customer_id INT UNSIGNED, total DECIMAL(20,4), blob_data LONGBLOB) ENGINE=InnoDB;
CREATE TABLE log_lines (line TEXT) ENGINE=InnoDB;
INSERT INTO customer_entity (email, note, born, score) SELECT CONCAT('c', seq, '@example.com'), CONCAT('it''s line\\n', seq, ' \\\\ ', CHAR(0)), '1990-01-01' + INTERVAL seq DAY, seq / 7
  FROM seq_1_to_2000;
INSERT INTO sales_order (customer_id, total, blob_data) SELECT 1 + seq % 2000, seq * 1.25, IF(seq % 10 = 0, UNHEX(REPEAT('00FF1A5C27', 50)), NULL) FROM seq_1_to_5000;
INSERT INTO log_lines SELECT CONCAT('no key ', seq) FROM seq_1_to_300;
`;

interface Drill {
  ok: boolean;
  file: string;
  scratch: string;
  tables: { name: string; rows: number; restoredRows: number; same: boolean }[];
}

describe('lifeboat drill on MariaDB', () => {
  let setup: CliShop;
  let env: Record<string, string>;

  beforeAll(async () => {
    setup = await cliShop('drill', SHOP);
    env = setup.env;
  });

  afterAll(async () => {
    await setup?.drop();
  });

  const drillSchemas = async () =>
    (await queryRows<{ name: string }>(setup.shop, "SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE CONCAT(?, '\\\\_\\\\_lb\\\\_%')", [setup.shop.database])).map((r) => r.name);

  it('refuses in one line when there is no backup yet', async () => {
    const result = await runCli(['drill'], env);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/no Lifeboat backup in .* to drill; take one with "lifeboat backup db" or "lifeboat backup system"$/);
  });

  it('restores the newest database backup beside the shop and finds every table as recorded, leaving the shop and the server as they were', async () => {
    expect((await runCli(['backup', 'db', '--name', 'older'], env)).code).toBe(0);
    const newest = JSON.parse((await runCli(['backup', 'db', '--json'], env)).stdout) as { file: string };
    const before = await fingerprint(setup.shop);
    const result = await runCli(['drill', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const drill = JSON.parse(result.stdout) as Drill;
    expect(drill).toMatchObject({ ok: true, file: newest.file });
    expect(drill.scratch).toMatch(new RegExp(`^schema ${setup.shop.database}__lb_drill_[0-9a-f]{8}$`));
    expect(drill.tables.map((t) => [t.name, t.rows, t.restoredRows, t.same])).toEqual([
      ['customer_entity', 2000, 2000, true],
      ['log_lines', 300, 300, true],
      ['sales_order', 5000, 5000, true],
    ]);
    expect(await fingerprint(setup.shop)).toEqual(before);
    expect(await drillSchemas()).toEqual([]);
    const human = await runCli(['drill', newest.file], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/: RESTORES: 3 tables, 7300 rows restored into the scratch schema .* \(removed\) in [\d.]+ s; every table is as the backup recorded it/);
  });

  it('drills stripped and anonymized backups as they were taken', async () => {
    const taken = JSON.parse((await runCli(['backup', 'db', '--strip', 'log_*', '--anonymize', '--json'], env)).stdout) as { id: string };
    const result = await runCli(['drill', taken.id, '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const drill = JSON.parse(result.stdout) as Drill;
    expect(drill.ok).toBe(true);
    expect(drill.tables.find((t) => t.name === 'log_lines')).toMatchObject({ rows: 0, restoredRows: 0, same: true });
  });

  it('refuses a drill while another holds the database in one line, and removes what a killed drill left', async () => {
    await withConnection(setup.shop, async (conn) => {
      await conn.query('SELECT GET_LOCK(?, 0)', [`lifeboat-drill:${setup.shop.database}`]);
      const refused = await runCli(['drill'], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim()).toMatch(/another restore drill of database `[^`]+` is running; run this one when it has ended$/);
    });
    const left = `${setup.shop.database}__lb_drill_dead1234`;
    await withConnection(setup.shop, (conn) => conn.query(`CREATE DATABASE \`${left}\`; CREATE TABLE \`${left}\`.t (x INT)`));
    expect(await drillSchemas()).toEqual([left]);
    const result = await runCli(['drill'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(await drillSchemas()).toEqual([]);
  });

  it('runs as a job that lifeboat jobs lists, and fails naming the table whose part of an altered archive does not read', async () => {
    const taken = JSON.parse((await runCli(['backup', 'db', '--json'], env)).stdout) as { id: string; file: string };
    const good = await runCli(['drill', taken.id], env);
    expect(good.code, good.stderr).toBe(0);
    const archive = path.join(setup.backupDir, taken.file);
    const manifest = JSON.parse(await readFile(`${archive}.manifest.json`, 'utf8')) as { tables: { name: string; gzipOffset: number }[] };
    const bytes = await readFile(archive);
    // One byte of sales_order's compressed rows changed after the manifest was written.
    bytes[manifest.tables.find((t) => t.name === 'sales_order')!.gzipOffset + 100] ^= 0x55;
    await writeFile(archive, bytes);
    const before = await fingerprint(setup.shop);
    const human = await runCli(['drill', taken.id], env);
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(new RegExp(`${taken.file}: DOES NOT RESTORE: its archive is damaged in table sales_order's part \\(.+\\); nothing was restored`));
    const json = JSON.parse((await runCli(['drill', taken.id, '--json'], env)).stdout) as Drill & { damaged: { table: string } };
    expect(json).toMatchObject({ ok: false, damaged: { table: 'sales_order' } });
    expect(await fingerprint(setup.shop)).toEqual(before);
    expect(await drillSchemas()).toEqual([]);
    const jobs = JSON.parse((await runCli(['jobs', '--limit', '4', '--json'], env)).stdout) as { kind: string; state: string; description: string; error?: string }[];
    expect(jobs.slice(0, 3).map((j) => [j.kind, j.state, j.description])).toEqual([
      ['drill', 'failed', `drill ${taken.file}`],
      ['drill', 'failed', `drill ${taken.file}`],
      ['drill', 'succeeded', `drill ${taken.file}`],
    ]);
    expect(jobs[0].error).toBe(`${taken.file} is damaged in table sales_order's part: nothing was restored`);
    await runCli(['delete', taken.id, '--yes'], env);
  });

  it('keeps the outcome for /metrics, and tells the notification channels when a drill failed', async () => {
    expect((await runCli(['drill'], env)).code).toBe(0);
    const server = await startServer(env);
    try {
      const metrics = await (await fetch(`${server.base}/metrics`)).text();
      expect(metrics).toMatch(/^lifeboat_last_drill_ok\{shop="[^"]+"\} 1$/m);
      const success = Number(/^lifeboat_last_drill_success_timestamp_seconds\{shop="[^"]+"\} (\d+(\.\d+)?)$/m.exec(metrics)?.[1]);
      expect(Math.abs(success - Date.now() / 1000)).toBeLessThan(120);
    } finally {
      await server.stop();
    }
    const received: string[] = [];
    const hook = createServer((request, response) => {
      let body = '';
      request.on('data', (d: Buffer) => (body += d.toString()));
      request.on('end', () => {
        received.push(body);
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    try {
      const settings = loadSettings({ ...env, LIFEBOAT_NOTIFY_WEBHOOK: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook` }, setup.root);
      const failed = { backupId: 'abcd1234', file: '1796000000_db.sql.gz', ok: false, finishedAt: new Date().toISOString(), seconds: 1, tables: 3, rows: 10, differing: ['sales_order'] };
      await keepDrill(settings, failed, 'db', new Date());
      expect(received).toHaveLength(1);
      expect(JSON.parse(received[0])).toMatchObject({ kind: 'drill', type: 'db', state: 'failed', error: '1796000000_db.sql.gz did not restore as recorded: sales_order' });
      // A file backup's failed drill is told as its own type, with the command that takes a new one.
      await keepDrill(settings, { ...failed, file: '1796000000_nomedia.tgz', differing: ['file app/etc/env.php'] }, 'nomedia', new Date());
      expect(received).toHaveLength(2);
      expect(JSON.parse(received[1])).toMatchObject({ kind: 'drill', type: 'nomedia', hint: expect.stringContaining('lifeboat backup system --exclude-media') });
      const server2 = await startServer(env);
      try {
        const metrics = await (await fetch(`${server2.base}/metrics`)).text();
        expect(metrics).toMatch(/^lifeboat_last_drill_ok\{shop="[^"]+"\} 0$/m);
        expect(metrics).toMatch(/^lifeboat_last_drill_success_timestamp_seconds\{/m); // the last good one is still told
      } finally {
        await server2.stop();
      }
    } finally {
      hook.close();
    }
  });

  it('drills each scheduled database backup when the schedule says so', async () => {
    const set = await runCli(['schedule', 'set', '--type', 'db', '--frequency', 'daily', '--time', '02:00', '--timezone', 'UTC', '--drill'], env);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/Database backup, daily at 02:00 \(UTC\), then drilled/);
    const tomorrow = new Date(Date.now() + 24 * 3600 * 1000).toISOString().slice(0, 10);
    const ran = await runCli(['cron', '--at', `${tomorrow}T02:30:00Z`, '--json'], env);
    expect(ran.code, ran.stderr).toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject({ status: 'succeeded', drilled: true });
    expect(await drillSchemas()).toEqual([]);
    expect((await runCli(['schedule', 'set', '--no-drill'], env)).stdout).not.toMatch(/drilled/);
  });
});

describe('lifeboat drill on SQLite', () => {
  it('restores into a temporary file and finds every table as recorded', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-drill-sqlite-'));
    const dbFile = path.join(dir, 'shop.db');
    const db = new DatabaseSync(dbFile);
    db.exec("CREATE TABLE product (id INTEGER PRIMARY KEY, sku TEXT, price REAL); INSERT INTO product VALUES (1, 'a', 1.5), (2, 'b''c', 2.25), (3, NULL, 0.1);");
    db.close();
    // The drill's scratch folder goes into the run's temporary folder, where this test looks.
    const env = { LIFEBOAT_ROOT: dir, LIFEBOAT_DATABASE_URL: `sqlite://${dbFile}`, TMPDIR: tmpdir() };
    expect((await runCli(['backup', 'db'], env)).code).toBe(0);
    const result = await runCli(['drill', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const drill = JSON.parse(result.stdout) as Drill;
    expect(drill.ok).toBe(true);
    expect(drill.tables).toEqual([{ name: 'product', rows: 3, restoredRows: 3, same: true }]);
    expect(drill.scratch).toMatch(/^file .*lifeboat-drill-[0-9a-f]{8}-.*\/drill\.db$/);
    // The folder of a drill whose process died (kill -9) is removed by the next drill.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    const left = await mkdtemp(path.join(tmpdir(), 'lifeboat-drill-dead1234-'));
    const unowned = await mkdtemp(path.join(tmpdir(), 'lifeboat-drill-not-ours-')); // not a drill's name: kept
    await writeFile(path.join(left, 'owner.json'), JSON.stringify(processIdentity(gone)));
    await writeFile(path.join(left, 'drill.db'), 'left');
    expect((await runCli(['drill'], env)).code).toBe(0);
    expect(existsSync(left)).toBe(false);
    expect(existsSync(unowned)).toBe(true);
  });
});
