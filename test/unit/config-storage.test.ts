import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { UsageError } from '../../src/shared/errors.js';

describe('off-site storage settings', () => {
  it('parses s3://bucket/prefix with endpoint and region, defaulting to us-east-1', () => {
    const s = loadSettings({ LIFEBOAT_STORAGE_URL: 's3://my-backups/shops/one/', LIFEBOAT_S3_ENDPOINT: 'http://127.0.0.1:9000/', LIFEBOAT_ENCRYPTION_KEY_FILE: 'backup.key' }, '/srv');
    expect(s.storage).toEqual({ url: 's3://my-backups/shops/one/', bucket: 'my-backups', prefix: 'shops/one', endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', conditionalWrites: 'auto' });
    expect(s.encryptionKeyFile).toBe('/srv/backup.key');
    expect(loadSettings({ LIFEBOAT_STORAGE_URL: 's3://b-1', LIFEBOAT_S3_REGION: 'eu-west-1' }, '/srv').storage).toMatchObject({ bucket: 'b-1', prefix: '', region: 'eu-west-1' });
    expect(loadSettings({}, '/srv').storage).toBeUndefined();
  });

  it('refuses malformed settings with a line naming the setting', () => {
    for (const env of [
      { LIFEBOAT_STORAGE_URL: 'https://bucket/x' },
      { LIFEBOAT_STORAGE_URL: 's3://Bad_Bucket' },
      { LIFEBOAT_STORAGE_URL: 's3://bucket/../x' },
      { LIFEBOAT_STORAGE_URL: 's3://bucket', LIFEBOAT_S3_ENDPOINT: '127.0.0.1:9000' },
      { LIFEBOAT_S3_ENDPOINT: 'http://127.0.0.1:9000' },
    ]) {
      expect(() => loadSettings(env, '/srv')).toThrow(UsageError);
      expect(() => loadSettings(env, '/srv')).toThrow(/LIFEBOAT_(STORAGE_URL|S3_ENDPOINT)/);
    }
  });

  it('reads the bucket limits: KiB/s for bytes, as restic, and requests per second', () => {
    const env = { LIFEBOAT_STORAGE_URL: 's3://b-1', LIFEBOAT_S3_LIMIT_UPLOAD: '2048', LIFEBOAT_S3_LIMIT_DOWNLOAD: '512.5', LIFEBOAT_S3_LIMIT_REQUESTS: '20' };
    expect(loadSettings(env, '/srv').storage?.limits).toEqual({ uploadBytesPerSecond: 2048 * 1024, downloadBytesPerSecond: 512.5 * 1024, requestsPerSecond: 20 });
    expect(loadSettings({ LIFEBOAT_STORAGE_URL: 's3://b-1' }, '/srv').storage?.limits).toBeUndefined();
    expect(() => loadSettings({ LIFEBOAT_S3_LIMIT_UPLOAD: '100' }, '/srv')).toThrow(/^LIFEBOAT_S3_LIMIT_\* is set but LIFEBOAT_STORAGE_URL is not/);
    for (const [key, value] of [['LIFEBOAT_S3_LIMIT_UPLOAD', '0'], ['LIFEBOAT_S3_LIMIT_DOWNLOAD', 'fast'], ['LIFEBOAT_S3_LIMIT_REQUESTS', '-3']]) {
      expect(() => loadSettings({ LIFEBOAT_STORAGE_URL: 's3://b-1', [key]: value }, '/srv')).toThrow(new RegExp(`^${key} must be a number above 0 .*got "${value}"$`));
    }
  });
});
