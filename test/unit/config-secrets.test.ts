// A setting that holds a password is never repeated whole in an error: each malformed URL is reported
// with its password masked, and a password with an invalid percent-escape is a configuration error
// naming the setting and what to do.
import { describe, expect, it } from 'vitest';
import { loadSettings, requireDatabase } from '../../src/config/settings.js';
import { UsageError } from '../../src/shared/errors.js';

const PASSWORD = 'S3cretPW';

function errorOf(load: () => unknown): Error {
  try {
    load();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('URL settings with a password in errors', () => {
  const cases: [string, Record<string, string>, () => (env: Record<string, string>) => unknown][] = [
    ['an unparsable LIFEBOAT_DATABASE_URL', { LIFEBOAT_DATABASE_URL: `mysql://root:${PASSWORD}@127.0.0.1:99999/x` }, () => (env) => requireDatabase(loadSettings(env, '/srv/shop'))],
    ['a LIFEBOAT_DATABASE_URL naming no database', { LIFEBOAT_DATABASE_URL: `mysql://root:${PASSWORD}@127.0.0.1:3306/` }, () => (env) => requireDatabase(loadSettings(env, '/srv/shop'))],
    ['an unparsable LIFEBOAT_STATE_URL', { LIFEBOAT_STATE_URL: `mysql://lifeboat:${PASSWORD}@127.0.0.1:99999/lifeboat` }, () => (env) => loadSettings(env, '/srv/shop')],
    ['a LIFEBOAT_STORAGE_URL with credentials', { LIFEBOAT_STORAGE_URL: `s3://AKIAEXAMPLE:${PASSWORD}@my-backups/shop` }, () => (env) => loadSettings(env, '/srv/shop')],
    ['a LIFEBOAT_S3_ENDPOINT with credentials and a path', { LIFEBOAT_STORAGE_URL: 's3://my-backups', LIFEBOAT_S3_ENDPOINT: `http://minio:${PASSWORD}@127.0.0.1:9000/x` }, () => (env) => loadSettings(env, '/srv/shop')],
    ['a password with an unencoded "/"', { LIFEBOAT_DATABASE_URL: `mysql://root:${PASSWORD}/x@127.0.0.1:3306/shop` }, () => (env) => requireDatabase(loadSettings(env, '/srv/shop'))],
  ];
  for (const [what, env, load] of cases) {
    it(`reports ${what} without the password`, () => {
      const error = errorOf(() => load()(env));
      expect(error).toBeInstanceOf(UsageError);
      expect(error.message).toMatch(new RegExp(`^${Object.keys(env).at(-1)}`));
      expect(error.message).not.toContain(PASSWORD);
      expect(error.message).not.toContain('\n');
    });
  }

  it('shows the URL with the password masked, so the rest can be checked', () => {
    const error = errorOf(() => requireDatabase(loadSettings({ LIFEBOAT_DATABASE_URL: `mysql://root:${PASSWORD}@127.0.0.1:99999/x` }, '/srv/shop')));
    expect(error.message).toContain('"mysql://root:********@127.0.0.1:99999/x"');
  });
});

describe('an invalid percent-escape in a URL password', () => {
  it('is a configuration error naming LIFEBOAT_DATABASE_URL and saying to percent-encode the password', () => {
    const error = errorOf(() => requireDatabase(loadSettings({ LIFEBOAT_DATABASE_URL: 'mysql://root:pa%ZZss99@127.0.0.1:3306/shop' }, '/srv/shop')));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(/^LIFEBOAT_DATABASE_URL: the password holds a "%" that is not a percent-escape; percent-encode special characters in it \(% is %25, @ is %40, : is %3A, \/ is %2F\)$/);
    expect(error.message).not.toContain('pa%ZZss99');
  });

  it('names LIFEBOAT_STATE_URL for the state database', () => {
    const error = errorOf(() => loadSettings({ LIFEBOAT_STATE_URL: 'mysql://lifeboat:pa%ZZss99@127.0.0.1:3306/lifeboat' }, '/srv/shop'));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(/^LIFEBOAT_STATE_URL: the password holds a "%" that is not a percent-escape; percent-encode/);
    expect(error.message).not.toContain('pa%ZZss99');
  });

  it('names the SMTP URL of the notifications', () => {
    const error = errorOf(() => loadSettings({ LIFEBOAT_NOTIFY_SMTP_URL: 'smtp://lifeboat:pa%ZZss99@127.0.0.1:25', LIFEBOAT_NOTIFY_FROM: 'a@b.c', LIFEBOAT_NOTIFY_TO: 'd@e.f' }, '/srv/shop'));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(/^notify smtp\.url: the password holds a "%" that is not a percent-escape; percent-encode/);
    expect(error.message).not.toContain('pa%ZZss99');
  });
});
