// Writing a walked tree into a tar stream: folders, symlinks (target verbatim), regular files (mode,
// owner, mtime to the nanosecond), and the second and later names of a hard-linked file as link
// members, strictly in walk order. Small files are read whole with synchronous calls (open, fstat,
// read, fstat, close: a few microseconds each on a cached tree, where promises cost tens; see
// time-slice.ts, the walk pauses for the event loop every few milliseconds); big files are streamed
// in chunks, so memory stays flat whatever a file's size. A file that changes or vanishes while it is
// read becomes a warning; the archive stays well-formed.
import { closeSync, constants, fstatSync, openSync, readSync, type BigIntStats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { compressionLevelFor } from './tree-rules.js';
import type { TarWriter } from './tar-writer.js';
import { walkTree, type WalkEntry, type WalkOptions } from './walk.js';

export interface TreeCounts {
  files: number;
  dirs: number;
  symlinks: number;
  /** Second and later names of hard-linked files, stored as link members. */
  hardlinks: number;
  /** Bytes of file data. */
  bytes: number;
}

export interface PackResult {
  counts: TreeCounts;
  /** Symlinked media roots that were followed: their path and where they pointed. */
  followed: { path: string; target: string }[];
  warnings: string[];
}

export interface PackOptions extends Omit<WalkOptions, 'onWarning'> {
  /** Called after each file with the data bytes written so far and the file's path. */
  onProgress?: (bytes: number, rel: string) => void;
  /** Called before a file is opened (tests use it to change the tree at that moment). */
  beforeFile?: (entry: WalkEntry) => Promise<void> | void;
}

const CHUNK = 1 << 20;
/** Files up to this size are read whole, synchronously. */
const SMALL = 1 << 20;
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

export function emptyCounts(): TreeCounts {
  return { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, bytes: 0 };
}

/** Reads a file from its start until EOF, or one byte past `size` (so growth is noticed). */
async function* readChunks(handle: FileHandle, size: number): AsyncGenerator<Buffer> {
  let position = 0;
  for (;;) {
    const want = Math.min(CHUNK, size + 1 - position);
    if (want <= 0) return;
    const buffer = Buffer.allocUnsafe(want);
    const { bytesRead } = await handle.read(buffer, 0, want, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield bytesRead === want ? buffer : buffer.subarray(0, bytesRead);
  }
}

/** A file as read: its stats before and after, and (for small files) its bytes. */
type Opened = { ok: false; warning?: string } | { ok: true; before: BigIntStats; data?: Buffer; after?: BigIntStats; handle?: FileHandle };

const vanished = (entry: WalkEntry, error: unknown): Opened => ({
  ok: false,
  warning: `${entry.rel}: vanished or became unreadable before it was read (${errorCode(error)}); not in the backup`,
});
const notAFile = (entry: WalkEntry): Opened => ({ ok: false, warning: `${entry.rel}: was replaced by something that is not a file while the tree was read; not in the backup` });

/** Opens a big file for streaming (the caller closes it). */
async function openBig(entry: WalkEntry): Promise<Opened> {
  let handle: FileHandle;
  try {
    handle = await open(entry.abs, OPEN_FLAGS);
  } catch (error) {
    return vanished(entry, error);
  }
  try {
    const before = await handle.stat({ bigint: true });
    if (before.isFile()) return { ok: true, before, handle };
    await handle.close();
    return notAFile(entry);
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Reads a small file whole, synchronously, up to one byte past its size (so growth is noticed).
 * Undefined when it has grown past SMALL since the walk saw it: it is streamed instead.
 */
function readSmall(entry: WalkEntry): Opened | undefined {
  let fd: number;
  try {
    fd = openSync(entry.abs, OPEN_FLAGS);
  } catch (error) {
    return vanished(entry, error);
  }
  try {
    const before = fstatSync(fd, { bigint: true });
    if (!before.isFile()) return notAFile(entry);
    if (before.size > BigInt(SMALL)) return undefined;
    const want = Number(before.size) + 1;
    const buffer = Buffer.allocUnsafe(want);
    let got = 0;
    for (let n = -1; n !== 0 && got < want; got += n) n = readSync(fd, buffer, got, want - got, got);
    const after = fstatSync(fd, { bigint: true });
    return { ok: true, before, after, data: buffer.subarray(0, got) };
  } finally {
    closeSync(fd);
  }
}

async function* once(buffer: Buffer): AsyncIterable<Buffer> {
  yield buffer;
}

const meta = (rel: string, s: BigIntStats) => ({ path: rel, mode: Number(s.mode & 0o7777n), uid: Number(s.uid), gid: Number(s.gid), mtimeNs: s.mtimeNs });

/** Walks `root` and writes every covered entry into `writer` (which the caller finishes). */
export async function packTree(root: string, writer: TarWriter, options: PackOptions): Promise<PackResult> {
  const counts = emptyCounts();
  const warnings: string[] = [];
  const followed: { path: string; target: string }[] = [];
  /** dev:ino of hard-linked files already in the archive -> the path they were stored under. */
  const links = new Map<string, string>();

  const writeFile = async (entry: WalkEntry, opened: Opened) => {
    if (!opened.ok) {
      if (opened.warning) warnings.push(opened.warning);
      return;
    }
    const { before } = opened;
    try {
      if (before.ino !== entry.stats.ino) warnings.push(`${entry.rel}: was replaced while the tree was read; the newer file is in the backup`);
      const key = `${before.dev}:${before.ino}`;
      const first = before.nlink > 1n ? links.get(key) : undefined;
      if (first !== undefined) {
        await writer.addHardLink({ ...meta(entry.rel, before), linkname: first });
        counts.hardlinks++;
        return;
      }
      const size = Number(before.size);
      const body = opened.data ? once(opened.data) : readChunks(opened.handle as FileHandle, size);
      const result = await writer.addFile({ ...meta(entry.rel, before), size }, body, compressionLevelFor(entry.rel));
      const after = opened.after ?? (await (opened.handle as FileHandle).stat({ bigint: true }));
      if (result.missing > 0) warnings.push(`${entry.rel}: shrank while it was read; ${result.missing} missing bytes were stored as zeros`);
      else if (result.truncated || after.size !== before.size) warnings.push(`${entry.rel}: grew while it was read; the backup holds its first ${size} bytes`);
      else if (after.mtimeNs !== before.mtimeNs) warnings.push(`${entry.rel}: changed while it was read; the copy in the backup may be inconsistent`);
      if (before.nlink > 1n) links.set(key, entry.rel);
      counts.files++;
      counts.bytes += size;
      options.onProgress?.(counts.bytes, entry.rel);
    } finally {
      await opened.handle?.close();
    }
  };

  await walkTree(root, { ...options, onWarning: (message) => warnings.push(message) }, async (entry) => {
    if (entry.kind === 'dir') {
      await writer.addDirectory(meta(entry.rel, entry.stats));
      counts.dirs++;
      if (entry.followedTarget !== undefined) followed.push({ path: entry.rel, target: entry.followedTarget });
    } else if (entry.kind === 'symlink') {
      await writer.addSymlink({ ...meta(entry.rel, entry.stats), linkname: entry.linkTarget ?? '' });
      counts.symlinks++;
    } else {
      if (options.beforeFile) await options.beforeFile(entry);
      const small = entry.stats.size <= BigInt(SMALL) ? readSmall(entry) : undefined;
      await writeFile(entry, small ?? (await openBig(entry)));
    }
  });
  return { counts, followed, warnings };
}
