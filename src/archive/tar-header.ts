// Tar headers: POSIX ustar blocks, with pax extended headers ('x') for what ustar cannot hold (paths
// over 100/255 bytes, non-ASCII names, sizes of 8 GiB and more, uid/gid over 2097151, sub-second
// mtimes). Decoding also understands GNU tar's base-256 numbers and its old-style 'L'/'K' long names
// (written by GNU tar's default format and by Magento), so archives from either can be read back.
import { isAscii as isAsciiBytes } from 'node:buffer';

export const BLOCK = 512;

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'dir' | 'chardev' | 'blockdev' | 'fifo' | 'other';

/** One archive member as Lifeboat sees it (after pax and GNU long-name records are applied). */
export interface TarHeader {
  /** The path as stored: '/'-separated, no trailing slash for directories when writing. */
  path: string;
  type: TarEntryType;
  /** Permission bits (07777). */
  mode: number;
  uid: number;
  gid: number;
  uname?: string;
  gname?: string;
  /** Bytes of data that follow the header (0 for everything but regular files). */
  size: number;
  /** Modification time in nanoseconds since the epoch. */
  mtimeNs: bigint;
  /** Symlink target (verbatim) or hard link target (an earlier member's path). */
  linkname?: string;
  /** The raw typeflag, for messages about members Lifeboat does not restore. */
  typeflag?: string;
  /**
   * An incremental backup's file that the live shop still has, the very same (its inode and ctime as the
   * backup recorded them): no data follows, the extraction hard-links the live file (live-reuse.ts).
   */
  kept?: { inode: number };
}

const TYPEFLAGS: Record<string, TarEntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file', // contiguous file: a regular file everywhere that matters
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'chardev',
  '4': 'blockdev',
  '5': 'dir',
  '6': 'fifo',
};
const FLAG_OF: Record<'file' | 'hardlink' | 'symlink' | 'dir', string> = { file: '0', hardlink: '1', symlink: '2', dir: '5' };

const OCTAL_MAX_7 = 0o7777777; // uid, gid in 8-byte fields
const OCTAL_MAX_11 = 0o77777777777; // size, mtime in 12-byte fields: 8 GiB - 1
const NS = 1_000_000_000n;

// ---------------------------------------------------------------------------------------------- encoding

function writeString(block: Buffer, offset: number, length: number, value: string): void {
  // Cuts at `length` bytes (never inside a character); fields that do not fit are in the pax header.
  if (value.length > 0) block.write(value, offset, length, 'utf8');
}

/**
 * `value` (at most length-1 octal digits) as zero-padded octal digits and a NUL, written digit by digit:
 * a string per field (toString, padStart, the NUL) was most of what a tree's headers left for the
 * garbage collector.
 */
function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  block[offset + length - 1] = 0;
  for (let i = offset + length - 2, v = value; i >= offset; i--, v = Math.floor(v / 8)) block[i] = 0x30 + (v % 8);
}

