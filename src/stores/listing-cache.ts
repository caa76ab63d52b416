// Listings cached around any ObjectStore: a command that resolves several ids, or plans and then applies
// a prune, lists the backup folder and the bucket once instead of once per step (a LIST of a large
// bucket is slow and billed). Whatever is written or removed through this store drops every cached
// listing, when it starts and when it ends; a write made around it (an archive renamed into the backup
// folder) is announced with `forget()`. Writes by other processes are not seen until a listing is
// older than `maxAgeMs` or forgotten: hold one cache for one command or one request, not for a
// server's life. Concurrent listings of the same prefix share one request.
import type { Readable } from 'node:stream';
import { StoreDecorator } from './decorator.js';
import type { ListOptions, ObjectStore, PutOptions, StoredObject } from './store.js';

interface CachedListing {
  at: number;
  objects: Promise<StoredObject[]>;
}

export class ListingCache extends StoreDecorator {
  private readonly listings = new Map<string, CachedListing>();

  constructor(
    inner: ObjectStore,
    private readonly options: { maxAgeMs?: number; now?: () => number } = {},
  ) {
    super(inner);
  }

  private now(): number {
    return (this.options.now ?? performance.now.bind(performance))();
  }

  /** Drops every cached listing: the next list asks the store. */
  forget(): void {
    this.listings.clear();
  }

  override async list(prefix: string, options: ListOptions = {}): Promise<StoredObject[]> {
    const id = `${options.shallow ? 'shallow' : 'deep'}:${prefix}`;
    const cached = this.listings.get(id);
    if (cached && this.now() - cached.at <= (this.options.maxAgeMs ?? Infinity)) return copies(await cached.objects);
    const entry: CachedListing = { at: this.now(), objects: this.inner.list(prefix, options) };
    this.listings.set(id, entry);
    try {
      return copies(await entry.objects);
    } catch (error) {
      // A failed listing is not remembered (unless a write dropped it meanwhile, then it is gone anyway).
      if (this.listings.get(id) === entry) this.listings.delete(id);
      throw error;
    }
  }

  private async writing<T>(write: () => Promise<T>): Promise<T> {
    this.forget();
    try {
      return await write();
    } finally {
      this.forget();
    }
  }

  override put(key: string, source: AsyncIterable<Buffer> | Readable, options?: PutOptions): Promise<{ size: number }> {
    return this.writing(() => this.inner.put(key, source, options));
  }

  override remove(key: string): Promise<void> {
    return this.writing(() => this.inner.remove(key));
  }
}

/** The callers' own copies: changing a returned list or object never changes the cache. */
function copies(objects: StoredObject[]): StoredObject[] {
  return objects.map((object) => ({ ...object }));
}
