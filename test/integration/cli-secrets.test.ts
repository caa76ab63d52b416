// Passwords in URL settings, through the real command: a malformed setting is a configuration error
// (exit 2) naming it, with the password masked; a password with an invalid percent-escape says to
// percent-encode it instead of "URI malformed".
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const PASSWORD = 'S3cretPW';

describe('URL settings with a password, from the command line', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'lifeboat-cli-secrets-'));
  });

  const refusals: [string[], Record<string, string>, RegExp][] = [
    [['backup', 'db'], { LIFEBOAT_DATABASE_URL: `mysql://root:${PASSWORD}@127.0.0.1:99999/x` }, /^lifeboat: LIFEBOAT_DATABASE_URL: cannot parse database URL "mysql:\/\/root:\*{8}@127\.0\.0\.1:99999\/x"/],
    [['jobs'], { LIFEBOAT_STATE_URL: `mysql://root:${PASSWORD}@127.0.0.1:99999/x` }, /^lifeboat: LIFEBOAT_STATE_URL must be a MySQL\/MariaDB URL .*; got "mysql:\/\/root:\*{8}@127\.0\.0\.1:99999\/x"/],
    [['list'], { LIFEBOAT_STORAGE_URL: `s3://AKIAEXAMPLE:${PASSWORD}@my-backups` }, /^lifeboat: LIFEBOAT_STORAGE_URL must be s3:\/\/BUCKET/],
    [['list'], { LIFEBOAT_STORAGE_URL: 's3://my-backups', LIFEBOAT_S3_ENDPOINT: `http://minio:${PASSWORD}@127.0.0.1:9000/x` }, /^lifeboat: LIFEBOAT_S3_ENDPOINT must be/],
  ];
  for (const [args, env, message] of refusals) {
    it(`refuses ${Object.keys(env).at(-1)} with exit 2 and no password`, async () => {
      const result = await runCli(args, { LIFEBOAT_ROOT: root, ...env });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr + result.stdout).not.toContain(PASSWORD);
    });
  }

  it('says to percent-encode a password with an invalid escape, exit 2, without printing it', async () => {
    const database = await runCli(['backup', 'db'], { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: 'mysql://root:pa%ZZss99@127.0.0.1:3306/shop' });
    expect(database.code).toBe(2);
    expect(database.stderr).toBe('lifeboat: LIFEBOAT_DATABASE_URL: the password holds a "%" that is not a percent-escape; percent-encode special characters in it (% is %25, @ is %40, : is %3A, / is %2F)\n');
    const state = await runCli(['jobs'], { LIFEBOAT_ROOT: root, LIFEBOAT_STATE_URL: 'mysql://root:pa%ZZss99@127.0.0.1:3306/lifeboat' });
    expect(state.code).toBe(2);
    expect(state.stderr).toMatch(/^lifeboat: LIFEBOAT_STATE_URL: the password holds a "%" that is not a percent-escape; percent-encode/);
    expect(database.stderr + state.stderr).not.toContain('pa%ZZss99');
  });
});
