// Several app servers for one shop: separate machines (separate roots and homes, so separate state)
// share the MariaDB database and the backup folder. Two `lifeboat cron` started at the same moment run
// the scheduled backup once; a third that comes later sees it has run.
import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { createTestSchema, withConnection } from '../helpers/mysql.js';
import type { MysqlTarget } from '../../src/engines/target.js';

const SCHEDULED = /_db_scheduled_daily\.sql\.gz$/;

describe('several app servers', () => {
  let target: MysqlTarget;
  let drop: () => Promise<void>;
  let backupDir: string;
  const servers: Record<string, string>[] = [];

  beforeAll(async () => {
    ({ target, drop } = await createTestSchema('cluster'));
    await withConnection(target, async (conn) => {
      await conn.query('CREATE TABLE sales_order (id INT PRIMARY KEY, note VARCHAR(200))');
      await conn.query('SET SESSION max_recursive_iterations = 100000');
      await conn.query(
        "INSERT INTO sales_order WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000) SELECT i, REPEAT('x', 100) FROM n",
      );
    });
    const base = await mkdtemp(path.join(tmpdir(), 'lifeboat-cluster-'));
    backupDir = path.join(base, 'shared-backups');
    for (const name of ['web1', 'web2', 'web3']) {
      const root = path.join(base, name);
      await mkdir(path.join(root, 'var'), { recursive: true });
      servers.push({
        LIFEBOAT_ROOT: root,
        LIFEBOAT_HOME: path.join(root, 'var', 'lifeboat'),
        LIFEBOAT_BACKUP_DIR: backupDir,
        LIFEBOAT_DATABASE_URL: `mysql://${target.user}@${target.host}:${target.port}/${target.database}`,
        LIFEBOAT_JOB_LOCK: 'mysql',
      });
    }
  });
  afterAll(async () => drop());

  it('two crons started at once take the scheduled backup once; a later one sees it ran', async () => {
    // Each server saved the same schedule (state is per server), due a moment from now: saved again
    // with a later time if saving took so long that the moment had passed (it would not be due today).
    let due = new Date();
    do {
      due = new Date(Math.ceil((Date.now() + 3000) / 1000) * 1000);
      const time = due.toISOString().slice(11, 19);
      const sets = await Promise.all(servers.map((env) => runCli(['schedule', 'set', '--type', 'db', '--frequency', 'daily', '--time', time, '--timezone', 'UTC'], env)));
      for (const set of sets) expect([set.code, set.stderr]).toEqual([0, '']);
    } while (Date.now() >= due.getTime());
    while (Date.now() < due.getTime() + 200) await new Promise((resolve) => setTimeout(resolve, 100));
    const before = await readdir(backupDir).catch(() => []);
    expect(before).toEqual([]);

    const [a, b]: CliResult[] = await Promise.all([runCli(['cron', '--json'], servers[0]), runCli(['cron', '--json'], servers[1])]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const outcomes = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
    const ran = outcomes.filter((o) => o.status === 'succeeded');
    const skipped = outcomes.filter((o) => o.status !== 'succeeded');
    expect(ran).toHaveLength(1);
    expect(['running-elsewhere', 'ran-elsewhere']).toContain(skipped[0].status);
    expect(skipped[0].message).toMatch(/another server/);
    expect(skipped[0].occurrence).toBe(ran[0].occurrence);

    const archives = (await readdir(backupDir)).filter((file) => SCHEDULED.test(file));
    expect(archives).toEqual([ran[0].file]);
    expect((await runCli(['verify', ran[0].file], servers[1])).code).toBe(0);

    // The third server comes late: the lock is free, but the backup for this occurrence exists.
    const late = await runCli(['cron'], servers[2]);
    expect(late.code).toBe(0);
    expect(late.stdout).toBe(`the backup due at ${ran[0].occurrence} has already run on another server: ${ran[0].file}\n`);
    expect((await readdir(backupDir)).filter((file) => SCHEDULED.test(file))).toEqual([ran[0].file]);
  });

  it('a backup from another server while one runs is refused, naming the database lock', async () => {
    const holder = await runCli(['backup', 'db', '--json'], servers[0]);
    expect(holder.code).toBe(0);
    const sql = 'SELECT GET_LOCK(?, 0)';
    await withConnection(target, async (conn) => {
      await conn.query(sql, [`lifeboat:${target.database}`]); // another server's running job
      const refused = await runCli(['backup', 'db'], servers[1]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(new RegExp(`^lifeboat: another job is running on this shop from another server: the database lock "lifeboat:${target.database}" is held by MySQL connection \\d+ .*\\n$`));
    });
    const free = await runCli(['backup', 'db'], servers[1]);
    expect(free.code).toBe(0);
  });

  it('LIFEBOAT_JOB_LOCK=mysql with an SQLite shop is a usage error saying what to do', async () => {
    const env = { ...servers[2], LIFEBOAT_DATABASE_URL: `sqlite://${path.join(servers[2].LIFEBOAT_ROOT, 'shop.db')}` };
    const result = await runCli(['backup', 'db'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('lifeboat: LIFEBOAT_JOB_LOCK=mysql needs a MySQL/MariaDB shop database (LIFEBOAT_DATABASE_URL=mysql://...); for an SQLite shop use LIFEBOAT_JOB_LOCK=file\n');
    const bad = await runCli(['backup', 'db'], { ...servers[2], LIFEBOAT_JOB_LOCK: 'redis' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^lifeboat: LIFEBOAT_JOB_LOCK must be "file" .* not "redis"\n$/);
  });
});
