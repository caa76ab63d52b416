// Adding blobs to a store: each is hashed, looked up in the store's index (which counts the blobs this
// writer has already taken as pending), and only when new compressed and appended to a pack. Many blobs are in
// flight at once, so the thread pool compresses while the caller reads on; `reserve` bounds
// the plain bytes held in flight. `commit` writes the index file of the packs this writer filled: until
// then nothing refers to them. It is written a pack at a time as each pack is sealed (into a partial
// file, put in place by `commit`), so that a backup holds no list of the blobs it added.
import { mkdir, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../atomic-file.js';
import { BlobIndex } from './blob-index.js';
import { BlobCompressor, blobId } from './blob-codec.js';
import { IndexFileWriter } from './index-file.js';
import { PackWriter } from './pack-writer.js';
import { STORE_FORMAT, STORE_VERSION } from './store-layout.js';

/** Plain bytes that may be in flight (read, not yet in a pack). */
const IN_FLIGHT_BYTES = 32 << 20;

export interface StoreTotals {
  /** Blobs this writer added (not found in the store). */
  blobs: number;
  /** Stored bytes this writer added to the store: packs, tables and index. */
  bytes: number;
  packs: number;
}

/**
 * Makes the store's folder and config file (unless `create` is false: then a missing store is an error),
 * or checks the ones there; the store's index.
 */
export async function openStore(storeDir: string, options: { create?: boolean } = {}): Promise<BlobIndex> {
  const configPath = `${storeDir}/config.json`;
  const text = await readFile(configPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) {
    if (options.create === false) throw new Error(`${storeDir} holds no incremental store (its config.json is missing)`);
    await mkdir(storeDir, { recursive: true });
    await writeFileAtomic(configPath, JSON.stringify({ format: STORE_FORMAT, version: STORE_VERSION }, null, 2) + '\n');
  } else {
    let config: { format?: unknown; version?: unknown } | undefined;
    try {
      config = JSON.parse(text) as typeof config;
    } catch {
      config = undefined;
    }
    if (config?.format !== STORE_FORMAT) throw new Error(`${configPath} is not the config of a Lifeboat incremental store`);
    if (config.version !== STORE_VERSION) throw new Error(`${configPath}: format version ${String(config.version)} is not one this Lifeboat reads (${STORE_VERSION})`);
  }
  return BlobIndex.load(storeDir);
}

export class BlobWriter {
  private readonly packs: PackWriter;
  private readonly indexFile: IndexFileWriter;
  private readonly compressor = new BlobCompressor();
  private inFlight = 0;
  private waiting: (() => void)[] = [];
  private indexBytes = 0;
  private committed = false;
  blobs = 0;

  /** `beforePack`: see PackWriter (a free-space check). */
  constructor(
    private readonly storeDir: string,
    private readonly index: BlobIndex,
    beforePack?: () => Promise<void>,
  ) {
    this.indexFile = new IndexFileWriter(storeDir);
    // A sealed pack's blobs get their places in the index (they were pending) and a line of the index file.
    this.packs = new PackWriter(storeDir, beforePack, async (pack) => {
      this.index.addPack(pack);
      await this.indexFile.add(pack);
    });
  }

  /**
   * Waits until `bytes` more may be held in flight, and counts them; the returned function gives them
   * back. A request bigger than the whole budget waits until nothing else is in flight.
   */
  async reserve(bytes: number): Promise<() => void> {
    while (this.inFlight > 0 && this.inFlight + bytes > IN_FLIGHT_BYTES) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight += bytes;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.inFlight -= bytes;
      const wake = this.waiting;
      this.waiting = [];
      for (const resolve of wake) resolve();
    };
  }

  /** Whether the store holds blob `id` (or this writer has taken it). */
  holds(id: string): boolean {
    return this.index.has(id);
  }

  /** Stores `plain` unless the store has it; its id. `asIs`: already-compressed media, not compressed again. */
  async store(plain: Buffer, asIs: boolean): Promise<string> {
    const id = blobId(plain);
    if (!this.index.addPending(id)) return id;
    const { stored, zstd } = await this.compressor.encode(plain, asIs);
    await this.packs.add({ id, size: plain.length, zstd }, stored);
    this.blobs++;
    return id;
  }

  /** Flushes the packs and writes their index file; what was added. Nothing refers to the packs before this. */
  async commit(): Promise<StoreTotals> {
    const packs = await this.packs.finish();
    this.compressor.close();
    await this.indexFile.commit();
    this.indexBytes = this.indexFile.bytes;
    this.committed = true;
    return { blobs: this.blobs, bytes: this.packs.bytes + this.indexBytes, packs: packs.length };
  }

  /**
   * After a failure: removes the packs this writer wrote, unless they were committed (an index names them
   * then, and later backups may use their blobs: a prune removes them once no snapshot does).
   */
  async abort(): Promise<void> {
    if (this.committed) return;
    // The packs first: a pack still being sealed adds itself to the index file once in place.
    await this.packs.abort();
    await this.indexFile.abort();
    this.compressor.close();
  }
}
