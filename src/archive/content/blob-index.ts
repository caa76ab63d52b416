// The blobs a store holds and where each one is, in memory: each blob's id (32 bytes) and place in
// typed arrays, found through a Map from the id's first 31 bits: about 100 bytes a blob (a Map keyed by
// the hex ids, with an object or array element per field, took 240). Loaded from every index file of the
// store; a blob listed twice (a rerun prune, two backups that stored the same content) keeps its first
// place.
import { readdir, readFile } from 'node:fs/promises';
import { grown, type GrowableArray } from '../grown-array.js';
import { indexDirOf, isHexId, type BlobPlace, type IndexFile, type PackRecord } from './store-layout.js';

/** `array`, or a copy twice its length when it has no room for `needed` elements. */
const roomFor = <T extends GrowableArray>(array: T, needed: number): T => (needed <= array.length ? array : grown(array, Math.max(needed, array.length * 2)));

export class BlobIndex {
  /**
   * Slot of the last blob added whose id starts with the same 31 bits (the Map's keys stay small
   * integers, which it holds without a heap object each); `next` chains the slots that share a key.
   */
  private readonly heads = new Map<number, number>();
  private next = new Int32Array(1024);
  /** Each slot's id (32 bytes), pack, offset, stored length, plain size, and zstd or not. */
  private ids = new Uint8Array(1024 * 32);
  private packOf = new Uint32Array(1024);
  private offsets = new Float64Array(1024);
  private lengths = new Uint32Array(1024);
  private sizes = new Uint32Array(1024);
  private compressed = new Uint8Array(1024);
  private count = 0;
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
      const text = await readFile(`${indexDirOf(storeDir)}/${name}`, 'utf8');
      index.addFile(parseIndexFile(text, name));
      index.files.push(name);
    }
    return index;
  }

  get size(): number {
    return this.count;
  }

  /** The slot of blob `id`, or -1. */
  private slotOf(id: string): number {
    const bytes = Buffer.from(id, 'hex');
    for (let slot = this.heads.get(keyOf(id)) ?? -1; slot !== -1; slot = this.next[slot]) {
      if (Buffer.from(this.ids.buffer, slot * 32, 32).equals(bytes)) return slot;
    }
    return -1;
  }

  has(id: string): boolean {
    return this.slotOf(id) !== -1;
  }

  /** The pack and place of a blob, or undefined when the store does not hold it. */
  find(id: string): { packId: string; place: BlobPlace } | undefined {
    const slot = this.slotOf(id);
    if (slot === -1) return undefined;
    return {
      packId: this.packIds[this.packOf[slot]],
      place: { id, offset: this.offsets[slot], length: this.lengths[slot], size: this.sizes[slot], zstd: this.compressed[slot] === 1 },
    };
  }

  addFile(file: IndexFile): void {
    for (const pack of file.packs) this.addPack(pack);
  }

  addPack(pack: PackRecord): void {
    const packNo = this.packIds.push(pack.id) - 1;
    for (const blob of pack.blobs) {
      if (this.has(blob.id)) continue;
      const slot = this.count++;
      this.grow(this.count);
      Buffer.from(blob.id, 'hex').copy(Buffer.from(this.ids.buffer), slot * 32);
      const key = keyOf(blob.id);
      this.next[slot] = this.heads.get(key) ?? -1;
      this.heads.set(key, slot);
      this.packOf[slot] = packNo;
      this.offsets[slot] = blob.offset;
      this.lengths[slot] = blob.length;
      this.sizes[slot] = blob.size;
      this.compressed[slot] = blob.zstd ? 1 : 0;
    }
  }

  private grow(slots: number): void {
    this.next = roomFor(this.next, slots);
    this.ids = roomFor(this.ids, slots * 32);
    this.packOf = roomFor(this.packOf, slots);
    this.offsets = roomFor(this.offsets, slots);
    this.lengths = roomFor(this.lengths, slots);
    this.sizes = roomFor(this.sizes, slots);
    this.compressed = roomFor(this.compressed, slots);
  }
}

/** The first 31 bits of a hex id, as a small integer. */
const keyOf = (id: string) => parseInt(id.slice(0, 8), 16) >>> 1;

/** An index file's contents, checked: a malformed one is an error that names it. */
export function parseIndexFile(text: string, name: string): IndexFile {
  const bad = (why: string) => new Error(`index file ${name} of the incremental store is damaged (${why})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  const packs = (parsed as IndexFile | null)?.packs;
  if (!Array.isArray(packs)) throw bad('no "packs" list');
  for (const pack of packs) {
    if (!isHexId(pack?.id) || !Number.isSafeInteger(pack.size) || !Array.isArray(pack.blobs)) throw bad('a pack without id, size or blobs');
    for (const blob of pack.blobs as BlobPlace[]) {
      const numbers = [blob?.offset, blob?.length, blob?.size];
      if (!isHexId(blob?.id) || !numbers.every((n) => Number.isSafeInteger(n) && n >= 0) || typeof blob.zstd !== 'boolean') throw bad(`a malformed blob in pack ${pack.id}`);
      if (blob.offset + blob.length > pack.size) throw bad(`blob ${blob.id} reaches past the end of pack ${pack.id}`);
    }
  }
  return { packs };
}
