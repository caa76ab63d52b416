// The blobs a store holds and where each one is, in memory: one Map entry per blob (its id, as hex) and
// its place in a few parallel arrays, about 150 bytes a blob. Loaded from every index file of the store;
// a blob listed twice (a rerun prune, two backups that stored the same content) keeps its first place.
import { readdir, readFile } from 'node:fs/promises';
import { indexDirOf, isHexId, type BlobPlace, type IndexFile, type PackRecord } from './store-layout.js';

export class BlobIndex {
  private readonly slots = new Map<string, number>();
  private readonly packOf: number[] = [];
  private readonly offsets: number[] = [];
  private readonly lengths: number[] = [];
  private readonly sizes: number[] = [];
  private readonly compressed: boolean[] = [];
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
    return this.slots.size;
  }

  has(id: string): boolean {
    return this.slots.has(id);
  }

  /** The pack and place of a blob, or undefined when the store does not hold it. */
  find(id: string): { packId: string; place: BlobPlace } | undefined {
    const slot = this.slots.get(id);
    if (slot === undefined) return undefined;
    return {
      packId: this.packIds[this.packOf[slot]],
      place: { id, offset: this.offsets[slot], length: this.lengths[slot], size: this.sizes[slot], zstd: this.compressed[slot] },
    };
  }

  addFile(file: IndexFile): void {
    for (const pack of file.packs) this.addPack(pack);
  }

  addPack(pack: PackRecord): void {
    const packNo = this.packIds.push(pack.id) - 1;
    for (const blob of pack.blobs) {
      if (this.slots.has(blob.id)) continue;
      this.slots.set(blob.id, this.offsets.length);
      this.packOf.push(packNo);
      this.offsets.push(blob.offset);
      this.lengths.push(blob.length);
      this.sizes.push(blob.size);
      this.compressed.push(blob.zstd);
    }
  }
}

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
