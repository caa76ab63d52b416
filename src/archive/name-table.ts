// The names an archive has used so far, compactly: one entry per member (and per folder only implied
// by a member's path), stored as (parent entry, name) rather than as a full path, in typed arrays and
// one byte arena instead of a string and an object per member. A tree of a million files costs tens of
// MiB here, where a Map of full paths cost several times that (see tar-safety.ts).
// Lookups go through an open-addressing hash table of (parent, folded name). The hash only picks where
// to look: an entry matches when its parent and folded name bytes are equal, compared in full, so two
// names whose hashes collide are still told apart exactly.
import { randomInt } from 'node:crypto';
import { grown } from './grown-array.js';

export const IMPLICIT = 0;
export const DIR = 1;
export const FILE = 2;
export const SYMLINK = 3;
export type EntryKind = typeof IMPLICIT | typeof DIR | typeof FILE | typeof SYMLINK;

/** The root folder's entry: every top-level name has it as parent; it is never looked up itself. */
export const ROOT = 0;

/** Hashes a (parent, folded name bytes) pair; injectable so that tests can force collisions. */
export type NameHash = (parent: number, bytes: Uint8Array, start: number, end: number) => number;

/**
 * FNV-1a over the parent and the bytes, then murmur3's finaliser (the table's size is a power of two).
 * Seeded at random per table, as V8 seeds its own string hashes: an archive made to put thousands of
 * names in one chain would slow the check down, never make it wrong.
 */
export function seededHash(seed = randomInt(2 ** 32)): NameHash {
  return (parent, bytes, start, end) => {
    let h = Math.imul((2166136261 ^ seed ^ parent) | 0, 16777619);
    for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], 16777619);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  };
}

/** The most bytes a string of `units` UTF-16 code units can take in UTF-8. */
const utf8Max = (units: number) => units * 3;

export class NameTable {
  // Per entry (index = entry id; 0 is the root, which holds nothing).
  private parents = new Uint32Array(1024);
  private hashes = new Uint32Array(1024);
  private kinds = new Uint8Array(1024);
  /** Where the entry's bytes start in the arena: its folded name, then its spelling if that differs. */
  private starts = new Uint32Array(1024);
  private keyLengths = new Uint16Array(1024);
  /** 0 when the name is spelled as it folds (always, without folding). */
  private spellingLengths = new Uint16Array(1024);
  private count = 1;
  /** Open addressing, linear probing; 0 is an empty slot (the root is never stored). */
  private slots = new Uint32Array(2048);
  private arena = Buffer.allocUnsafe(1 << 16);
  private used = 0;
  // The name last looked up, staged (encoded) at the arena's end so that adding it costs no second copy.
  private stagedParent = -1;
  private stagedName = '';
  private stagedKey = 0;
  private stagedSpelling = 0;
  private stagedHash = 0;

  /**
   * @param fold how the filesystem folds a name (undefined: byte for byte)
   * @param hash tests pass a weak hash to check that colliding names stay apart
   */
  constructor(
    private readonly fold?: (name: string) => string,
    private readonly hash: NameHash = seededHash(),
  ) {}

  get size(): number {
    return this.count - 1;
  }

