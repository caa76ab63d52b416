// The blobs a store holds and where each one is, in memory, in typed arrays only: each blob's id (32
// bytes), pack, offset, stored length, plain size and zstd flag, found through an open-addressing table
// of slot numbers keyed by the id's first bytes (ids are sha256 values, so those are evenly spread).
// 53 bytes a blob, plus 8 to 16 for the table, grown a block of 16,384 blobs at a time (a Map from the
// first 31 bits to a chain of slots took about 110 in all; a Map keyed by the hex ids, with an object or
// array element per field, took 240). Loaded from every index file of the store, a pack at a time;
// a blob listed twice (a rerun prune, two backups that stored the same content) keeps its first place.
// A backup also counts here the new blobs it has taken but not yet written into a sealed pack (pending:
// they have no pack yet), so that it holds no set of its own of them. Prune and verify mark blobs here
// (a byte a blob, of flag bits, made on the first mark) instead of holding a set of id strings (about
// 100 bytes each).
import { readdir } from 'node:fs/promises';
import { readIndexFile } from './index-file.js';
import { indexDirOf, type BlobPlace, type PackRecord } from './store-layout.js';

/**
 * Slots are kept in blocks of this many (as a power of two), each field a typed array of its own per
 * block: the index grows a block at a time, with at most one block's room to spare and nothing copied
 * (arrays grown by copying held up to half as much again, and old and new at once while copying).
 */
const BLOCK_BITS = 14;
const BLOCK = 1 << BLOCK_BITS;
const IN_BLOCK = BLOCK - 1;

/** The pack number of a blob taken by a backup whose pack is not sealed yet. */
const PENDING = 0xffffffff;
const EMPTY = -1;
/** What slotOf says of a string that is not a blob id (64 hex digits). */
const NOT_AN_ID = -2;

