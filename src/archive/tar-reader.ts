// A streaming tar reader: yields each member's header and a stream of its data, reading the archive
// once and holding at most one input chunk in memory. Understands ustar, pax ('x' and global 'g'
// headers) and GNU tar's base-256 numbers and 'L'/'K' long names. Anything it cannot parse, a
// truncated archive, or data after the end-of-archive marker is an error: a backup is either whole or
// refused.
import {
  BLOCK,
  decodeName,
  decodeRawHeader,
  isZeroBlock,
  parsePaxRecords,
  parsePaxTime,
  TarFormatError,
  toSafeNumber,
  typeOf,
  type TarHeader,
} from './tar-header.js';

export { TarFormatError } from './tar-header.js';

export interface TarMember {
  header: TarHeader;
  /** The member's data (regular files only). Reading it is optional: what is left is skipped. */
  body: AsyncIterable<Buffer>;
  /** Byte offset of the member's first header block in the uncompressed tar stream. */
  offset: number;
  /**
   * All of a file's data when it was at hand already (most small files): what `body` yields, without
   * waiting for it. A view into the input; like `body`'s pieces, valid until the next member is asked for.
   */
  data?: Buffer;
}

/** Extended headers and long names are small; a huge one is a broken or hostile archive. */
const MAX_EXTENDED_HEADER = 1 << 20;

class ByteSource {
  private chunks: Buffer[] = [];
  /**
   * Where the unread bytes of the first chunk start. The first chunk is not cut down to its rest at every
   * take (a view per header, per small file and per padding skipped, all garbage for the collector).
   */
  private at = 0;
  private buffered = 0;
  private ended = false;
  /** Bytes handed out so far. */
  position = 0;
  private readonly iterator: AsyncIterator<Buffer>;

