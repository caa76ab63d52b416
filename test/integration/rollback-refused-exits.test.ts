// A rollback refused before it reads its archive ends its command. The archive's reading starts ahead of
// the restore; when the privilege check refused the restore (the first thing a shop's user without the
// helper-schema GRANT meets), an archive of a few megabytes used to fill the reader's stream and keep
// its thread, and with it `lifeboat rollback`, alive for ever after the refusal was printed.
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MysqlTarget } from '../../src/engines/target.js';
import { runCli } from '../helpers/cli.js';
import { createTestSchema, databaseUrl, fingerprint, withConnection } from '../helpers/mysql.js';

describe('a rollback refused before it reads', () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let limited: MysqlTarget;
  let env: Record<string, string>;
  const user = `lbr_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    schema = await createTestSchema('refused');
    const { database } = schema.target;
    const password = randomBytes(12).toString('base64url');
    await withConnection(schema.target, (conn) =>
      conn.query(
        // About 6 MiB of SQL that compresses poorly: more than the reader's buffers hold.
        `CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(200));
         INSERT INTO t SELECT seq, CONCAT(MD5(RAND()), MD5(RAND()), MD5(RAND())) FROM seq_1_to_60000;
         CREATE USER '${user}'@'%' IDENTIFIED BY '${password}';
         GRANT ALL PRIVILEGES ON \`${database}\`.* TO '${user}'@'%'`,
      ),
    );
    limited = { ...schema.target, user, password };
    env = { LIFEBOAT_ROOT: await mkdtemp(path.join(tmpdir(), 'lifeboat-refused-')), LIFEBOAT_DATABASE_URL: databaseUrl(limited) };
  });

  afterAll(async () => {
    await withConnection(schema.target, (conn) => conn.query(`DROP USER IF EXISTS '${user}'@'%'`)).catch(() => undefined);
    await schema?.drop();
  });

  it('prints the GRANT it needs, exits 1 and leaves the database as it was', async () => {
    const backup = await runCli(['backup', 'db', '--json'], env);
    expect(backup.code, backup.stderr).toBe(0);
    const { id } = JSON.parse(backup.stdout) as { id: string };
    const before = await fingerprint(schema.target);
    const refused = await runCli(['rollback', id, '--yes'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toMatch(/^lifeboat: cannot restore database `[^`]+`: nothing was changed, because user \S+ lacks .* grant them with: GRANT ALL PRIVILEGES ON .*$/);
    expect(await fingerprint(schema.target)).toEqual(before);
    // The job it started is over, not left running: the next one may start.
    const jobs = JSON.parse((await runCli(['jobs', '--limit', '1', '--json'], env)).stdout) as { kind: string; state: string }[];
    expect(jobs[0]).toMatchObject({ kind: 'rollback', state: 'failed' });
  });
});
