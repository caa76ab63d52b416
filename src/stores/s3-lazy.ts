// The S3 store with its SDK loaded on first use. Importing the AWS SDK costs about 20 MiB of memory;
// imported up front, every command paid it (a backup's and a rollback's peak RSS included), although
// only those that reach an off-site store use it.
import type { Readable } from 'node:stream';
import type { S3Store, S3StoreOptions } from './s3.js';
import type { ByteRange, ListOptions, ObjectStore, PutOptions, StoredObject } from './store.js';

/** `s3://bucket/prefix`, as stores are shown to the user. */
export function s3Location(options: Pick<S3StoreOptions, 'bucket' | 'prefix'>): string {
  const prefix = options.prefix.replace(/^\/+|\/+$/g, '');
  return `s3://${options.bucket}${prefix ? `/${prefix}` : ''}`;
}

export class LazyS3Store implements ObjectStore {
  private store: Promise<S3Store> | undefined;
  readonly location: string;

  constructor(private readonly options: S3StoreOptions) {
    this.location = s3Location(options);
  }

  private open(): Promise<S3Store> {
    this.store ??= import('./s3.js').then(({ S3Store }) => new S3Store(this.options));
    return this.store;
  }

  async put(key: string, source: AsyncIterable<Buffer> | Readable, options?: PutOptions): Promise<{ size: number }> {
    return (await this.open()).put(key, source, options);
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    return (await this.open()).get(key, range);
  }

  async stat(key: string): Promise<StoredObject | undefined> {
    return (await this.open()).stat(key);
  }

  async list(prefix: string, options?: ListOptions): Promise<StoredObject[]> {
    return (await this.open()).list(prefix, options);
  }

  async remove(key: string): Promise<void> {
    return (await this.open()).remove(key);
  }

  /** Closes the client's connections, if it was ever opened. */
  close(): void {
    void this.store?.then(
      (store) => store.close(),
      () => undefined,
    );
  }
}
