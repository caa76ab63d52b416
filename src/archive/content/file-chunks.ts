// Storing one file's contents as blobs: read with synchronous calls (for many small files much faster
// than a thread-pool round trip each; the hashing and compressing of what was read meanwhile run on the
// thread pool), cut into chunks (chunker.ts) in windows of two maximal chunks, each window held until
// its chunks are stored (the buffers are the writer's, used again: read-buffers.ts). A file that
// changes while it is read is stored as read, with a warning, as a tar archive does.
import { closeSync, fstatSync, openSync, readSync, type BigIntStats } from 'node:fs';
import { OPEN_FLAGS, notAFileWarning, vanishedWarning } from '../tree-read.js';
import type { BlobWriter } from './blob-writer.js';
import { chunkLength, MAX_CHUNK, MIN_CHUNK } from './chunker.js';

const WINDOW = 2 * MAX_CHUNK;

/** A file's stored contents: the blob ids (resolving once stored), what was read, and its status. */
export interface StoredFile {
  chunks: Promise<string[]>;
  size: number;
  stat: BigIntStats;
  warning?: string;
}

function readInto(fd: number, buffer: Buffer, at: number, length: number, position: number): number {
  let got = 0;
  for (let n = -1; n !== 0 && got < length; got += n) n = readSync(fd, buffer, at + got, length - got, position + got);
  return got;
}

/**
 * Reads and stores the file at `abs` (`rel` for messages). `asIs`: its blobs are not compressed (media).
 * A file that vanished or is no longer a file gives a warning and no contents.
 */
export async function storeFile(writer: BlobWriter, abs: string, rel: string, asIs: boolean): Promise<StoredFile | { warning: string }> {
  let fd: number;
  try {
    fd = openSync(abs, OPEN_FLAGS);
  } catch (error) {
    return { warning: vanishedWarning(rel, error) };
  }
  try {
    const stat = fstatSync(fd, { bigint: true });
    if (!stat.isFile()) return { warning: notAFileWarning(rel) };
    const announced = Number(stat.size);
    const ids: Promise<string>[] = [];
    const size = announced <= MIN_CHUNK ? await storeSmall(writer, fd, announced, asIs, ids) : await storeBig(writer, fd, announced, asIs, ids);
    const after = fstatSync(fd, { bigint: true });
    const chunks = Promise.all(ids);
    chunks.catch(() => undefined); // the caller awaits it
    let warning: string | undefined;
    if (size < announced) warning = `${rel}: shrank while it was read; the backup holds the ${size} bytes that were there`;
    else if (after.size > stat.size) warning = `${rel}: grew while it was read; the backup holds its first ${size} bytes`;
    else if (after.mtimeNs !== stat.mtimeNs) warning = `${rel}: changed while it was read; the copy in the backup may be inconsistent`;
    return { chunks, size, stat, ...(warning ? { warning } : {}) };
  } finally {
    closeSync(fd);
  }
}

/** A file of at most MIN_CHUNK bytes: one blob (none when empty). */
async function storeSmall(writer: BlobWriter, fd: number, announced: number, asIs: boolean, ids: Promise<string>[]): Promise<number> {
  if (announced === 0) return 0;
  const release = await writer.reserve(announced);
  const buffer = writer.buffers.take(announced);
  const size = readInto(fd, buffer, 0, announced, 0);
  const stored = writer.store(buffer.subarray(0, size), asIs, () => writer.buffers.release(buffer));
  void stored.then(release, release);
  ids.push(stored);
  return size;
}

/** A bigger file, chunk by chunk; at most `announced` bytes are read (growth is told by the fstat after). */
async function storeBig(writer: BlobWriter, fd: number, announced: number, asIs: boolean, ids: Promise<string>[]): Promise<number> {
  let position = 0; // of the file, read so far
  let carry: Buffer | undefined; // bytes read but not yet chunked, from the window before
  let before: Buffer | undefined; // that window, held until the carry is copied out of it
  const { buffers } = writer;
  for (;;) {
    // A window of two maximal chunks, or what is left of the file (a 300 KiB image needs no 8 MiB).
    const size = Math.min(WINDOW, (carry?.length ?? 0) + announced - position);
    const release = await writer.reserve(size);
    const window = buffers.take(size);
    const kept = carry ? carry.copy(window, 0) : 0;
    if (before) buffers.release(before);
    before = window;
    const got = readInto(fd, window, kept, size - kept, position);
    position += got;
    const end = kept + got;
    const atEnd = position >= announced || got === 0;
    const stored: Promise<string>[] = [];
    let start = 0;
    while (start < end && (atEnd || end - start >= MAX_CHUNK)) {
      const length = chunkLength(window, start, end, atEnd);
      const chunk = window.subarray(start, start + length);
      buffers.retain(chunk);
      stored.push(writer.store(chunk, asIs, () => buffers.release(chunk)));
      start += length;
    }
    carry = start < end ? window.subarray(start, end) : undefined;
    ids.push(...stored);
    void Promise.allSettled(stored).then(release);
    if (atEnd) {
      buffers.release(window);
      return position;
    }
  }
}