  /** The entry named `name` in the folder entry `parent` (compared folded), or 0 when there is none. */
  find(parent: number, name: string): number {
    this.stage(parent, name);
    const { slots, hashes, parents, keyLengths, starts, arena, used } = this;
    const mask = slots.length - 1;
    const h = this.stagedHash;
    const length = this.stagedKey;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const id = slots[slot];
      if (id === 0) return 0;
      if (hashes[id] === h && parents[id] === parent && keyLengths[id] === length && sameBytes(arena, used, starts[id], length)) return id;
    }
  }

  /** Adds `name` in `parent`, which find() has just reported absent. Returns the new entry. */
  add(parent: number, name: string, kind: EntryKind): number {
    if (this.stagedParent !== parent || this.stagedName !== name) this.stage(parent, name);
    if (this.count === this.parents.length) this.growEntries();
    if ((this.count + 1) * 4 > this.slots.length * 3) this.growSlots();
    const id = this.count++;
    this.parents[id] = parent;
    this.hashes[id] = this.stagedHash;
    this.kinds[id] = kind;
    this.starts[id] = this.used;
    this.keyLengths[id] = this.stagedKey;
    this.spellingLengths[id] = this.stagedSpelling;
    this.used += this.stagedKey + this.stagedSpelling;
    this.stagedParent = -1; // the staged bytes are now the entry's own
    this.place(id);
    return id;
  }

  kindOf(id: number): EntryKind {
    return this.kinds[id] as EntryKind;
  }

  setKind(id: number, kind: EntryKind): void {
    this.kinds[id] = kind;
  }

  /** Whether entry `id` is spelled exactly as the name last passed to find() (which matched it folded). */
  sameSpelling(id: number): boolean {
    const at = this.starts[id];
    const key = this.keyLengths[id];
    const spelling = this.spellingLengths[id];
    if (spelling !== this.stagedSpelling) return false;
    const staged = this.used + (spelling ? this.stagedKey : 0);
    return sameBytes(this.arena, staged, spelling ? at + key : at, spelling || key);
  }

  /** The full path of entry `id`, as spelled in the archive. */
  pathOf(id: number): string {
    const names: string[] = [];
    for (let at = id; at !== ROOT; at = this.parents[at]) {
      const start = this.starts[at] + (this.spellingLengths[at] ? this.keyLengths[at] : 0);
      names.push(this.arena.toString('utf8', start, start + (this.spellingLengths[at] || this.keyLengths[at])));
    }
    return names.reverse().join('/');
  }

  /** Encodes the folded name (and its spelling, if different) just past the arena's used bytes. */
  private stage(parent: number, name: string): void {
    const key = this.fold ? this.fold(name) : name;
    const room = utf8Max(key.length) + (key === name ? 0 : utf8Max(name.length));
    if (this.used + room > this.arena.length) this.growArena(this.used + room);
    this.stagedKey = this.arena.write(key, this.used, 'utf8');
    this.stagedSpelling = key === name ? 0 : this.arena.write(name, this.used + this.stagedKey, 'utf8');
    this.stagedHash = this.hash(parent, this.arena, this.used, this.used + this.stagedKey);
    this.stagedParent = parent;
    this.stagedName = name;
  }

  private place(id: number): void {
    const mask = this.slots.length - 1;
    let slot = this.hashes[id] & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = id;
  }

  // Arrays grow by half (not double) to keep the slack small; the slot table doubles to stay a power of two.
  private growEntries(): void {
    const size = Math.ceil(this.parents.length * 1.5);
    this.parents = grown(this.parents, size);
    this.hashes = grown(this.hashes, size);
    this.kinds = grown(this.kinds, size);
    this.starts = grown(this.starts, size);
    this.keyLengths = grown(this.keyLengths, size);
    this.spellingLengths = grown(this.spellingLengths, size);
  }

  private growSlots(): void {
    this.slots = new Uint32Array(this.slots.length * 2);
    for (let id = 1; id < this.count; id++) this.place(id);
  }

  private growArena(needed: number): void {
    // Offsets are 32-bit: 4 GiB of names is some hundred million files, far past any shop.
    const size = Math.min(Math.max(needed, Math.ceil(this.arena.length * 1.5)), 2 ** 32 - 1);
    if (size < needed) throw new RangeError('too many member names to check in one archive');
    const fresh = Buffer.allocUnsafe(size);
    this.arena.copy(fresh, 0, 0, this.used);
    this.arena = fresh;
    this.stagedParent = -1; // staged bytes were not copied
  }
}

/**
 * Whether arena[a, a + length) and arena[b, b + length) hold the same bytes. Names are short: a loop here
 * is cheaper than Buffer#compare's call with ranges, which also left garbage for every member checked.
 */
function sameBytes(arena: Buffer, a: number, b: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (arena[a + i] !== arena[b + i]) return false;
  return true;
}
