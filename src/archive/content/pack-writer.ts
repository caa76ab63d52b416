// Writing blobs into pack files: several MiB each, so a store (and a bucket) holds thousands of files
// rather than millions. A pack is the stored blobs back to back, then its blob table (JSON: id, offset,
// stored length, plain size, zstd or not) as one zstd frame, then the frame's length (4 bytes,
// little-endian) and the magic `LBPACK02`: a pack describes itself, so an index can be rebuilt from the
// packs. (Packs written before end in the table as plain JSON and `LBPACK01`; both are read. The JSON
// of a table, about 130 bytes a blob, compresses to about 45: a hex id is half redundancy, and the
// keys repeat.) A pack is written as `data/.<random>.partial`, flushed, and renamed to
// `data/<2 hex>/<pack id>` where the pack id is the sha256 of its blob table's JSON. A failed backup removes its packs; a killed one leaves a partial file or
// packs no index names, which the next prune removes. The writer keeps only each finished pack's id and
// size: its record (with its blobs) goes to `onSealed` once the pack is in place.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { constants as zlibConstants, zstdCompress } from 'node:zlib';
import { syncDirectory } from '../atomic-file.js';
import { dataDirOf, packPathOf, type BlobPlace, type PackRecord } from './store-layout.js';

/** A finished pack: its id and size (its blobs are in its own table). */
export type SealedPack = Omit<PackRecord, 'blobs'>;

/** A pack is closed once it holds this many bytes... */
export const PACK_TARGET = 16 << 20;
/**
 * ...or this many blobs: the open pack's table is held in memory (about 150 bytes a blob as objects),
 * and an index is read a pack at a time. 16 MiB of 20-byte files would be 800,000 blobs in one pack.
 */
export const PACK_MAX_BLOBS = 16384;
/** The magic of a pack whose table is plain JSON (written before tables were compressed; still read). */
export const PACK_MAGIC = Buffer.from('LBPACK01', 'latin1');
/** The magic of a pack whose table is a zstd frame of the JSON. */
export const PACK_MAGIC_ZSTD = Buffer.from('LBPACK02', 'latin1');
/** The zstd level of a pack's table: higher levels made it less than 1 % smaller. */
const TABLE_LEVEL = 3;
const compressTable = promisify(zstdCompress);

/**
 * Stored blobs are written to the pack file in batches of about this many bytes: each write is a
 * handover to the thread pool that cost the calling thread about 30 µs, once per blob before (half a
 * second of a first incremental backup of the 0.15 tree, most blobs being small files).
 */
const WRITE_BATCH = 1 << 20;

interface OpenPack {
  handle: FileHandle;
  partialPath: string;
  /** The pack's length so far, the batch not yet written included. */
  offset: number;
  blobs: BlobPlace[];
  /** Stored blobs appended but not yet written, and their bytes. */
  batch: Buffer[];
  batchBytes: number;
  /** Called once the batch is written (or its write failed): see `add`. */
  afterWrite: (() => void)[];
}

export class PackWriter {
  private current: OpenPack | undefined;
  /** Appends and closes, one after the other. */
  private queue: Promise<void> = Promise.resolve();
  private failure: unknown;
  private aborted = false;
  private readonly closing: Promise<void>[] = [];
  private readonly partials = new Set<string>();
  readonly written: SealedPack[] = [];
  /** Stored bytes written so far (tables included). */
  bytes = 0;

  /**
   * `beforePack` runs before each new pack file is opened (the caller checks the disk's free space
   * there); `onSealed` gets each pack's record once the pack is in place (finish() waits for it).
   */
  constructor(
    private readonly storeDir: string,
    private readonly beforePack: () => Promise<void> = async () => undefined,
    private readonly onSealed: (pack: PackRecord) => Promise<void> = async () => undefined,
  ) {}

  /**
   * Appends a stored blob; resolves once it is written or batched (the caller may then drop its buffer).
   * `afterWrite` is called once `stored` is written, when its bytes may be overwritten.
   */
  add(blob: Omit<BlobPlace, 'offset' | 'length'>, stored: Buffer, afterWrite?: () => void): Promise<void> {
    const done = this.queue.then(() => this.append(blob, stored, afterWrite));
    this.queue = done.catch((error: unknown) => {
      this.failure ??= error;
    });
    return done;
  }

