// The mode, owner and mtime of every folder an archive lists, kept until they are applied during or
// after extraction (and re-applied after the swap). A tree has a folder per ten to twenty files, so this is kept small:
// the numbers go in typed arrays rather than an object and a BigInt per folder, and the deepest-first
// order is a sort of indices rather than of a copy of every entry made at the end of an extraction,
// when the heap is fullest.

import { chmodSync, chownSync, utimesSync } from 'node:fs';

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

/** Gives a folder its owner (when `chown`), mode (when `chmod`) and mtime (in seconds, as utimes takes it). */
export function setFolderMetaSync(abs: string, mode: number, uid: number, gid: number, mtimeSeconds: number, chown: boolean, chmod = true): void {
  if (chown) chownSync(abs, uid, gid);
  if (chmod) chmodSync(abs, mode);
  utimesSync(abs, Date.now() / 1000, mtimeSeconds);
}

function grown<T extends Uint8Array | Uint32Array | Float64Array | BigInt64Array>(old: T, size: number): T {
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
  /** 1 while a folder's metadata is still to be applied (set, or came back to after it was applied). */
  private pending = new Uint8Array(256);
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
    this.pending[at] = 1;
    this.modes[at] = meta.mode;
    this.uids[at] = meta.uid;
    this.gids[at] = meta.gid;
    if (BigInt.asIntN(64, meta.mtimeNs) === meta.mtimeNs) {
      this.mtimes[at] = meta.mtimeNs;
      this.wideMtimes.delete(at);
    } else this.wideMtimes.set(at, meta.mtimeNs);
  }

  /** The folder's metadata was applied (it stays listed, for re-applying after the swap). */
  applied(rel: string): void {
    const at = this.index.get(rel);
    if (at !== undefined) this.pending[at] = 0;
  }

  /** Something was added to the folder after its metadata was applied: it is to be applied again. */
  reopen(rel: string): void {
    const at = this.index.get(rel);
    if (at !== undefined) this.pending[at] = 1;
  }

  /** The folders whose metadata is still to be applied, deepest first (a folder's own times are set after its contents'). */
  *pendingDeepestFirst(): Generator<[string, FolderMeta]> {
    let count = 0;
    for (let i = 0; i < this.rels.length; i++) count += this.pending[i];
    const order = new Uint32Array(count);
    const depths = new Uint32Array(this.rels.length);
    for (let i = 0, n = 0; i < this.rels.length; i++) {
      if (!this.pending[i]) continue;
      order[n++] = i;
      depths[i] = depthOf(this.rels[i]);
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
    this.pending = grown(this.pending, size);
  }
}

/** Whether `rel` is below `folder` ('' is the root, above everything). */
function isBelow(rel: string, folder: string): boolean {
  return folder === '' || (rel.length > folder.length && rel.charCodeAt(folder.length) === 0x2f && rel.startsWith(folder));
}

/**
 * The folders an extraction is inside (each an ancestor of the member at hand). Tar lists a folder's
 * contents right after it, so a folder the extraction leaves is usually finished (GNU tar sets a
 * folder's times at that point too).
 */
export class OpenFolders {
  private readonly stack: string[] = [];

  /** The innermost open folder that `rel` is not below, which is closed; undefined when there is none. */
  leave(rel: string): string | undefined {
    const innermost = this.stack[this.stack.length - 1];
    return innermost !== undefined && !isBelow(rel, innermost) ? this.stack.pop() : undefined;
  }

  enter(rel: string): void {
    this.stack.push(rel);
  }

  /**
   * Calls `each` with the folders between the innermost open one and `rel`, deepest first: none in the
   * usual order, where a member comes right after its folder (so, per member, nothing is allocated);
   * otherwise folders the archive comes back to, or never listed.
   */
  between(rel: string, each: (folder: string) => void): void {
    const innermost = this.stack[this.stack.length - 1] ?? '';
    for (let slash = rel.lastIndexOf('/'); slash > innermost.length; slash = rel.lastIndexOf('/', slash - 1)) each(rel.slice(0, slash));
  }
}
