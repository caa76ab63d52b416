// Writing a walked tree into a tar stream: folders, symlinks (target verbatim), regular files (mode,
// owner, mtime to the nanosecond), and the second and later names of a hard-linked file as link
// members, strictly in walk order. The walk and the reading of small files happen on a worker thread
// (tree-reader.ts), in batches; big files are streamed here in chunks, so memory stays flat whatever a
// file's size. A file that changes or vanishes while it is read becomes a warning; the archive stays
// well-formed.
import { open, type FileHandle } from 'node:fs/promises';
import { crc32Padded, withCrc32, type FileIndexEntry } from './file-index.js';
import { compressionLevelFor } from './tree-rules.js';
import type { TarWriter } from './tar-writer.js';
import { entryStat, notAFileWarning, OPEN_FLAGS, vanishedWarning, type ChangeMarks, type EntryStat, type TreeReadOptions } from './tree-read.js';
import { startTreeRead, type TreeRead } from './tree-reader.js';

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

export interface PackOptions extends TreeReadOptions {
  /** Called after each file with the data bytes written so far and the file's path. */
  onProgress?: (bytes: number, rel: string) => void;
  /**
   * Called for every member written, in order; for files (hard links too) with the CRC-32 of the bytes
   * the archive holds for it; `headerAt`: where the member's first header block starts in the tar stream.
   */
  onIndexed?: (entry: FileIndexEntry, headerAt: number) => void;
  /** The tree's reading, started earlier by the caller (startTreeRead with the same root and options). */
  read?: TreeRead;
}

const CHUNK = 1 << 20;

export function emptyCounts(): TreeCounts {
  return { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, bytes: 0 };
}

/**
 * Reads a file from its start until EOF, or one byte past `size` (so growth is noticed), into one
 * buffer: each chunk must be consumed (the tar writer copies it) before the next is asked for. Stops
 * with the signal's reason once it is aborted: a cancel, or the free-space check that runs beside the
 * packing, must not wait for the end of a file of many GiB.
 */
