// Adding blobs to a store: each is hashed, looked up in the store's index (which counts the blobs this
// writer has already taken as pending), and only when new compressed and appended to a pack. Many blobs are in
// flight at once, so the thread pool compresses while the caller reads on; `reserve` bounds
// the plain bytes held in flight. `commit` writes the index file of the packs this writer filled: until
// then nothing refers to them. It is written a pack at a time as each pack is sealed (into a partial
// file, put in place by `commit`), so that a backup holds no list of the blobs it added.
import { mkdir, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../atomic-file.js';
import { BlobIndex } from './blob-index.js';
import { blobId } from './blob-codec.js';
import { BlobCompressor } from './blob-compressor.js';
import { IndexFileWriter } from './index-file.js';
import { PackWriter } from './pack-writer.js';
import { ReadBuffers } from './read-buffers.js';
import { configPathOf, STORE_FORMAT, STORE_VERSION, storeConfigProblem } from './store-layout.js';

/**
 * Plain bytes that may be in flight (read, not yet in a pack). 32 MiB took no less time than 16 on the
 * bench's 0.15 tree and peaked 15-20 MiB higher (the batches sent to the compressing thread are copies).
 */
const IN_FLIGHT_BYTES = 16 << 20;

export interface StoreTotals {
  /** Blobs this writer added (not found in the store). */
  blobs: number;
  /** Stored bytes this writer added to the store: packs, tables and index. */
  bytes: number;
  packs: number;
}

/** The store's config file, parsed and checked; undefined when there is none. */
async function readStoreConfig(configPath: string): Promise<Record<string, unknown> | undefined> {
  const text = await readFile(configPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return undefined;
  let config: Record<string, unknown> | undefined;
  try {
    config = JSON.parse(text) as typeof config;
  } catch {
    config = undefined;
  }
  const problem = storeConfigProblem(config);
  if (problem) throw new Error(`${configPath} ${problem}`);
  return config;
}

/**
 * Readies the store at `storeDir` for new packs: a version 1 store's config becomes this version's
 * before anything is written (see STORE_VERSION); one of an unknown version is refused. False when the
 * store has no config (nothing is made). Also for writes that do not go through openStore (a prune's
 * rewritten packs).
 */
export async function claimStoreForWriting(storeDir: string): Promise<boolean> {
  const configPath = configPathOf(storeDir);
  const config = await readStoreConfig(configPath);
  if (config && config.version !== STORE_VERSION) await writeStoreConfig(configPath, { ...config, version: STORE_VERSION });
  return config !== undefined;
}

const writeStoreConfig = (configPath: string, config: Record<string, unknown>) => writeFileAtomic(configPath, JSON.stringify(config, null, 2) + '\n');

/**
 * The store's index. `create` (the default): the store is made when there is none, and readied for new
 * packs (claimStoreForWriting); `read`: a missing store is an error, and nothing is written.
 */
export async function openStore(storeDir: string, access: 'create' | 'read' = 'create'): Promise<BlobIndex> {
  const configPath = configPathOf(storeDir);
  if (access === 'read') {
    if (!(await readStoreConfig(configPath))) throw new Error(`${storeDir} holds no incremental store (its config.json is missing)`);
  } else if (!(await claimStoreForWriting(storeDir))) {
    await mkdir(storeDir, { recursive: true });
    await writeStoreConfig(configPath, { format: STORE_FORMAT, version: STORE_VERSION });
  }
  return BlobIndex.load(storeDir);
}

export class BlobWriter {
  private readonly packs: PackWriter;
  private readonly indexFile: IndexFileWriter;
  private readonly compressor = new BlobCompressor();
  /** The buffers files are read into for this writer (see `store`'s `release`). */
  readonly buffers = new ReadBuffers();
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

  /**
   * Stores `plain` unless the store has it; its id. `asIs`: already-compressed media, not compressed
   * again. `release` is called once nothing refers to `plain` any more: when it is stored as it is, that
   * is once it is written, which may be after the id is given.
   */
  async store(plain: Buffer, asIs: boolean, release?: () => void): Promise<string> {
    const id = blobId(plain);
    if (!this.index.addPending(id)) {
      release?.();
      return id;
    }
    const { stored, zstd } = await this.compressor.encode(plain, asIs);
    const kept = stored === plain;
    await this.packs.add({ id, size: plain.length, zstd }, stored, kept ? release : undefined);
    if (!kept) release?.();
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
