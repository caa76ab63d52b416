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
    return this.cut(Math.min(max, this.chunks[0].length));
  }

  /**
   * Exactly `length` bytes (at least one) when the first buffered chunk holds them, at once; undefined
   * otherwise (then `read` waits for more). Most headers and small files are inside one inflated chunk:
   * taking them without a promise each is a tenth less work for the thread that parses.
   */
  takeBuffered(length: number): Buffer | undefined {
    const first = this.chunks[0];
    return first !== undefined && first.length >= length ? this.cut(length) : undefined;
  }

  /** Skips `length` bytes at once when they are buffered; false (nothing skipped) when they are not. */
  skipBuffered(length: number): boolean {
    return length === 0 || this.takeBuffered(length) !== undefined;
  }

  /** The first `length` bytes of the first chunk (which holds at least that many). */
  private cut(length: number): Buffer {
    const first = this.chunks[0];
    let piece: Buffer;
    if (first.length === length) {
      piece = first;
      this.chunks.shift();
    } else {
      piece = first.subarray(0, length);
      this.chunks[0] = first.subarray(length);
    }
    this.buffered -= length;
    this.position += length;
    return piece;
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
  for (const key of records.keys()) if (key.startsWith('GNU.sparse.')) return true;
  return false;
}

/** Iterates over the members of an uncompressed tar stream. */
export async function* readTar(input: AsyncIterable<Buffer>): AsyncGenerator<TarMember> {
  const source = new ByteSource(input);
  const globals = new Map<string, string>();
  let local = new Map<string, string>();
  let longName: Buffer | undefined;
  let longLink: Buffer | undefined;
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
      const records = parsePaxRecords(await readExtended(source, rawSize, 'a pax header'));
      const target = raw.typeflag === 'x' ? local : globals;
      for (const [key, value] of records) target.set(key, value);
      continue;
    }
    if (raw.typeflag === 'L' || raw.typeflag === 'K') {
      const value = stripNul(await readExtended(source, rawSize, 'a GNU long name'));
      if (raw.typeflag === 'L') longName = value;
      else longLink = value;
      continue;
    }
    const pax = (key: string) => local.get(key) ?? globals.get(key);
    const storedPath = local.get('path') ?? (longName ? decodeName(longName, 'member name') : decodeName(raw.path, 'member name'));
    // Only links have a target (the field of any other member is not even looked at).
    const isLink = raw.typeflag === '1' || raw.typeflag === '2';
    const linkname = local.get('linkpath') ?? (isLink || longLink ? decodeName(longLink ?? raw.linkname, 'link target of ' + storedPath) : '');
    const sizeText = local.get('size');
    const size = sizeText === undefined ? rawSize : toSafeNumber(paxNumber(sizeText, 'size'), 'size');
    const uid = pax('uid');
    const gid = pax('gid');
    const mtime = pax('mtime');
    let type = typeOf(raw.typeflag);
    // Before ustar, directories were regular-file members whose name ends with a slash.
    if (type === 'file' && storedPath.endsWith('/') && (raw.typeflag === '\0' || raw.typeflag === '0')) type = 'dir';
    const path = type === 'dir' ? storedPath.replace(/(.)\/+$/, '$1') : storedPath;
    const sparse = raw.typeflag === 'S' || hasSparseKey(local);
    const header: TarHeader = {
      path,
      type: sparse ? 'other' : type,
      mode: raw.mode,
      uid: toSafeNumber(uid === undefined ? raw.uid : paxNumber(uid, 'uid'), 'uid'),
      gid: toSafeNumber(gid === undefined ? raw.gid : paxNumber(gid, 'gid'), 'gid'),
      uname: pax('uname') ?? decodeName(raw.uname, 'user name'),
      gname: pax('gname') ?? decodeName(raw.gname, 'group name'),
      size: type === 'file' || type === 'other' ? size : 0,
      mtimeNs: mtime === undefined ? BigInt(raw.mtime) * 1_000_000_000n : parsePaxTime(mtime),
      ...(linkname ? { linkname } : {}),
      typeflag: sparse ? 'S (GNU sparse file)' : raw.typeflag,
    };
    local = new Map();
    longName = undefined;
    longLink = undefined;
    // POSIX: links, devices, FIFOs and directories have no data blocks, whatever their size field says.
    const dataSize = '123456'.includes(raw.typeflag) ? 0 : size;
    let remaining = header.type === 'file' ? dataSize : 0;
    const data = remaining > 0 ? source.takeBuffered(remaining) : undefined;
    if (data) remaining = 0;
    const body: AsyncIterable<Buffer> = {
      async *[Symbol.asyncIterator]() {
        if (data) yield data;
        while (remaining > 0) {
          const piece = await source.next(remaining);
          remaining -= piece.length;
          yield piece;
        }
      },
    };
    yield data ? { header, body, offset, data } : { header, body, offset };
    const rest = remaining + (header.type === 'file' ? 0 : dataSize) + padding(dataSize);
    if (!source.skipBuffered(rest)) await source.skip(rest);
    remaining = 0;
  }
}
