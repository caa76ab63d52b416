// The previous snapshot's listing, read alongside the walk: both are in walk order, so one pass over
// each finds every path's earlier entry without holding the old listing in memory.
import type { ListingEntry } from './listing.js';

/**
 * Walk order: a folder before its contents, names within a folder in code-unit order (as the walk sorts
 * them). Comparing two paths segment by segment gives exactly that: at the first difference, the path
 * whose segment ends there ('/') comes first.
 */
export function compareWalkOrder(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x === 0x2f) return -1;
    if (y === 0x2f) return 1;
    return x - y;
  }
  return a.length - b.length;
}

export class PreviousListing {
  private head: ListingEntry | undefined;
  private done = false;
  /** Why the listing stopped being read (a blob of it is missing or damaged): the rest of the files are read. */
  problem: string | undefined;
  private readonly iterator: AsyncIterator<ListingEntry>;

  /** `entries` in walk order; entries whose path `skip` names (the previous backup's dump) are passed over. */
  constructor(
    entries: AsyncIterable<ListingEntry>,
    private readonly skip: (path: string) => boolean = () => false,
  ) {
    this.iterator = entries[Symbol.asyncIterator]();
  }

  /** The previous entry of `path`, if any; paths must be asked for in walk order. */
  async find(path: string): Promise<ListingEntry | undefined> {
    for (;;) {
      if (this.head === undefined) {
        if (this.done) return undefined;
        let next: IteratorResult<ListingEntry>;
        try {
          next = await this.iterator.next();
        } catch (error) {
          this.problem = (error as Error).message;
          this.done = true;
          return undefined;
        }
        if (next.done) {
          this.done = true;
          return undefined;
        }
        if (this.skip(next.value.path)) continue;
        this.head = next.value;
      }
      const order = compareWalkOrder(this.head.path, path);
      if (order > 0) return undefined;
      const head = this.head;
      this.head = undefined;
      if (order === 0) return head;
    }
  }

  async close(): Promise<void> {
    await this.iterator.return?.().catch(() => undefined);
  }
}
