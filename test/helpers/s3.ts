// A real S3 server for the tests: s3rver on 127.0.0.1 with a random port, its data in a temp folder.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { S3Store, type S3StoreOptions } from '../../src/stores/s3.js';

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface TestS3 {
  endpoint: string;
  bucket: string;
  store(prefix: string, options?: Partial<S3StoreOptions>): S3Store;
  /** The environment that points the command at `prefix` in the bucket, with the server's credentials. */
  storageEnv(prefix: string): Record<string, string>;
  stop(): Promise<void>;
}

export async function startS3(bucket = 'lifeboat-test'): Promise<TestS3> {
  const directory = await mkdtemp(path.join(tmpdir(), 'lifeboat-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const stores: S3Store[] = [];
  return {
    endpoint,
    bucket,
    store(prefix, options = {}) {
      const store = new S3Store({ bucket, prefix, endpoint, region: 'us-east-1', credentials: S3RVER_CREDENTIALS, maxAttempts: 2, ...options });
      stores.push(store);
      return store;
    },
    storageEnv(prefix) {
      return {
        LIFEBOAT_STORAGE_URL: `s3://${bucket}/${prefix}`,
        LIFEBOAT_S3_ENDPOINT: endpoint,
        AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      };
    },
    async stop() {
      for (const store of stores) store.close();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** A key file for encrypted copies in `folder` (owner-only, as Lifeboat requires), and its path. */
export async function writeKeyFile(folder: string): Promise<string> {
  const keyFile = path.join(folder, 'backup.key');
  await writeFile(keyFile, 'a passphrase long enough\n', { mode: 0o600 });
  return keyFile;
}