  private async append(blob: Omit<BlobPlace, 'offset' | 'length'>, stored: Buffer, afterWrite: (() => void) | undefined): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    // Blobs still compressing when the backup failed arrive after abort(): they must not open a pack.
    if (this.aborted) throw new Error('the pack writer was aborted');
    const pack = this.current ?? (this.current = await this.openPack());
    pack.batch.push(stored);
    pack.batchBytes += stored.length;
    if (afterWrite) pack.afterWrite.push(afterWrite);
    pack.blobs.push({ ...blob, offset: pack.offset, length: stored.length });
    pack.offset += stored.length;
    this.bytes += stored.length;
    if (pack.offset >= PACK_TARGET || pack.blobs.length >= PACK_MAX_BLOBS) this.closeCurrent();
    else if (pack.batchBytes >= WRITE_BATCH) await writeBatch(pack);
  }

  private async openPack(): Promise<OpenPack> {
    const dataDir = dataDirOf(this.storeDir);
    await mkdir(dataDir, { recursive: true });
    await this.beforePack();
    const partialPath = path.join(dataDir, `.${randomBytes(8).toString('hex')}.partial`);
    this.partials.add(partialPath);
    return { handle: await open(partialPath, 'wx', 0o640), partialPath, offset: 0, blobs: [], batch: [], batchBytes: 0, afterWrite: [] };
  }

  /** Ends the current pack: its table is written here, the flush and rename go on in the background. */
  private closeCurrent(): void {
    const pack = this.current;
    if (!pack) return;
    this.current = undefined;
    const closed = this.seal(pack);
    closed.catch(() => undefined);
    this.closing.push(closed);
  }

  private async seal(pack: OpenPack): Promise<void> {
    const table = Buffer.from(JSON.stringify(pack.blobs), 'utf8');
    const stored = await compressTable(table, { params: { [zlibConstants.ZSTD_c_compressionLevel]: TABLE_LEVEL, [zlibConstants.ZSTD_c_checksumFlag]: 1 } });
    const tail = Buffer.alloc(4 + PACK_MAGIC_ZSTD.length);
    tail.writeUInt32LE(stored.length, 0);
    PACK_MAGIC_ZSTD.copy(tail, 4);
    const trailer = Buffer.concat([stored, tail]);
    pack.batch.push(trailer);
    pack.batchBytes += trailer.length;
    await writeBatch(pack);
    this.bytes += trailer.length;
    await pack.handle.datasync();
    await pack.handle.close();
    const id = createHash('sha256').update(table).digest('hex');
    const finalPath = packPathOf(this.storeDir, id);
    await mkdir(path.dirname(finalPath), { recursive: true });
    await rename(pack.partialPath, finalPath);
    this.partials.delete(pack.partialPath);
    await syncDirectory(path.dirname(finalPath));
    const size = pack.offset + trailer.length;
    this.written.push({ id, size });
    await this.onSealed({ id, size, blobs: pack.blobs });
  }

  /** Closes the last pack and waits until every pack is flushed and in place; the packs written. */
  async finish(): Promise<SealedPack[]> {
    await this.queue;
    if (this.failure !== undefined) throw this.failure;
    this.closeCurrent();
    await Promise.all(this.closing);
    return this.written;
  }

  /**
   * After a failure: waits for what is in flight, then removes the partial files and the packs this
   * writer finished (no index names them yet, so nothing else can use them).
   */
  async abort(): Promise<void> {
    this.aborted = true;
    await this.queue;
    await Promise.allSettled(this.closing);
    if (this.current) await this.current.handle.close().catch(() => undefined);
    for (const partial of this.partials) await unlink(partial).catch(() => undefined);
    for (const pack of this.written) await unlink(packPathOf(this.storeDir, pack.id)).catch(() => undefined);
  }
}

/** Writes the pack's batch of stored bytes to its file, in one call (no copy: a batch is mostly a few big media chunks or many small blobs). */
async function writeBatch(pack: OpenPack): Promise<void> {
  const { batch, batchBytes, afterWrite } = pack;
  pack.batch = [];
  pack.batchBytes = 0;
  pack.afterWrite = [];
  try {
    const { bytesWritten } = await pack.handle.writev(batch);
    if (bytesWritten === batchBytes) return;
    // A short write (a full disk says so on the next call): the rest, written on until it fails.
    const rest = Buffer.concat(batch, batchBytes).subarray(bytesWritten);
    for (let at = 0; at < rest.length; ) at += (await pack.handle.write(rest, at, rest.length - at)).bytesWritten;
  } finally {
    for (const call of afterWrite) call();
  }
}
