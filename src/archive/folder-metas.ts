// The mode, owner and mtime of every folder an archive lists, kept until they are re-applied after
// extraction (and after the swap). A tree has a folder per ten to twenty files, so this is kept small:
// the numbers go in typed arrays rather than an object and a BigInt per folder, and the deepest-first
// order is a sort of indices rather than of a copy of every entry made at the end of an extraction,
// when the heap is fullest.

export interface FolderMeta {
  mode: number;
  uid: number;
  gid: number;
  mtimeNs: bigint;
}

/** Slashes in a relative path. */
export function depthOf(rel: string): number {
  let depth = 0;
  for (let at = rel.indexOf('/'); at >= 0; at = rel.indexOf('/', at + 1)) depth++;
  return depth;
}

function grown<T extends Uint32Array | Float64Array | BigInt64Array>(old: T, size: number): T {
  const fresh = new (old.constructor as new (n: number) => T)(size);
  fresh.set(old as never); // `never`: TypeScript cannot relate the element types of the union
  return fresh;
}

export class FolderMetas {
  private readonly index = new Map<string, number>();
  private rels: string[] = [];
  private modes = new Uint32Array(256);
  // uid and gid as doubles: tar allows ids past 32 bits (base-256, pax), and chown is left to refuse them.
  private uids = new Float64Array(256);
  private gids = new Float64Array(256);
  private mtimes = new BigInt64Array(256);
  /** mtimes beyond 64 bits (the year 2262), which a hostile or odd archive may hold, kept as they are. */
  private readonly wideMtimes = new Map<number, bigint>();

  get size(): number {
    return this.rels.length;
  }

  has(rel: string): boolean {
    return this.index.has(rel);
  }

  get(rel: string): FolderMeta | undefined {
    const at = this.index.get(rel);
    return at === undefined ? undefined : this.at(at);
  }

  set(rel: string, meta: FolderMeta): void {
    let at = this.index.get(rel);
    if (at === undefined) {
      at = this.rels.length;
      if (at === this.modes.length) this.grow();
      this.index.set(rel, at);
      this.rels.push(rel);
    }
    this.modes[at] = meta.mode;
    this.uids[at] = meta.uid;
    this.gids[at] = meta.gid;
    if (BigInt.asIntN(64, meta.mtimeNs) === meta.mtimeNs) {
      this.mtimes[at] = meta.mtimeNs;
      this.wideMtimes.delete(at);
    } else this.wideMtimes.set(at, meta.mtimeNs);
  }

  /** Every folder with its metadata, deepest first (a folder's own times are set after its contents'). */
  *deepestFirst(): Generator<[string, FolderMeta]> {
    const depths = new Uint32Array(this.rels.length);
    const order = new Uint32Array(this.rels.length);
    for (let i = 0; i < order.length; i++) {
      depths[i] = depthOf(this.rels[i]);
      order[i] = i;
    }
    order.sort((a, b) => depths[b] - depths[a]);
    for (const at of order) yield [this.rels[at], this.at(at)];
  }

  private at(at: number): FolderMeta {
    return { mode: this.modes[at], uid: this.uids[at], gid: this.gids[at], mtimeNs: this.wideMtimes.get(at) ?? this.mtimes[at] };
  }

  private grow(): void {
    const size = this.modes.length * 2;
    this.modes = grown(this.modes, size);
    this.uids = grown(this.uids, size);
    this.gids = grown(this.gids, size);
    this.mtimes = grown(this.mtimes, size);
  }
}
