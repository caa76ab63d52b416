// Writing a walked tree into a tar stream: folders, symlinks (target verbatim), regular files (mode,
// owner, mtime to the nanosecond), and the second and later names of a hard-linked file as link
// members. Small files are read ahead, several at once (a bounded window), while the archive is
// written strictly in walk order; big files are streamed in chunks, so memory stays flat whatever a
// file's size. A file that changes or vanishes while it is read becomes a warning; the archive stays
// well-formed.
import { constants, type BigIntStats } from 'node:fs';
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
/** Files up to this size are read whole, ahead of writing. */
const SMALL = 1 << 20;
/** At most this many entries and bytes are held ahead of the writer. */
const WINDOW_ENTRIES = 64;
const WINDOW_BYTES = 32 << 20;
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

async function openFile(entry: WalkEntry, readWhole: boolean): Promise<Opened> {
  let handle: FileHandle;
  try {
    handle = await open(entry.abs, OPEN_FLAGS);
  } catch (error) {
    return { ok: false, warning: `${entry.rel}: vanished or became unreadable before it was read (${errorCode(error)}); not in the backup` };
  }
  try {
    const before = await handle.stat({ bigint: true });
    if (!before.isFile()) {
      await handle.close();
      return { ok: false, warning: `${entry.rel}: was replaced by something that is not a file while the tree was read; not in the backup` };
    }
    if (!readWhole) return { ok: true, before, handle };
    const parts: Buffer[] = [];
    for await (const chunk of readChunks(handle, Number(before.size))) parts.push(chunk);
    const after = await handle.stat({ bigint: true });
    await handle.close();
    return { ok: true, before, after, data: parts.length === 1 ? parts[0] : Buffer.concat(parts) };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

async function* once(buffer: Buffer): AsyncIterable<Buffer> {
  yield buffer;
}

const meta = (rel: string, s: BigIntStats) => ({ path: rel, mode: Number(s.mode & 0o7777n), uid: Number(s.uid), gid: Number(s.gid), mtimeNs: s.mtimeNs });

interface Queued {
  entry: WalkEntry;
  /** Small files: the read, already started. */
  read?: Promise<Opened>;
  bytes: number;
}

/** Walks `root` and writes every covered entry into `writer` (which the caller finishes). */
export async function packTree(root: string, writer: TarWriter, options: PackOptions): Promise<PackResult> {
  const counts = emptyCounts();
  const warnings: string[] = [];
  const followed: { path: string; target: string }[] = [];
  /** dev:ino of hard-linked files already in the archive -> the path they were stored under. */
  const links = new Map<string, string>();
  const queue: Queued[] = [];
  let queuedBytes = 0;

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

  const writeNext = async () => {
    const { entry, read, bytes } = queue.shift() as Queued;
    queuedBytes -= bytes;
    if (entry.kind === 'dir') {
      await writer.addDirectory(meta(entry.rel, entry.stats));
      counts.dirs++;
      if (entry.followedTarget !== undefined) followed.push({ path: entry.rel, target: entry.followedTarget });
    } else if (entry.kind === 'symlink') {
      await writer.addSymlink({ ...meta(entry.rel, entry.stats), linkname: entry.linkTarget ?? '' });
      counts.symlinks++;
    } else if (read) {
      await writeFile(entry, await read);
    } else {
      await options.beforeFile?.(entry);
      await writeFile(entry, await openFile(entry, false));
    }
  };

  try {
    await walkTree(root, { ...options, onWarning: (message) => warnings.push(message) }, async (entry) => {
      const size = entry.kind === 'file' ? Number(entry.stats.size) : 0;
      const small = entry.kind === 'file' && size <= SMALL;
      while (queue.length >= WINDOW_ENTRIES || (queue.length && queuedBytes + size > WINDOW_BYTES)) await writeNext();
      const read = small ? Promise.resolve(options.beforeFile?.(entry)).then(() => openFile(entry, true)) : undefined;
      read?.catch(() => undefined); // handled when written; avoids an unhandled rejection meanwhile
      queue.push({ entry, read, bytes: small ? size : 0 });
      queuedBytes += small ? size : 0;
    });
    while (queue.length) await writeNext();
  } finally {
    // After a failure, let the reads in flight finish and close their files.
    for (const { read } of queue.splice(0)) await read?.catch(() => undefined);
  }
  return { counts, followed, warnings };
}
