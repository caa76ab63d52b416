// The file index of a file archive: per file its path, size and CRC-32 as its bytes went into the
// archive, written beside the archive as gzip-compressed JSON lines (`[path, size, crc32]`, so any name
// a tar member can hold survives). It is what a restore drill compares the restored files with. The
// CRC-32 is zlib's (node:zlib crc32), computed where the bytes already pass: the tree reader's thread
// for small files, the packer for big ones; it catches damage, not an attacker (the archive's sha256 in
// the manifest does that).
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { promisify } from 'node:util';
import { crc32, gunzip, gzip } from 'node:zlib';
import { AtomicFile } from './atomic-file.js';

export interface FileIndexEntry {
  path: string;
  size: number;
  crc32: number;
}

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
    this.text += JSON.stringify([entry.path, entry.size, entry.crc32]) + '\n';
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

/** Parses an index's bytes, path -> entry. A line that is not an index entry stops it with an error naming the line. */
export async function parseFileIndex(file: string, compressed: Buffer): Promise<Map<string, FileIndexEntry>> {
  const index = new Map<string, FileIndexEntry>();
  // An index is a few bytes per file: read whole.
  const lines = (await gunzipAsync(compressed)).toString('utf8').split('\n');
  let number = 0;
  for (const line of lines) {
    number++;
    if (line === '') continue;
    const parsed = JSON.parse(line) as unknown;
    if (!Array.isArray(parsed) || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'number' || typeof parsed[2] !== 'number') {
      throw new Error(`${file}: line ${number} is not an index entry`);
    }
    index.set(parsed[0], { path: parsed[0], size: parsed[1], crc32: parsed[2] });
  }
  return index;
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
