// The base of the wrappers around an ObjectStore (retry.ts, rate-limit.ts, listing-cache.ts): every
// call goes to `inner` through `request`, which a wrapper overrides to act on every request at once;
// it overrides a method where it does more (a read that resumes, a listing it keeps).
import type { Readable } from 'node:stream';
import type { ByteRange, ListOptions, ObjectStore, PutOptions, StoredObject } from './store.js';

export abstract class StoreDecorator implements ObjectStore {
  constructor(readonly inner: ObjectStore) {}

  get location(): string {
    return this.inner.location;
  }

  /** Runs one request of the inner store. */
  protected request<T>(run: () => Promise<T>): Promise<T> {
    return run();
  }

  put(key: string, source: AsyncIterable<Buffer> | Readable, options?: PutOptions): Promise<{ size: number }> {
    return this.request(() => this.inner.put(key, source, options));
  }

  get(key: string, range?: ByteRange): Promise<Readable> {
    return this.request(() => this.inner.get(key, range));
  }

  stat(key: string): Promise<StoredObject | undefined> {
    return this.request(() => this.inner.stat(key));
  }

  list(prefix: string, options?: ListOptions): Promise<StoredObject[]> {
    return this.request(() => this.inner.list(prefix, options));
  }

  remove(key: string): Promise<void> {
    return this.request(() => this.inner.remove(key));
  }
}