  constructor(source: AsyncIterable<Buffer>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  private async fill(wanted: number): Promise<boolean> {
    while (this.buffered < wanted && !this.ended) {
      const next = await this.iterator.next();
      if (next.done) this.ended = true;
      else if (next.value.length > 0) {
        this.chunks.push(next.value);
        this.buffered += next.value.length;
      }
    }
    return this.buffered >= wanted;
  }

  /** Up to `max` bytes (at least one), as they come; throws at the end of the input. */
  async next(max: number): Promise<Buffer> {
    if (this.buffered === 0 && !(await this.fill(1))) throw new TarFormatError('the archive is truncated (it ends inside a member)');
    return this.cut(Math.min(max, this.chunks[0].length - this.at));
  }

  /**
   * Exactly `length` bytes (at least one) when the first buffered chunk holds them, at once; undefined
   * otherwise (then `read` waits for more). Most headers and small files are inside one inflated chunk:
   * taking them without a promise each is a tenth less work for the thread that parses.
   */
  takeBuffered(length: number): Buffer | undefined {
    const first = this.chunks[0];
    return first !== undefined && first.length - this.at >= length ? this.cut(length) : undefined;
  }

  /** Skips `length` bytes at once when they are buffered; false (nothing skipped) when they are not. */
  skipBuffered(length: number): boolean {
    if (length === 0) return true;
    const first = this.chunks[0];
    if (first === undefined || first.length - this.at < length) return false;
    this.advance(first, length);
    return true;
  }

  /** The first `length` unread bytes of the first chunk (which holds at least that many). */
  private cut(length: number): Buffer {
    const first = this.chunks[0];
    const from = this.at;
    const piece = from === 0 && length === first.length ? first : first.subarray(from, from + length);
    this.advance(first, length);
    return piece;
  }

  private advance(first: Buffer, length: number): void {
    this.at += length;
    if (this.at === first.length) {
      this.chunks.shift();
      this.at = 0;
    }
    this.buffered -= length;
    this.position += length;
  }

  /**
   * Exactly `length` bytes; null when the input ends cleanly before the first of them. (Callers try
   * takeBuffered first: this waits for more input.)
   */
  async read(length: number): Promise<Buffer | null> {
    if (!(await this.fill(length))) {
      if (this.buffered === 0) return null;
      throw new TarFormatError('the archive is truncated (it ends inside a header)');
    }
    const parts: Buffer[] = [];
    for (let left = length; left > 0; ) {
      const piece = await this.next(left);
      parts.push(piece);
      left -= piece.length;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, length);
  }

  /** Skips `length` bytes, waiting for input as needed (callers try skipBuffered first). */
  async skip(length: number): Promise<void> {
    for (let left = length; left > 0; ) left -= (await this.next(left)).length;
  }

  /** Reads to the end of the input, which must hold nothing but zeros. */
  async drainZeros(): Promise<void> {
    for (;;) {
      if (this.buffered === 0 && !(await this.fill(1))) return;
      const piece = await this.next(Number.MAX_SAFE_INTEGER);
      if (!isZeroBlock(piece)) throw new TarFormatError('there is data after the end-of-archive marker');
    }
  }
}

const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK;

async function readExtended(source: ByteSource, size: number, what: string): Promise<Buffer> {
  if (size > MAX_EXTENDED_HEADER) throw new TarFormatError(`${what} of ${size} bytes is too large`);
  const data = size === 0 ? Buffer.alloc(0) : (source.takeBuffered(size) ?? (await source.read(size)) ?? Buffer.alloc(0));
  if (data.length !== size) throw new TarFormatError('the archive is truncated (it ends inside an extended header)');
  if (!source.skipBuffered(padding(size))) await source.skip(padding(size));
  return data;
}

function stripNul(data: Buffer): Buffer {
  const end = data.indexOf(0);
  return end === -1 ? data : data.subarray(0, end);
}

function paxNumber(value: string, what: string): bigint {
  if (!/^\d+$/.test(value)) throw new TarFormatError(`bad pax ${what} "${value}"`);
  return BigInt(value);
}

function hasSparseKey(records: Map<string, string>): boolean {
  if (records.size === 0) return false;
  for (const key of records.keys()) if (key.startsWith('GNU.sparse.')) return true;
  return false;
}

/** A member's pax record: its own, else the archive's global one. */
const paxOf = (local: Map<string, string>, globals: Map<string, string>, key: string) => local.get(key) ?? globals.get(key);

/** A directory's stored path without its trailing slashes (a lone `/` stays). */
function withoutTrailingSlashes(stored: string): string {
  let end = stored.length;
  while (end > 1 && stored.charCodeAt(end - 1) === 0x2f) end--;
  if (end === stored.length) return stored;
  // As the expression this replaces, /(.)\/+$/, which a line terminator before the slashes escapes.
  return /[\n\r\u2028\u2029]/.test(stored[end - 1]) ? stored.replace(/(.)\/+$/, '$1') : stored.slice(0, end);
}

/**
 * A member's data as it is read (an object of its own rather than a generator closure per member).
 * `remaining` is what is still unread; the reader skips it when the next member is asked for.
 */
class MemberBody implements AsyncIterable<Buffer> {
  constructor(
    private readonly source: ByteSource,
    private readonly data: Buffer | undefined,
    public remaining: number,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    if (this.data) yield this.data;
    while (this.remaining > 0) {
      const piece = await this.source.next(this.remaining);
      this.remaining -= piece.length;
      yield piece;
    }
  }
}

/** Iterates over the members of an uncompressed tar stream. */
export async function* readTar(input: AsyncIterable<Buffer>): AsyncGenerator<TarMember> {
  const source = new ByteSource(input);
  const globals = new Map<string, string>();
  const local = new Map<string, string>();
  let longName: Buffer | undefined;
  let longLink: Buffer | undefined;
  let uname: string | undefined;
  let gname: string | undefined;
  for (;;) {
    const offset = source.position;
    const block = source.takeBuffered(BLOCK) ?? (await source.read(BLOCK));
    if (block === null) throw new TarFormatError('the archive ends without its end-of-archive marker (truncated)');
    if (isZeroBlock(block)) {
      if (local.size || longName || longLink) throw new TarFormatError('the archive ends right after an extended header');
      await source.drainZeros();
      return;
    }
    const raw = decodeRawHeader(block);
    const rawSize = toSafeNumber(raw.size, 'size');
    if (raw.typeflag === 'x' || raw.typeflag === 'g') {
      parsePaxRecords(await readExtended(source, rawSize, 'a pax header'), raw.typeflag === 'x' ? local : globals);
      continue;
    }
    if (raw.typeflag === 'L' || raw.typeflag === 'K') {
      const value = stripNul(await readExtended(source, rawSize, 'a GNU long name'));
      if (raw.typeflag === 'L') longName = value;
      else longLink = value;
      continue;
    }
    // Names are decoded straight from the block (pathText, unameText), and the user and group names of
    // the member before are reused when their bytes match: most headers are alike but for the path.
    const storedPath = local.get('path') ?? (longName ? decodeName(longName, 'member name') : raw.pathText());
    // Only links have a target (the field of any other member is not even looked at).
    const isLink = raw.typeflag === '1' || raw.typeflag === '2';
    const linkname = local.get('linkpath') ?? (isLink || longLink ? decodeName(longLink ?? raw.linkname, 'link target of ' + storedPath) : '');
    const sizeText = local.get('size');
    const size = sizeText === undefined ? rawSize : toSafeNumber(paxNumber(sizeText, 'size'), 'size');
    const uid = paxOf(local, globals, 'uid');
    const gid = paxOf(local, globals, 'gid');
    const mtime = paxOf(local, globals, 'mtime');
    let type = typeOf(raw.typeflag);
    // Before ustar, directories were regular-file members whose name ends with a slash.
    if (type === 'file' && storedPath.endsWith('/') && (raw.typeflag === '\0' || raw.typeflag === '0')) type = 'dir';
    const path = type === 'dir' ? withoutTrailingSlashes(storedPath) : storedPath;
    const sparse = raw.typeflag === 'S' || hasSparseKey(local);
    uname = paxOf(local, globals, 'uname') ?? raw.unameText(uname);
    gname = paxOf(local, globals, 'gname') ?? raw.gnameText(gname);
    const header: TarHeader = {
      path,
      type: sparse ? 'other' : type,
      mode: raw.mode,
      uid: toSafeNumber(uid === undefined ? raw.uid : paxNumber(uid, 'uid'), 'uid'),
      gid: toSafeNumber(gid === undefined ? raw.gid : paxNumber(gid, 'gid'), 'gid'),
      uname,
      gname,
      size: type === 'file' || type === 'other' ? size : 0,
      mtimeNs: mtime === undefined ? BigInt(raw.mtime) * 1_000_000_000n : parsePaxTime(mtime),
      typeflag: sparse ? 'S (GNU sparse file)' : raw.typeflag,
    };
    if (linkname) header.linkname = linkname;
    // The records were this member's alone: emptied for the next (a map per member was garbage).
    local.clear();
    longName = undefined;
    longLink = undefined;
    // POSIX: links, devices, FIFOs and directories have no data blocks, whatever their size field says.
    const dataSize = '123456'.includes(raw.typeflag) ? 0 : size;
    const wanted = header.type === 'file' ? dataSize : 0;
    const data = wanted > 0 ? source.takeBuffered(wanted) : undefined;
    const body = new MemberBody(source, data, data ? 0 : wanted);
    yield data ? { header, body, offset, data } : { header, body, offset };
    const rest = body.remaining + (header.type === 'file' ? 0 : dataSize) + padding(dataSize);
    if (!source.skipBuffered(rest)) await source.skip(rest);
    body.remaining = 0;
  }
}
