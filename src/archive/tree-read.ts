// Reading a shop tree for an archive, as a stream of batches: the walk's entries in order, each small
// file's bytes read whole into the batch's one shared buffer. The same code runs on a worker thread
// (tree-read-worker.ts: the walk and the reads, synchronous system calls that are most of a System
// backup's work on a cached tree, then overlap with the tar and gzip work of the main thread) or on the
// calling thread (when a test hook must run before each file is opened). Records are plain data, so
// they cross to the main thread by structured clone and the buffer by transfer.
import { closeSync, constants, fstatSync, openSync, readSync, type BigIntStats } from 'node:fs';
import { crc32 } from 'node:zlib';
import { walkTree, type WalkEntry, type WalkOptions } from './walk.js';

/** Files up to this size are read whole, synchronously; bigger ones are streamed by the packer. */
const SMALL = 1 << 20;
/** A batch is handed over once its files hold this many bytes, or it holds MAX_RECORDS records. */
const BATCH_BYTES = 1 << 20;
const MAX_RECORDS = 256;
/** The batch buffer: room for a batch and one more small file. */
export const SLAB = BATCH_BYTES + SMALL;
export const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** What an archive member needs of a file's status. */
export interface EntryStat {
  dev: bigint;
  ino: bigint;
  nlink: bigint;
  size: bigint;
  mtimeNs: bigint;
  /** Recorded in the file index: a rollback keeps a live file with the same inode and ctime (live-identity.ts). */
  ctimeNs: bigint;
  mode: number;
  uid: number;
  gid: number;
}

export const entryStat = (s: BigIntStats): EntryStat => ({
  dev: s.dev,
  ino: s.ino,
  nlink: s.nlink,
  size: s.size,
  mtimeNs: s.mtimeNs,
  ctimeNs: s.ctimeNs,
  mode: Number(s.mode & 0o7777n),
  uid: Number(s.uid),
  gid: Number(s.gid),
});

/** What tells a file changed while it was read. */
export type ChangeMarks = Pick<EntryStat, 'size' | 'mtimeNs'>;

/** A small file as read: its status before, its size and mtime after, and where its bytes are in the batch buffer. */
export interface SmallRead {
  before: EntryStat;
  after: ChangeMarks;
  at: number;
  length: number;
  /** CRC-32 of the bytes read, up to the size in `before` (for the file index: computed here, off the main thread). */
  crc32: number;
}

export type TreeRecord =
  | { kind: 'dir'; rel: string; stat: EntryStat; followedTarget?: string }
  | { kind: 'symlink'; rel: string; stat: EntryStat; linkTarget: string }
  /**
   * A file read whole (`read`), or one the packer must open and stream itself (a big one: `abs`, the
   * path to open). Only the second carries its path twice: every record crosses to the main thread.
   */
  | { kind: 'file'; rel: string; read: SmallRead; abs?: undefined }
  | { kind: 'file'; rel: string; abs: string; read?: undefined }
  | { kind: 'warning'; message: string };

export interface TreeBatch {
  records: TreeRecord[];
  /** The bytes of the batch's small files (SmallRead.at/length are offsets into it). */
  data: Buffer;
}

export interface TreeReadOptions extends Omit<WalkOptions, 'onWarning'> {
  /** Called before a file is opened (tests change the tree at that moment). */
  beforeFile?: (entry: WalkEntry) => Promise<void> | void;
}

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

export const vanishedWarning = (rel: string, error: unknown) => `${rel}: vanished or became unreadable before it was read (${errorCode(error)}); not in the backup`;
export const notAFileWarning = (rel: string) => `${rel}: was replaced by something that is not a file while the tree was read; not in the backup`;

/**
 * Reads a small file whole into `slab` at `at`: the size its fstat gave, or less when it ends sooner. A
 * file that grew meanwhile shows in the fstat after the read, as one that changed does; reading on to
 * find its end was a read call per file that returned nothing. A warning record when it vanished or is
 * no file any more; undefined when it is bigger than SMALL (the packer streams it instead).
 */
function readSmall(entry: WalkEntry, slab: Buffer, at: number): SmallRead | TreeRecord | undefined {
  let fd: number;
  try {
    fd = openSync(entry.abs, OPEN_FLAGS);
  } catch (error) {
    return { kind: 'warning', message: vanishedWarning(entry.rel, error) };
  }
  try {
    const before = fstatSync(fd, { bigint: true });
    if (!before.isFile()) return { kind: 'warning', message: notAFileWarning(entry.rel) };
    if (before.size > BigInt(SMALL)) return undefined;
    const want = Number(before.size);
    let got = 0;
    for (let n = -1; n !== 0 && got < want; got += n) n = readSync(fd, slab, at + got, want - got, got);
    const after = fstatSync(fd, { bigint: true });
    const crc = crc32(slab.subarray(at, at + got));
    return { before: entryStat(before), after: { size: after.size, mtimeNs: after.mtimeNs }, at, length: got, crc32: crc };
  } finally {
    closeSync(fd);
  }
}

const newSlab = () => Buffer.allocUnsafeSlow(SLAB);

/**
 * Walks `root` and hands its entries over in batches, in walk order; `emit` may wait (back-pressure).
 * The batch's buffer belongs to the receiver once emitted: `takeSlab` gives the next one (SLAB bytes).
 */
export async function readTreeBatches(
  root: string,
  options: TreeReadOptions,
  emit: (batch: TreeBatch) => Promise<void>,
  takeSlab: () => Buffer = newSlab,
): Promise<void> {
  let records: TreeRecord[] = [];
  let slab = takeSlab();
  let used = 0;
  const flush = async () => {
    if (records.length === 0) return;
    const batch = { records, data: slab.subarray(0, used) };
    records = [];
    slab = takeSlab();
    used = 0;
    await emit(batch);
  };
  const add = async (record: TreeRecord) => {
    records.push(record);
    if (used >= BATCH_BYTES || records.length >= MAX_RECORDS) await flush();
  };

  // The files are opened and fstat'ed here anyway: the walk need not lstat them too.
  const walkOptions: WalkOptions = { ...options, fileStats: false, onWarning: (message) => records.push({ kind: 'warning', message }) };
  await walkTree(root, walkOptions, async (entry) => {
    if (entry.kind === 'file') {
      if (options.beforeFile) await options.beforeFile(entry);
      const read = readSmall(entry, slab, used);
      if (read === undefined) return add({ kind: 'file', rel: entry.rel, abs: entry.abs });
      if ('kind' in read) return add(read);
      used += read.length;
      return add({ kind: 'file', rel: entry.rel, read });
    }
    const stat = entryStat(entry.stats as BigIntStats); // folders and symlinks are always lstat'ed
    if (entry.kind === 'dir') {
      await add({ kind: 'dir', rel: entry.rel, stat, ...(entry.followedTarget !== undefined ? { followedTarget: entry.followedTarget } : {}) });
    } else {
      await add({ kind: 'symlink', rel: entry.rel, stat, linkTarget: entry.linkTarget ?? '' });
    }
  });
  await flush();
}