async function* readChunks(handle: FileHandle, size: number, signal: AbortSignal | undefined): AsyncGenerator<Buffer> {
  const buffer = Buffer.allocUnsafe(Math.min(CHUNK, size + 1));
  for (let position = 0; ; ) {
    signal?.throwIfAborted();
    const want = Math.min(buffer.length, size + 1 - position);
    if (want <= 0) return;
    const { bytesRead } = await handle.read(buffer, 0, want, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

/** A big file, opened for streaming (the caller closes it), or why it is not in the backup. */
type Opened = { ok: false; warning: string } | { ok: true; before: EntryStat; handle: FileHandle };

/** Opens a big file for streaming. */
async function openBig(rel: string, abs: string): Promise<Opened> {
  let handle: FileHandle;
  try {
    handle = await open(abs, OPEN_FLAGS);
  } catch (error) {
    return { ok: false, warning: vanishedWarning(rel, error) };
  }
  try {
    const before = await handle.stat({ bigint: true });
    if (before.isFile()) return { ok: true, before: entryStat(before), handle };
    await handle.close();
    return { ok: false, warning: notAFileWarning(rel) };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

const meta = (rel: string, s: EntryStat) => ({ path: rel, mode: s.mode, uid: s.uid, gid: s.gid, mtimeNs: s.mtimeNs });

/** A file ready to be written: read whole (`data`, `after`, its CRC-32 `crc`) or open for streaming (`handle`). */
type Readable = { before: EntryStat } & ({ data: Buffer; after: ChangeMarks; crc: number; handle?: undefined } | { data?: undefined; after?: undefined; handle: FileHandle });

/** Walks `root` and writes every covered entry into `writer` (which the caller finishes). */
export async function packTree(root: string, writer: TarWriter, options: PackOptions): Promise<PackResult> {
  const counts = emptyCounts();
  const warnings: string[] = [];
  const followed: { path: string; target: string }[] = [];
  /** dev:ino of hard-linked files already in the archive -> the path they were stored under. */
  const links = new Map<string, string>();
  /** dev:ino of hard-linked files -> their size and CRC-32, for the index entries of their other names. */
  const linkedContent = new Map<string, { size: number; crc32: number }>();
  const indexed = options.onIndexed;

  const writeFile = async (rel: string, file: Readable) => {
    const { before } = file;
    // Only a hard-linked file needs its key (two bigints made strings: garbage for every file of a tree).
    const key = before.nlink > 1n ? `${before.dev}:${before.ino}` : '';
    const first = before.nlink > 1n ? links.get(key) : undefined;
    const headerAt = writer.bytesWritten;
    if (first !== undefined) {
      await writer.addHardLink({ ...meta(rel, before), linkname: first });
      counts.hardlinks++;
      const content = linkedContent.get(key);
      if (content) indexed?.({ path: rel, type: 'hardlink', mtimeNs: before.mtimeNs, ...content }, headerAt);
      return;
    }
    const size = Number(before.size);
    const crc = { value: file.data ? file.crc : 0 };
    let body: Buffer | AsyncIterable<Buffer>;
    if (file.data) body = file.data;
    else {
      const chunks = readChunks(file.handle, size, options.signal);
      body = indexed ? withCrc32(chunks, size, crc) : chunks;
    }
    const result = await writer.addFile({ ...meta(rel, before), size }, body, compressionLevelFor(rel));
    if (indexed) {
      // What went missing (a file that shrank) is in the archive as zeros.
      const content = { size, crc32: crc32Padded(Buffer.alloc(0), result.missing, crc.value) };
      // A file with one name is recorded as the inode it was when it was read: one the shop still has,
      // unchanged since (same ctime), is kept by a rollback without being read (live-identity.ts).
      const identity = before.nlink === 1n ? { identity: { ino: before.ino, ctimeNs: before.ctimeNs } } : {};
      indexed({ path: rel, type: 'file', mtimeNs: before.mtimeNs, ...content, ...identity }, headerAt);
      if (before.nlink > 1n) linkedContent.set(key, content);
    }
    const after: ChangeMarks = file.after ?? (await file.handle.stat({ bigint: true }));
    if (result.missing > 0) warnings.push(`${rel}: shrank while it was read; ${result.missing} missing bytes were stored as zeros`);
    else if (result.truncated || after.size !== before.size) warnings.push(`${rel}: grew while it was read; the backup holds its first ${size} bytes`);
    else if (after.mtimeNs !== before.mtimeNs) warnings.push(`${rel}: changed while it was read; the copy in the backup may be inconsistent`);
    if (before.nlink > 1n) links.set(key, rel);
    counts.files++;
    counts.bytes += size;
    options.onProgress?.(counts.bytes, rel);
  };

  const read = options.read ?? startTreeRead(root, options);
  for await (const { records, data } of read) {
    for (const record of records) {
      if (record.kind === 'warning') {
        warnings.push(record.message);
      } else if (record.kind === 'dir') {
        const headerAt = writer.bytesWritten;
        await writer.addDirectory(meta(record.rel, record.stat));
        const { mode, uid, gid } = record.stat;
        indexed?.({ path: record.rel, type: 'dir', size: 0, mtimeNs: record.stat.mtimeNs, meta: { mode, uid, gid } }, headerAt);
        counts.dirs++;
        if (record.followedTarget !== undefined) followed.push({ path: record.rel, target: record.followedTarget });
      } else if (record.kind === 'symlink') {
        const headerAt = writer.bytesWritten;
        await writer.addSymlink({ ...meta(record.rel, record.stat), linkname: record.linkTarget });
        const { mode, uid, gid } = record.stat;
        indexed?.({ path: record.rel, type: 'symlink', size: 0, mtimeNs: record.stat.mtimeNs, meta: { mode, uid, gid, target: record.linkTarget } }, headerAt);
        counts.symlinks++;
      } else if (record.read) {
        const { before, after, at, length, crc32 } = record.read;
        await writeFile(record.rel, { before, after, data: data.subarray(at, at + length), crc: crc32 });
      } else {
        const opened = await openBig(record.rel, record.abs);
        if (!opened.ok) {
          warnings.push(opened.warning);
          continue;
        }
        try {
          await writeFile(record.rel, opened);
        } finally {
          await opened.handle.close();
        }
      }
    }
  }
  return { counts, followed, warnings };
}
