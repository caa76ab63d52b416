// The file index of a file archive: every member the tree puts into the archive, in archive order, with
// its type, size and mtime, and for the files (hard links too) the CRC-32 of the bytes the archive holds
// for them; written beside the archive as gzip-compressed JSON lines
// (`[path, type, size, mtimeNs, crc32]`, so any name a tar member can hold survives); a file's line
// goes on with where its member can be read from (`frame, within`: the compressed offset of the frame
// its tar header starts in, and the header's position in that frame's uncompressed bytes), so that one
// file is restored by inflating from that frame on instead of from the archive's start. Indexes written
// before that lack the two numbers. A file with one name then has the inode and ctime it had when it was
// read (`"ino", "ctimeNs"`, as digits): a rollback keeps the shop's file that is still that inode with
// that ctime without reading it (live-identity.ts); indexes written before lack them. A folder's or a
// symlink's line goes on with its mode, uid and gid, and a symlink's with its target
// (`[path, type, 0, mtimeNs, mode, uid, gid(, target)]`): with them a rollback that keeps most files makes
// the tree from the index and inflates only the frames of the files it writes (members-from-index.ts); indexes
// written before lack them. A restore drill
// compares the restored files with it; browsing a backup lists a folder from it without inflating the
// archive. The CRC-32 is zlib's (node:zlib crc32), computed where the bytes already pass: the tree
// reader's thread for small files, the packer for big ones; it catches damage, not an attacker (the
// archive's sha256 in the manifest does that; a rollback believes the index's inodes and ctimes only when
// the index is the one the manifest names).
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { promisify } from 'node:util';
import { createGunzip, crc32, gunzip, gzip } from 'node:zlib';
import { AtomicFile } from './atomic-file.js';
import type { FrameLocation } from './codec/frame-table.js';

export type IndexedType = 'file' | 'hardlink' | 'dir' | 'symlink';

export interface FileIndexEntry {
  path: string;
  type: IndexedType;
  /** A file's bytes; a hard link's are its file's (the tar member holds none). 0 for folders and symlinks. */
  size: number;
  mtimeNs: bigint;
  /** Files and hard links only. */
  crc32?: number;
  /** Files only, in indexes that record it: where the file's member can be read from (see the header). */
  at?: FrameLocation;
  /**
   * Files with one name, in indexes that record it (after the location): the inode the file was, and its
   * ctime, when its bytes were read for the archive.
   */
  identity?: { ino: bigint; ctimeNs: bigint };
  /** Folders and symlinks, in indexes that record it: what their tar header holds besides the path and mtime. */
  meta?: EntryMeta;
}

/** A folder's or symlink's mode (07777), owner and, for a symlink, its target (verbatim). */
export interface EntryMeta {
  mode: number;
  uid: number;
  gid: number;
  target?: string;
}

