// A verify job (the page's Verify) only reads: on the real MariaDB, after a rollback with --maintenance
// was killed with SIGKILL half-way, a verify job runs and passes while the rollback's journal and its
// maintenance flag stay exactly as they were (the shop is not finished or undone by someone checking an
// archive); `lifeboat recover` then settles the rollback, the flag goes and the shop is as it was.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAtStep, runCli } from '../helpers/cli.js';
import { cliShop, type CliShop } from '../helpers/cli-shop.js';
import { fingerprint, withConnection } from '../helpers/mysql.js';
import { loadSettings } from '../../src/config/settings.js';
import { Repository } from '../../src/repository/repository.js';
import { verifyAsJob } from '../../src/core/verify/verify-job.js';

const SHOP = `
CREATE TABLE orders (id INT PRIMARY KEY, note VARCHAR(64)) ENGINE=InnoDB;
INSERT INTO orders SELECT seq, CONCAT('order ', seq) FROM seq_1_to_5000;
`;

describe('a verify job settles nothing', () => {
  let setup: CliShop;

  beforeAll(async () => {
    setup = await cliShop('verifyro', SHOP);
  });

  afterAll(async () => {
    await setup?.drop();
  });

  it('leaves an interrupted rollback\'s journal and maintenance flag to recover', async () => {
    const backup = await runCli(['backup', 'db', '--json'], setup.env);
    expect(backup.stderr).toBe('');
    const { id } = JSON.parse(backup.stdout) as { id: string };
    await withConnection(setup.shop, (conn) => conn.query("UPDATE orders SET note = 'after the backup' WHERE id <= 10"));
    const shopBefore = await fingerprint(setup.shop);
    const home = path.join(setup.root, 'var/lifeboat');
    const rollbackJournals = async () => (await readdir(home)).filter((name) => /^rollback-.*\.journal\.json$/.test(name));
    const flag = path.join(setup.root, 'var/.maintenance.flag');

    await killAtStep(['rollback', id, '--maintenance', '--yes'], setup.env, 'database-staged');
    const journals = await rollbackJournals();
    expect(journals).toHaveLength(1);
    expect(existsSync(flag)).toBe(true);

    const settings = loadSettings({ ...process.env, ...setup.env }, setup.root);
    const repository = Repository.open(settings);
    const record = await repository.find(id).finally(() => repository.close());
    const notices: string[] = [];
    const { report } = await verifyAsJob(settings, record, { trigger: 'test', onNotice: (line) => notices.push(line) });
    expect(report.ok).toBe(true);
    expect(notices.join('\n')).not.toMatch(/recovered|maintenance/);
    expect(await rollbackJournals()).toEqual(journals);
    expect(existsSync(flag)).toBe(true);

    const recover = await runCli(['recover'], setup.env);
    expect(recover.code).toBe(0);
    expect(recover.stdout).toMatch(/recovered the rollback to \d+_db\.sql\.gz .*: the shop is as it was before the rollback/);
    expect(await rollbackJournals()).toEqual([]);
    expect(existsSync(flag)).toBe(false);
    expect(await fingerprint(setup.shop)).toEqual(shopBefore);
  });
});