/** GNU base-256: first byte 0x80 (0xff for negative), then the two's complement big-endian value. */
function writeBase256(block: Buffer, offset: number, length: number, value: bigint): void {
  let v = value < 0n ? (1n << BigInt(8 * length)) + value : value;
  for (let i = length - 1; i >= 1; i--) {
    block[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  block[offset] = value < 0n ? 0xff : 0x80;
}

function writeNumber(block: Buffer, offset: number, length: number, value: number | bigint, octalMax: number): void {
  if (value >= 0 && value <= octalMax) writeOctal(block, offset, length, Number(value));
  else writeBase256(block, offset, length, BigInt(value));
}

function isAscii(value: string): boolean {
  return /^[\x20-\x7e]*$/.test(value);
}

/** Splits an ASCII path into ustar's prefix (155 bytes) and name (100 bytes), or undefined. */
function splitUstarPath(path: string): { prefix: string; name: string } | undefined {
  if (!isAscii(path)) return undefined;
  if (path.length <= 100) return { prefix: '', name: path };
  // The slash between prefix and name is not stored; the name part must not be empty.
  for (let i = Math.min(155, path.length - 2); i >= path.length - 101 && i > 0; i--) {
    if (path[i] === '/') return { prefix: path.slice(0, i), name: path.slice(i + 1) };
  }
  return undefined;
}

/** `<length> <key>=<value>\n`, where the length counts the whole record including its own digits. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLength = Buffer.byteLength(body, 'utf8');
  let length = bodyLength + String(bodyLength).length;
  if (String(length).length !== String(length - bodyLength).length) length = bodyLength + String(length).length;
  return `${length}${body}`;
}

/** Seconds with up to nine decimals, as pax writes times: "1732443600.123456789", "-1.5". */
export function formatPaxTime(ns: bigint): string {
  if (ns >= NS) {
    // The usual case, a time after 1970: the digits once, cut (no bigint arithmetic per member).
    const digits = ns.toString();
    let end = digits.length;
    while (end > digits.length - 9 && digits.charCodeAt(end - 1) === 0x30) end--;
    const seconds = digits.slice(0, -9);
    return end > digits.length - 9 ? `${seconds}.${digits.slice(-9, end)}` : seconds;
  }
  const negative = ns < 0n;
  const abs = negative ? -ns : ns;
  const seconds = abs / NS;
  const fraction = (abs % NS).toString().padStart(9, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${seconds}${fraction ? `.${fraction}` : ''}`;
}

export function parsePaxTime(value: string): bigint {
  // The usual form, "seconds.fraction" in digits alone (every member Lifeboat writes has one), read
  // without a regular expression, its match and two strings per member.
  const dot = value.indexOf('.');
  const whole = dot === -1 ? value.length : dot;
  if (whole > 0 && whole <= 15 && value.length - whole <= 10 && allDigits(value, 0, whole) && allDigits(value, whole + 1, value.length)) {
    let fraction = 0;
    for (let i = whole + 1; i < whole + 10; i++) fraction = fraction * 10 + (i < value.length ? value.charCodeAt(i) - 0x30 : 0);
    let seconds = 0;
    for (let i = 0; i < whole; i++) seconds = seconds * 10 + (value.charCodeAt(i) - 0x30);
    return BigInt(seconds) * NS + BigInt(fraction);
  }
  const match = /^(-?)(\d+)(?:\.(\d*))?$/.exec(value.trim());
  if (!match) throw new TarFormatError(`bad pax time "${value}"`);
  const fraction = (match[3] ?? '').slice(0, 9).padEnd(9, '0');
  const ns = BigInt(match[2]) * NS + BigInt(fraction);
  return match[1] ? -ns : ns;
}

function allDigits(value: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function floorDiv(ns: bigint): bigint {
  const q = ns / NS;
  return ns < 0n && q * NS !== ns ? q - 1n : q;
}

/**
 * A plain ustar header block, written into `block` (512 zero bytes). `path` must already fit (the caller
 * puts the real one in pax).
 */
function ustarBlock(fields: {
  name: string;
  prefix: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: bigint;
  typeflag: string;
  linkname: string;
  uname: string;
  gname: string;
}, block: Buffer): Buffer {
  writeString(block, 0, 100, fields.name);
  writeOctal(block, 100, 8, fields.mode & 0o7777);
  writeNumber(block, 108, 8, fields.uid, OCTAL_MAX_7);
  writeNumber(block, 116, 8, fields.gid, OCTAL_MAX_7);
  writeNumber(block, 124, 12, fields.size, OCTAL_MAX_11);
  writeNumber(block, 136, 12, fields.mtime, OCTAL_MAX_11);
  block.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  block.write(fields.typeflag, 156, 1, 'latin1');
  writeString(block, 157, 100, fields.linkname);
  block.write('ustar\0', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  writeString(block, 265, 32, fields.uname);
  writeString(block, 297, 32, fields.gname);
  writeOctal(block, 329, 8, 0);
  writeOctal(block, 337, 8, 0);
  writeString(block, 345, 155, fields.prefix);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i];
  writeOctal(block, 148, 7, sum); // six digits and a NUL; the space after them stays from the fill
  return block;
}

/** A printable ASCII stand-in of at most `max` bytes, for the ustar fields that pax overrides. */
function asciiFallback(value: string, max: number): string {
  if (value.length <= max && isAscii(value)) return value;
  return value.replace(/[^\x20-\x7e]/g, '_').slice(-max);
}

/**
 * The header blocks of one member: a pax extended header when ustar cannot hold the member exactly,
 * then the ustar header. The result is a whole number of 512-byte blocks, written into `scratch` when
 * they fit (a new buffer per member was one more thing for the collector per file of a tree).
 */
export function encodeHeader(header: TarHeader, scratch?: Buffer): Buffer {
  if (header.type !== 'file' && header.type !== 'hardlink' && header.type !== 'symlink' && header.type !== 'dir') {
    throw new Error(`cannot write a ${header.type} member (${header.path})`);
  }
  const stored = header.type === 'dir' ? `${header.path}/` : header.path;
  const linkname = header.linkname ?? '';
  const size = header.type === 'file' ? header.size : 0;
  const seconds = floorDiv(header.mtimeNs);
  const pax: string[] = [];
  const split = splitUstarPath(stored);
  if (!split) pax.push(paxRecord('path', stored));
  if (!isAscii(linkname) || Buffer.byteLength(linkname) > 100) pax.push(paxRecord('linkpath', linkname));
  if (size > OCTAL_MAX_11) pax.push(paxRecord('size', String(size)));
  if (header.uid > OCTAL_MAX_7) pax.push(paxRecord('uid', String(header.uid)));
  if (header.gid > OCTAL_MAX_7) pax.push(paxRecord('gid', String(header.gid)));
  if (header.mtimeNs % NS !== 0n || seconds < 0n || seconds > BigInt(OCTAL_MAX_11)) pax.push(paxRecord('mtime', formatPaxTime(header.mtimeNs)));
  const uname = header.uname ?? '';
  const gname = header.gname ?? '';
  if (!isAscii(uname) || uname.length > 32) pax.push(paxRecord('uname', uname));
  if (!isAscii(gname) || gname.length > 32) pax.push(paxRecord('gname', gname));
  // One zeroed buffer for all blocks: a Buffer.alloc per block was a measurable part of packing a tree.
  // The pax records are written straight into it, after their header block.
  const paxText = pax.length === 0 ? undefined : pax.length === 1 ? pax[0] : pax.join('');
  const paxLength = paxText === undefined ? 0 : Buffer.byteLength(paxText, 'utf8');
  const paxBytes = paxText === undefined ? 0 : BLOCK + Math.ceil(paxLength / BLOCK) * BLOCK;
  const blocks = scratch && scratch.length >= paxBytes + BLOCK ? scratch.subarray(0, paxBytes + BLOCK).fill(0) : Buffer.alloc(paxBytes + BLOCK);
  ustarBlock({
    name: split ? split.name : asciiFallback(stored, 100),
    prefix: split ? split.prefix : '',
    mode: header.mode,
    uid: header.uid,
    gid: header.gid,
    size,
    mtime: seconds,
    typeflag: FLAG_OF[header.type],
    linkname: isAscii(linkname) ? linkname.slice(0, 100) : asciiFallback(linkname, 100),
    uname: asciiFallback(uname, 32),
    gname: asciiFallback(gname, 32),
  }, blocks.subarray(paxBytes));
  if (paxText === undefined) return blocks;
  const name = stored.endsWith('/') ? stored.slice(0, -1) : stored;
  const base = name.slice(name.lastIndexOf('/') + 1);
  ustarBlock({
    name: asciiFallback(`PaxHeaders/${base}`, 100),
    prefix: '',
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: paxLength,
    mtime: seconds < 0n ? 0n : seconds,
    typeflag: 'x',
    linkname: '',
    uname: '',
    gname: '',
  }, blocks);
  blocks.write(paxText, BLOCK, paxLength, 'utf8');
  return blocks;
}

// ---------------------------------------------------------------------------------------------- decoding

export class TarFormatError extends Error {}

/**
 * A numeric field's value: a number for octal (at most 12 digits, 36 bits: exact in a double; a BigInt
 * per field was garbage for every member), a bigint for GNU's base-256, which may not fit a double.
 */
export type TarNumber = number | bigint;

/**
 * The fields of one raw 512-byte header, before pax or GNU long names are applied. The name fields are
 * views into the block, cut when first asked for (a pax header's never are): decode them before the
 * block's memory is reused.
 */
export class RawHeader {
  constructor(
    private readonly block: Buffer,
    readonly mode: number,
    readonly uid: TarNumber,
    readonly gid: TarNumber,
    readonly size: TarNumber,
    readonly mtime: TarNumber,
    readonly typeflag: string,
  ) {}

  get path(): Buffer {
    const name = cString(this.block, 0, 100);
    // Only POSIX ustar has a prefix field; GNU's "ustar  " keeps other things (atime, ctime) there.
    const prefix = isPosixUstar(this.block) ? cString(this.block, 345, 155) : undefined;
    return prefix?.length ? Buffer.concat([prefix, Buffer.from('/'), name]) : name;
  }

  /**
   * The member's name as decodeName gives it for `path`: for an ASCII name straight from the block,
   * without a view of each field or a joined copy (three objects per member, all garbage).
   */
  pathText(): string {
    const name = asciiField(this.block, 0, 100);
    if (name === undefined) return decodeName(this.path, 'member name');
    if (!isPosixUstar(this.block) || this.block[345] === 0) return name;
    const prefix = asciiField(this.block, 345, 155);
    return prefix === undefined ? decodeName(this.path, 'member name') : `${prefix}/${name}`;
  }

  /** The user name as decodeName gives it; `previous` (the last member's, usually the same) is reused when the bytes match. */
  unameText(previous?: string): string {
    return sameField(this.block, 265, 32, previous) ? (previous as string) : (asciiField(this.block, 265, 32) ?? decodeName(this.uname, 'user name'));
  }

  /** The group name, as unameText. */
  gnameText(previous?: string): string {
    return sameField(this.block, 297, 32, previous) ? (previous as string) : (asciiField(this.block, 297, 32) ?? decodeName(this.gname, 'group name'));
  }

  get linkname(): Buffer {
    return cString(this.block, 157, 100);
  }

  get uname(): Buffer {
    return cString(this.block, 265, 32);
  }

  get gname(): Buffer {
    return cString(this.block, 297, 32);
  }
}

function cString(block: Buffer, offset: number, length: number): Buffer {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return end === -1 ? field : field.subarray(0, end);
}

/** A NUL-ended field's text when it is all ASCII (latin1 is then the same string as UTF-8); undefined otherwise. */
function asciiField(block: Buffer, offset: number, length: number): string | undefined {
  let end = offset;
  for (const limit = offset + length; end < limit && block[end] !== 0; end++) if (block[end] > 0x7f) return undefined;
  return block.toString('latin1', offset, end);
}

/** Whether a NUL-ended field holds exactly `text`, as ASCII (a byte past 0x7f never matches, so neither does a name that is not). */
function sameField(block: Buffer, offset: number, length: number, text: string | undefined): boolean {
  if (text === undefined || text.length > length) return false;
  for (let i = 0; i < text.length; i++) {
    const byte = block[offset + i];
    if (byte > 0x7f || byte !== text.charCodeAt(i)) return false;
  }
  return text.length === length || block[offset + text.length] === 0;
}

const isPad = (byte: number) => byte === 0 || byte === 0x20;

/**
 * A numeric field: octal digits between optional spaces or NULs (read byte by byte: a string, two
 * regular expressions and a BigInt parse per field were a tenth of a tree rollback's main thread), or
 * GNU's base-256 for values octal cannot hold.
 */
function readNumber(block: Buffer, offset: number, length: number, what: string): TarNumber {
  const end = offset + length;
  if (block[offset] & 0x80) {
    // Base-256: the bits after the marker bit are a two's complement big-endian number.
    let value = BigInt(block[offset] & 0x7f);
    for (let i = offset + 1; i < end; i++) value = (value << 8n) | BigInt(block[i]);
    if (block[offset] & 0x40) value -= 1n << BigInt(8 * length - 1);
    return value;
  }
  let at = offset;
  while (at < end && isPad(block[at])) at++;
  // At most 12 octal digits: 36 bits, exact in a double.
  let value = 0;
  for (; at < end && block[at] >= 0x30 && block[at] <= 0x37; at++) value = value * 8 + (block[at] - 0x30);
  for (; at < end; at++) {
    if (!isPad(block[at])) {
      const text = block.toString('latin1', offset, end).replace(/[\0 ]+$/, '').replace(/^[ \0]+/, '');
      throw new TarFormatError(`bad ${what} field "${text.replace(/[^\x20-\x7e]/g, '?')}"`);
    }
  }
  return value;
}

export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** The sum of a header block's bytes, its checksum field counted as spaces; `signed` as old tars did. */
function checksumOf(block: Buffer, signed: boolean): number {
  let sum = 8 * 0x20;
  // Two plain loops around the field: half the time of one loop that skips it.
  for (let i = 0; i < 148; i++) sum += block[i];
  for (let i = 156; i < BLOCK; i++) sum += block[i];
  if (signed) for (let i = 0; i < BLOCK; i++) if (block[i] > 127 && (i < 148 || i >= 156)) sum -= 256;
  return sum;
}

/** Whether the magic field says POSIX ustar ("ustar" and a NUL), the only format with a prefix field. */
const isPosixUstar = (block: Buffer) =>
  block[257] === 0x75 && block[258] === 0x73 && block[259] === 0x74 && block[260] === 0x61 && block[261] === 0x72 && block[262] === 0;

/**
 * Parses one header block; throws TarFormatError when its checksum or a number is wrong. The name fields
 * are views into `block`, made when asked for (a copy of each was a measurable part of a tree rollback).
 */
export function decodeRawHeader(block: Buffer): RawHeader {
  const stored = Number(readNumber(block, 148, 8, 'checksum'));
  if (checksumOf(block, false) !== stored && checksumOf(block, true) !== stored) throw new TarFormatError('bad header checksum (not a tar archive, or damaged)');
  const mode = readNumber(block, 100, 8, 'mode');
  return new RawHeader(
    block,
    typeof mode === 'bigint' ? Number(mode & 0o7777n) : mode % 0o10000,
    readNumber(block, 108, 8, 'uid'),
    readNumber(block, 116, 8, 'gid'),
    readNumber(block, 124, 12, 'size'),
    readNumber(block, 136, 12, 'mtime'),
    String.fromCharCode(block[156]),
  );
}

/**
 * Parses pax extended header data into key/value pairs (later keys win, as in the standard), added to
 * `records` when given (a reader's map of the next member's records: no map per member).
 */
export function parsePaxRecords(data: Buffer, records = new Map<string, string>()): Map<string, string> {
  let offset = 0;
  while (offset < data.length) {
    if (data[offset] === 0) break; // padding
    const space = data.indexOf(0x20, offset);
    const length = space === -1 ? NaN : Number(data.toString('latin1', offset, space));
    if (!Number.isInteger(length) || length <= 0 || offset + length > data.length || data[offset + length - 1] !== 0x0a) {
      throw new TarFormatError('bad pax extended header record');
    }
    const end = offset + length - 1;
    const equals = data.indexOf(0x3d, space + 1);
    if (equals === -1 || equals >= end) throw new TarFormatError('bad pax extended header record (no "=")');
    records.set(paxText(data, space + 1, equals, 'pax key'), paxText(data, equals + 1, end, 'pax value'));
    offset += length;
  }
  return records;
}

/** decodeName of data[from, to), without a view for ASCII text (every member of Lifeboat's archives has a pax mtime). */
function paxText(data: Buffer, from: number, to: number, what: string): string {
  for (let i = from; i < to; i++) if (data[i] > 0x7f) return decodeName(data.subarray(from, to), what);
  return data.toString('latin1', from, to);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 text of a name; a name that is not valid UTF-8 cannot be restored faithfully, so it is an error. */
export function decodeName(bytes: Buffer, what: string): string {
  // Most names are ASCII: read as latin1 they are the same string, several times faster than a strict decode.
  if (isAsciiBytes(bytes)) return bytes.toString('latin1');
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new TarFormatError(`${what} "${bytes.toString('latin1').replace(/[^\x20-\x7e]/g, '?')}" is not valid UTF-8`);
  }
}

export function typeOf(typeflag: string): TarEntryType {
  return TYPEFLAGS[typeflag] ?? 'other';
}

export function toSafeNumber(value: TarNumber, what: string): number {
  if (value < 0 || value > Number.MAX_SAFE_INTEGER) throw new TarFormatError(`${what} ${value} is out of range`);
  return Number(value);
}