/** Where a position of the archive's uncompressed tar stream can be read from, once known (FrameTable.locate). */
export type Locator = (position: number) => FrameLocation | undefined;

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
  /**
   * Entries not written yet because a file before them (or they themselves) waits for its frame's
   * compressed offset, which is known once the frames before it are written: lines stay in archive order.
   */
  private waiting: { entry: FileIndexEntry; headerAt: number | undefined }[] = [];
  /** The first of `waiting` not written yet (the array is cut only now and then, not at every line). */
  private waitingFrom = 0;

  private constructor(
    private readonly out: AtomicFile,
    private readonly locate: Locator | undefined,
  ) {}

  /** `locate`: where a file's header can be read from (without it, lines carry no location). */
  static async create(finalPath: string, locate?: Locator): Promise<FileIndexWriter> {
    return new FileIndexWriter(await AtomicFile.create(finalPath), locate);
  }

  /** `headerAt`: where the entry's first header block starts in the uncompressed tar stream. */
  add(entry: FileIndexEntry, headerAt?: number): void {
    if (this.locate) {
      this.waiting.push({ entry, headerAt });
      this.writeLocated(false);
    } else this.addLine(entry);
  }

  /** Writes the waiting entries whose place is known, in order; `all`: the archive is written, every place is known. */
  private writeLocated(all: boolean): void {
    const waiting = this.waiting;
    let next = this.waitingFrom;
    for (; next < waiting.length; next++) {
      const { entry, headerAt } = waiting[next];
      if (entry.type !== 'file' || headerAt === undefined) {
        this.addLine(entry);
      } else {
        const at = this.locate?.(headerAt);
        if (!at && !all) break;
        this.addLine(entry, at);
      }
    }
    if (next === waiting.length) {
      waiting.length = 0;
      this.waitingFrom = 0;
    } else if (next > 4096) {
      this.waiting = waiting.slice(next);
      this.waitingFrom = 0;
    } else this.waitingFrom = next;
  }

  /** `at`: where a file's member can be read from, when it is not in the entry itself. */
  private addLine(entry: FileIndexEntry, at = entry.at): void {
    // What JSON.stringify of the line's array gives, without the array: the path is the only string
    // that may need escaping; the type is one of four words, the rest are numbers and digits.
    const identity = entry.identity ? `,"${entry.identity.ino}","${entry.identity.ctimeNs}"` : '';
    const checked = entry.crc32 === undefined ? '' : at ? `,${entry.crc32},${at.frame},${at.within}${identity}` : `,${entry.crc32}`;
    const tail = entry.meta ? metaText(entry.meta) : checked;
    this.text += `[${JSON.stringify(entry.path)},"${entry.type}",${entry.size},"${entry.mtimeNs}"${tail}]\n`;
    this.entries++;
    if (this.text.length >= MEMBER_TEXT) this.flush();
  }

  /**
   * Writes what is left (the archive is written by then: every file's place is known), flushes and
   * renames the file into place; its size, sha256 and entry count.
   */
  async commit(): Promise<{ size: number; sha256: string; entries: number }> {
    this.writeLocated(true);
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

/** The end of a folder's or symlink's line. */
function metaText(meta: EntryMeta): string {
  return `,${meta.mode},${meta.uid},${meta.gid}${meta.target === undefined ? '' : `,${JSON.stringify(meta.target)}`}`;
}

/** An index's lines as one text (its bytes inflated). */
export async function indexText(compressed: Buffer): Promise<string> {
  return (await gunzipAsync(compressed)).toString('utf8');
}

/** Parses an index's bytes, in archive order. A line that is not an index entry stops it with an error naming the line. */
export async function parseFileIndex(file: string, compressed: Buffer): Promise<FileIndexEntry[]> {
  const entries: FileIndexEntry[] = [];
  // An index is a few bytes per entry: read whole.
  const lines = (await indexText(compressed)).split('\n');
  lines.forEach((line, number) => {
    if (line !== '') entries.push(parseIndexLine(line, `${file}: line ${number + 1} is not an index entry`));
  });
  return entries;
}

/**
 * An index's entries one at a time, in archive order, inflated as they are taken: a drill of a tree of a
 * million files then holds neither the index's text nor an array of its entries (parsed whole, with the
 * drill's own lookup, that was some 400 MiB).
 */
export async function* readFileIndex(file: string, compressed: Buffer): AsyncGenerator<FileIndexEntry> {
  const inflating = createGunzip();
  inflating.end(compressed);
  const decoder = new StringDecoder('utf8');
  const problem = (number: number) => `${file}: line ${number} is not an index entry`;
  let number = 0;
  let rest = '';
  for await (const chunk of inflating as AsyncIterable<Buffer>) {
    const lines = (rest + decoder.write(chunk)).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      number++;
      if (line !== '') yield parseIndexLine(line, problem(number));
    }
  }
  rest += decoder.end();
  if (rest !== '') yield parseIndexLine(rest, problem(number + 1));
}

/** One line of an index; an error saying `problem` when it is not an index entry. */
export function parseIndexLine(line: string, problem: string): FileIndexEntry {
  const parsed = JSON.parse(line) as unknown;
  if (!Array.isArray(parsed)) throw new Error(problem);
  const [path, type, size, mtimeNs, crc, frame, within, ino, ctimeNs] = parsed as unknown[];
  if (typeof path !== 'string' || typeof type !== 'string' || !TYPES.has(type) || typeof size !== 'number' || typeof mtimeNs !== 'string' || !/^\d+$/.test(mtimeNs)) throw new Error(problem);
  if (type === 'dir' || type === 'symlink') return { path, type, size, mtimeNs: BigInt(mtimeNs), ...metaOf(type, parsed.slice(4), problem) };
  if (crc !== undefined && typeof crc !== 'number') throw new Error(problem);
  const located = frame !== undefined || within !== undefined;
  if (located && (type !== 'file' || !isOffset(frame) || !isOffset(within))) throw new Error(problem);
  const identified = ino !== undefined || ctimeNs !== undefined;
  if (identified && (!located || !isDigits(ino) || !isDigits(ctimeNs))) throw new Error(problem);
  return {
    path,
    type: type as IndexedType,
    size,
    mtimeNs: BigInt(mtimeNs),
    ...(crc === undefined ? {} : { crc32: crc }),
    ...(located ? { at: { frame: frame as number, within: within as number } } : {}),
    ...(identified ? { identity: { ino: BigInt(ino as string), ctimeNs: BigInt(ctimeNs as string) } } : {}),
  };
}

/** A folder's or symlink's fields after the mtime: none (an older index) or its mode, uid, gid and target. */
function metaOf(type: 'dir' | 'symlink', fields: unknown[], problem: string): { meta?: EntryMeta } {
  if (fields.length === 0) return {};
  const [mode, uid, gid, target] = fields;
  if (!isId(mode) || mode > 0o7777 || !isId(uid) || !isId(gid)) throw new Error(problem);
  if (type === 'symlink' ? typeof target !== 'string' || fields.length !== 4 : fields.length !== 3) throw new Error(problem);
  return { meta: { mode, uid, gid, ...(type === 'symlink' ? { target: target as string } : {}) } };
}

const isId = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

const isDigits = (value: unknown): value is string => typeof value === 'string' && /^\d+$/.test(value);

const isOffset = (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

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
