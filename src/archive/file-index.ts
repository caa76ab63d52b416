// The file index of a file archive: every member the tree puts into the archive, in archive order, with
// its type, size and mtime, and for the files (hard links too) the CRC-32 of the bytes the archive holds
// for them; written beside the archive as gzip-compressed JSON lines
// (`[path, type, size, mtimeNs, crc32]`, so any name a tar member can hold survives). A restore drill
// compares the restored files with it; browsing a backup lists a folder from it without inflating the
// archive. The CRC-32 is zlib's (node:zlib crc32), computed where the bytes already pass: the tree
// reader's thread for small files, the packer for big ones; it catches damage, not an attacker (the
// archive's sha256 in the manifest does that).
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { promisify } from 'node:util';
import { crc32, gunzip, gzip } from 'node:zlib';
import { AtomicFile } from './atomic-file.js';

export type IndexedType = 'file' | 'hardlink' | 'dir' | 'symlink';

export interface FileIndexEntry {
  path: string;
  type: IndexedType;
  /** A file's bytes; a hard link's are its file's (the tar member holds none). 0 for folders and symlinks. */
  size: number;
  mtimeNs: bigint;
  /** Files and hard links only. */
  crc32?: number;
}

const TYPES = new Set<string>(['file', 'hardlink', 'dir', 'symlink']);

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);
/** Lines are compressed (on the thread pool) in members of about this much text. */
const MEMBER_TEXT = 256 << 10;

/** The CRC-32 of `size` bytes that are `data` followed by zeros (a file that shrank while it was read). */
export function crc32Padded(data: Buffer, size: number, start = 0): number {
  let crc = crc32(data.length > size ? data.subarray(0, size) : data, start);
  for (let left = size - Math.min(data.length, size); left > 0; ) {
    const zeros = Buffer.alloc(Math.min(left, 1 << 20));
    crc = crc32(zeros, crc);
    left -= zeros.length;
  }
  return crc;
}

/** Writes an index into `<final path>.partial`; `commit` publishes it, `abort` removes it. */
export class FileIndexWriter {
  private text = '';
  private entries = 0;
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly out: AtomicFile) {}

  static async create(finalPath: string): Promise<FileIndexWriter> {
    return new FileIndexWriter(await AtomicFile.create(finalPath));
  }

  add(entry: FileIndexEntry): void {
    const line = [entry.path, entry.type, entry.size, entry.mtimeNs.toString(), ...(entry.crc32 === undefined ? [] : [entry.crc32])];
    this.text += JSON.stringify(line) + '\n';
    this.entries++;
    if (this.text.length >= MEMBER_TEXT) this.flush();
  }

  /** Writes what is left, flushes and renames the file into place; its size, sha256 and entry count. */
  async commit(): Promise<{ size: number; sha256: string; entries: number }> {
    this.flush();
    await this.writing;
    return { ...(await this.out.commit()), entries: this.entries };
  }

  async abort(): Promise<void> {
    await this.writing.catch(() => undefined);
    await this.out.abort();
  }

  private flush(): void {
    if (this.text === '') return;
    const text = this.text;
    this.text = '';
    // Members are compressed one after the other, in order: concatenated gzip members are one gzip file.
    this.writing = this.writing.then(async () => this.out.write(await gzipAsync(text, { level: 1 })));
  }
}

/** Parses an index's bytes, in archive order. A line that is not an index entry stops it with an error naming the line. */
export async function parseFileIndex(file: string, compressed: Buffer): Promise<FileIndexEntry[]> {
  const entries: FileIndexEntry[] = [];
  // An index is a few bytes per entry: read whole.
  const lines = (await gunzipAsync(compressed)).toString('utf8').split('\n');
  lines.forEach((line, number) => {
    if (line !== '') entries.push(parseLine(line, `${file}: line ${number + 1} is not an index entry`));
  });
  return entries;
}

function parseLine(line: string, problem: string): FileIndexEntry {
  const parsed = JSON.parse(line) as unknown;
  if (!Array.isArray(parsed)) throw new Error(problem);
  const [path, type, size, mtimeNs, crc] = parsed as unknown[];
  if (typeof path !== 'string' || typeof type !== 'string' || !TYPES.has(type) || typeof size !== 'number' || typeof mtimeNs !== 'string' || !/^\d+$/.test(mtimeNs)) throw new Error(problem);
  if (crc !== undefined && typeof crc !== 'number') throw new Error(problem);
  return { path, type: type as IndexedType, size, mtimeNs: BigInt(mtimeNs), ...(crc === undefined ? {} : { crc32: crc }) };
}

/** The chunks of `chunks`, the CRC-32 of their first `size` bytes kept in `crc.value` as they pass. */
export async function* withCrc32(chunks: AsyncIterable<Buffer>, size: number, crc: { value: number }): AsyncGenerator<Buffer> {
  let left = size;
  for await (const chunk of chunks) {
    if (left > 0) crc.value = crc32Padded(chunk, Math.min(chunk.length, left), crc.value);
    left -= chunk.length;
    yield chunk;
  }
}

/**
 * The size and CRC-32 of a file's bytes, read with synchronous calls into `buffer` (for a tree of small
 * files several times faster than a stream per file); the file is not followed if it is a symlink.
 */
export function crc32OfFileSync(file: string, buffer: Buffer): { size: number; crc32: number } {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    let crc = 0;
    let size = 0;
    for (let n = readSync(fd, buffer, 0, buffer.length, null); n > 0; n = readSync(fd, buffer, 0, buffer.length, null)) {
      crc = crc32(buffer.subarray(0, n), crc);
      size += n;
    }
    return { size, crc32: crc };
  } finally {
    closeSync(fd);
  }
}