/** The first 4 bytes of an id (little-endian) at `at` of `bytes`: its place in the table. */
const leading = (bytes: Uint8Array, at: number) => (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;

export class BlobIndex {
  /** Open addressing: slot number + 1 of the blob whose id's first 4 bytes lead here (or after), 0 when free. */
  private table = new Int32Array(2048);
  /** Each slot's id (32 bytes), pack, offset, stored length, plain size, and zstd or not, by block. */
  private readonly ids: Uint8Array[] = [];
  private readonly packOf: Uint32Array[] = [];
  private readonly offsets: Float64Array[] = [];
  private readonly lengths: Uint32Array[] = [];
  private readonly sizes: Uint32Array[] = [];
  private readonly compressed: Uint8Array[] = [];
  /** Each slot's mark bits (mark()), by block; a block's array made when one of its blobs is first marked. */
  private readonly marks: (Uint8Array | undefined)[] = [];
  private count = 0;
  /** The id looked up, as bytes (reused: a lookup allocates nothing). */
  private readonly probe = Buffer.alloc(32);
  readonly packIds: string[] = [];
  /** The index files it was loaded from (names, without the folder). */
  readonly files: string[] = [];

  /** Every index file of the store at `storeDir` (an empty index when there is none yet). */
  static async load(storeDir: string): Promise<BlobIndex> {
    const index = new BlobIndex();
    const names = await readdir(indexDirOf(storeDir)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      for await (const pack of readIndexFile(`${indexDirOf(storeDir)}/${name}`, name)) index.addPack(pack);
      index.files.push(name);
    }
    return index;
  }

  /** Blobs held, the pending ones included. */
  get size(): number {
    return this.count;
  }

  /** The table position of `probe`'s id: where its slot is listed, or the free position where it would go. */
  private positionOf(): number {
    const mask = this.table.length - 1;
    const probe = this.probe;
    for (let at = leading(probe, 0) & mask; ; at = (at + 1) & mask) {
      const entry = this.table[at];
      if (entry === 0) return at;
      const slot = entry - 1;
      const ids = this.ids[slot >>> BLOCK_BITS];
      const base = (slot & IN_BLOCK) * 32;
      let same = true;
      for (let i = 0; i < 32; i++) {
        if (ids[base + i] !== probe[i]) {
          same = false;
          break;
        }
      }
      if (same) return at;
    }
  }

  /** The slot of blob `id`, or EMPTY; leaves `probe` holding the id and `lastPosition` its table position. */
  private slotOf(id: string): number {
    if (id.length !== 64 || this.probe.write(id, 'hex') !== 32) return NOT_AN_ID;
    this.lastPosition = this.positionOf();
    return this.table[this.lastPosition] - 1;
  }

  private lastPosition = 0;

  /** slotOf for an id to be added: one that is not an id is a programming error. */
  private takenSlot(id: string): number {
    const slot = this.slotOf(id);
    if (slot === NOT_AN_ID) throw new Error(`${JSON.stringify(id.slice(0, 80))} is not a blob id`);
    return slot;
  }

  /** Whether the store holds blob `id`, or a backup has taken it (pending). */
  has(id: string): boolean {
    return this.slotOf(id) >= 0;
  }

  /** The pack and place of a blob, or undefined when no sealed pack of the store holds it. */
  find(id: string): { packId: string; place: BlobPlace } | undefined {
    const slot = this.slotOf(id);
    if (slot < 0) return undefined;
    const block = slot >>> BLOCK_BITS;
    const at = slot & IN_BLOCK;
    const pack = this.packOf[block][at];
    if (pack === PENDING) return undefined;
    return {
      packId: this.packIds[pack],
      place: { id, offset: this.offsets[block][at], length: this.lengths[block][at], size: this.sizes[block][at], zstd: this.compressed[block][at] === 1 },
    };
  }

  /**
   * Sets mark bit `bit` (1, 2, 4...) of blob `id`: false when it was set already or the index does not
   * hold the blob (a prune's "used", a verify's "read").
   */
  mark(id: string, bit = 1): boolean {
    const slot = this.slotOf(id);
    if (slot < 0) return false;
    const block = slot >>> BLOCK_BITS;
    const marks = (this.marks[block] ??= new Uint8Array(BLOCK));
    const at = slot & IN_BLOCK;
    if ((marks[at] & bit) !== 0) return false;
    marks[at] |= bit;
    return true;
  }

  /** Whether mark bit `bit` of blob `id` is set (false for a blob the index does not hold). */
  isMarked(id: string, bit = 1): boolean {
    const slot = this.slotOf(id);
    return slot >= 0 && ((this.marks[slot >>> BLOCK_BITS]?.[slot & IN_BLOCK] ?? 0) & bit) !== 0;
  }

  /** Counts blob `id` as taken by a backup, its pack still to come (addPack places it); false when held already. */
  addPending(id: string): boolean {
    if (this.takenSlot(id) !== EMPTY) return false;
    const slot = this.newSlot();
    this.packOf[slot >>> BLOCK_BITS][slot & IN_BLOCK] = PENDING;
    return true;
  }

  /** The blobs of `pack`: new ones added, pending ones placed; one held already keeps its place. */
  addPack(pack: PackRecord): void {
    const packNo = this.packIds.push(pack.id) - 1;
    for (const blob of pack.blobs) {
      let slot = this.takenSlot(blob.id);
      if (slot !== EMPTY && this.packOf[slot >>> BLOCK_BITS][slot & IN_BLOCK] !== PENDING) continue;
      if (slot === EMPTY) slot = this.newSlot();
      const block = slot >>> BLOCK_BITS;
      const at = slot & IN_BLOCK;
      this.packOf[block][at] = packNo;
      this.offsets[block][at] = blob.offset;
      this.lengths[block][at] = blob.length;
      this.sizes[block][at] = blob.size;
      this.compressed[block][at] = blob.zstd ? 1 : 0;
    }
  }

  /** A slot for the id in `probe`, listed at `lastPosition` (from the slotOf that found it missing). */
  private newSlot(): number {
    const slot = this.count++;
    if ((slot & IN_BLOCK) === 0) this.addBlock();
    this.ids[slot >>> BLOCK_BITS].set(this.probe, (slot & IN_BLOCK) * 32);
    // The table is kept at most half full, so that a lookup probes few positions.
    if (this.count * 2 > this.table.length) this.rehash(this.table.length * 2);
    else this.table[this.lastPosition] = slot + 1;
    return slot;
  }

  /** A table of `length` positions listing every slot (the one just added included). */
  private rehash(length: number): void {
    this.table = new Int32Array(length);
    const mask = length - 1;
    for (let slot = 0; slot < this.count; slot++) {
      let at = leading(this.ids[slot >>> BLOCK_BITS], (slot & IN_BLOCK) * 32) & mask;
      while (this.table[at] !== 0) at = (at + 1) & mask;
      this.table[at] = slot + 1;
    }
  }

  private addBlock(): void {
    this.ids.push(new Uint8Array(BLOCK * 32));
    this.packOf.push(new Uint32Array(BLOCK));
    this.offsets.push(new Float64Array(BLOCK));
    this.lengths.push(new Uint32Array(BLOCK));
    this.sizes.push(new Uint32Array(BLOCK));
    this.compressed.push(new Uint8Array(BLOCK));
  }
}
