// The tar writer and reader against GNU tar: what Lifeboat writes, GNU tar lists and extracts exactly
// (long and non-ASCII paths, big ids, nanosecond mtimes, over 8 GiB); what GNU tar writes (ustar, pax,
// and its own format with 'L'/'K' long names), Lifeboat reads; broken archives are errors.
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, open, readFile, readlink, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { AtomicFile } from '../../src/archive/atomic-file.js';
import { FrameWriter, SAME_LEVEL } from '../../src/archive/codec/frame-writer.js';
import { gzip as gzipCodec } from '../../src/archive/codec/gzip.js';
import { BLOCK, decodeName, decodeRawHeader, encodeHeader, formatPaxTime, parsePaxTime, type TarHeader } from '../../src/archive/tar-header.js';
import { readTar, TarFormatError } from '../../src/archive/tar-reader.js';
import { TarWriter } from '../../src/archive/tar-writer.js';

const tmp = () => mkdtemp(path.join(tmpdir(), 'lifeboat-tar-'));

class MemoryOutput {
  chunks: Buffer[] = [];
  levels: (number | undefined)[] = [];
  async write(chunk: Buffer, level?: number): Promise<void> {
    this.chunks.push(Buffer.from(chunk));
    this.levels.push(level);
  }
  get buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

async function* once(buffer: Buffer): AsyncIterable<Buffer> {
  yield buffer;
}

async function* pieces(buffer: Buffer, size: number): AsyncIterable<Buffer> {
  for (let i = 0; i < buffer.length; i += size) yield buffer.subarray(i, i + size);
}

async function readAll(input: AsyncIterable<Buffer>): Promise<{ header: TarHeader; data: Buffer; atHand: boolean }[]> {
  const out: { header: TarHeader; data: Buffer; atHand: boolean }[] = [];
  for await (const member of readTar(input)) {
    // What `data` holds at once, `body` yields too.
    const atHand = member.data ? Buffer.from(member.data) : undefined;
    const parts: Buffer[] = [];
    for await (const chunk of member.body) parts.push(chunk);
    const data = Buffer.concat(parts);
    if (atHand) expect(atHand.equals(data)).toBe(true);
    out.push({ header: member.header, data, atHand: atHand !== undefined });
  }
  return out;
}

const LONG_DIR = `app/code/${'Vendor'.repeat(12)}/${'Module'.repeat(12)}`; // > 100 bytes, splits into prefix/name
const VERY_LONG = `${'deep/'.repeat(60)}file-${'x'.repeat(40)}.php`; // > 255 bytes: needs pax
const NS = 1_000_000_000n;

const members: { header: TarHeader; data?: Buffer }[] = [
  { header: { path: 'app', type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtimeNs: 1_700_000_000n * NS } },
  { header: { path: 'app/a.php', type: 'file', mode: 0o644, uid: 1000, gid: 1000, size: 5, mtimeNs: 1_700_000_000_123_456_789n }, data: Buffer.from('<?php') },
  { header: { path: 'app/empty', type: 'file', mode: 0o600, uid: 0, gid: 0, size: 0, mtimeNs: 1_600_000_000n * NS } },
  { header: { path: `${LONG_DIR}/registration.php`, type: 'file', mode: 0o640, uid: 3_000_000, gid: 2_500_000, size: 3, mtimeNs: 1_700_000_001n * NS }, data: Buffer.from('abc') },
  { header: { path: VERY_LONG, type: 'file', mode: 0o644, uid: 0, gid: 0, size: 1, mtimeNs: 1_700_000_002_5n * 100_000_000n }, data: Buffer.from('z') },
  { header: { path: 'pub/media/ümlaut façade ⚓.jpg', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 4, mtimeNs: 1_700_000_003n * NS }, data: Buffer.from([0xff, 0xd8, 0xff, 0xe0]) },
  { header: { path: 'app/link-rel', type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, mtimeNs: 1_700_000_004n * NS, linkname: '../pub/media' } },
  { header: { path: 'app/link-abs', type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, mtimeNs: 1_700_000_004n * NS, linkname: `/srv/${'very-long-target/'.repeat(8)}ziel-ä` } },
  { header: { path: 'app/a-hardlink.php', type: 'hardlink', mode: 0o644, uid: 1000, gid: 1000, size: 0, mtimeNs: 1_700_000_000_123_456_789n, linkname: 'app/a.php' } },
  { header: { path: "-dash 'quote' \"dq\"", type: 'file', mode: 0o4755, uid: 0, gid: 0, size: 2, mtimeNs: 0n }, data: Buffer.from('hi') },
  { header: { path: 'old', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtimeNs: -1_500_000_000n } },
  { header: { path: 'var/empty-dir', type: 'dir', mode: 0o700, uid: 0, gid: 0, size: 0, mtimeNs: 1_700_000_005n * NS } },
];

async function writeMembers(writer: TarWriter): Promise<void> {
  for (const { header, data } of members) {
    if (header.type === 'dir') await writer.addDirectory(header);
    else if (header.type === 'symlink') await writer.addSymlink({ ...header, linkname: header.linkname ?? '' });
    else if (header.type === 'hardlink') await writer.addHardLink({ ...header, linkname: header.linkname ?? '' });
    else await writer.addFile(header, once(data ?? Buffer.alloc(0)), header.path.endsWith('.jpg') ? 0 : undefined);
  }
  await writer.finish();
}

describe('tar headers', () => {
  it('formats and parses pax times to the nanosecond, negative ones too', () => {
    expect(formatPaxTime(1_700_000_000_123_456_789n)).toBe('1700000000.123456789');
    expect(formatPaxTime(1_700_000_000_100_000_000n)).toBe('1700000000.1');
    expect(formatPaxTime(-1_500_000_000n)).toBe('-1.5');
    for (const ns of [0n, 1n, -1n, 1_700_000_000_123_456_789n, -1_500_000_000n]) expect(parsePaxTime(formatPaxTime(ns))).toBe(ns);
    // The digits-only form is read without a regular expression; anything else as before.
    const cases: [string, bigint][] = [
      ['1796625928.92', 1_796_625_928_920_000_000n],
      ['1796625928.', 1_796_625_928n * NS],
      ['17', 17n * NS],
      ['000000000000017.000000001', 17n * NS + 1n],
      ['1.1234567891', 1_123_456_789n], // past nanoseconds: cut
      [' 12.5 ', 12_500_000_000n],
      ['9999999999999999.5', 9_999_999_999_999_999n * NS + 500_000_000n], // past 15 digits: exact all the same
    ];
    for (const [text, ns] of cases) expect(parsePaxTime(text), text).toBe(ns);
    for (const text of ['', '.5', '1e3', '+1', '1.2.3', '١٢']) expect(() => parsePaxTime(text), text).toThrow(/^bad pax time/);
  });

  it('reads numeric fields padded with spaces or NULs either side, and refuses anything else in them', () => {
    const header = (size: string) => {
      const block = encodeHeader({ path: 'a', type: 'file', mode: 0o644, uid: 1000, gid: 1000, size: 0, mtimeNs: 1_700_000_000_000_000_000n });
      block.fill(0, 124, 136);
      block.write(size, 124, 'latin1');
      block.fill(0x20, 148, 156);
      let sum = 0;
      for (const byte of block) sum += byte;
      block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
      return block;
    };
    for (const [field, size] of [['00000001750\0', 1000], ['  1750 \0', 1000], ['\0\0\0', 0], ['777777777777', 0o777777777777]] as const) {
      const raw = decodeRawHeader(header(field));
      expect(raw.size).toBe(size);
      expect([raw.mode, raw.uid, raw.mtime]).toEqual([0o644, 1000, 1_700_000_000]);
    }
    for (const field of ['12 34', '0008', '17\x0012', '-1']) expect(() => decodeRawHeader(header(field))).toThrow(/^bad size field/);
  });

  it('accepts the checksum of old tars that summed bytes as signed, refuses a wrong one, and decodes latin1 names strictly', () => {
    const block = encodeHeader({ path: 'caf-e', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtimeNs: 0n });
    block[3] = 0xe9; // a latin1 byte in the name: not UTF-8
    block.fill(0x20, 148, 156);
    let signed = 0;
    for (const byte of block) signed += byte > 127 ? byte - 256 : byte;
    block.write(signed.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
    const raw = decodeRawHeader(block);
    expect(raw.path.toString('latin1')).toBe('caf\xe9e');
    expect(() => decodeName(raw.path, 'member name')).toThrow(/^member name "caf\?e" is not valid UTF-8$/);
    expect(decodeName(Buffer.from('café/ü'), 'member name')).toBe('café/ü');
    block[0] ^= 1;
    expect(() => decodeRawHeader(block)).toThrow(/^bad header checksum/);
  });

  it('uses plain ustar when it suffices and pax only when needed', () => {
    expect(encodeHeader(members[0].header)).toHaveLength(BLOCK);
    expect(encodeHeader({ ...members[3].header })).toHaveLength(BLOCK * 3); // big uid/gid: pax
    expect(encodeHeader({ ...members[3].header, uid: 0, gid: 0 })).toHaveLength(BLOCK); // long path fits prefix + name
    expect(encodeHeader(members[1].header)).toHaveLength(BLOCK * 3); // sub-second mtime: pax
  });
});

describe('tar writer', () => {
  it('writes archives that GNU tar lists and extracts exactly, and that read back the same', async () => {
    const dir = await tmp();
    const file = path.join(dir, 'a.tgz');
    const out = await AtomicFile.create(file);
    const gzip = new FrameWriter(out, gzipCodec, { blockSize: 4096 });
    const writer = new TarWriter(gzip);
    await writeMembers(writer);
    await gzip.finish();
    await out.commit();
    const listing = execFileSync('tar', ['-tzf', file]).toString().split('\n').filter(Boolean);
    expect(listing).toEqual(members.map((m) => (m.header.type === 'dir' ? `${m.header.path}/` : m.header.path)));
    const into = path.join(dir, 'x');
    await mkdir(into);
    execFileSync('tar', ['-xzf', file, '-C', into]);
    for (const { header, data } of members) {
      const abs = path.join(into, header.path);
      const info = await lstat(abs, { bigint: true });
      if (header.type === 'symlink') {
        expect(await readlink(abs)).toBe(header.linkname);
        continue;
      }
      expect(Number(info.mode & 0o7777n), header.path).toBe(header.mode);
      if (header.type === 'dir') continue;
      expect(info.uid, header.path).toBe(BigInt(header.uid));
      expect(info.gid, header.path).toBe(BigInt(header.gid));
      if (header.type === 'file') {
        expect(info.mtimeNs, header.path).toBe(header.mtimeNs);
        expect(await readFile(abs)).toEqual(data ?? Buffer.alloc(0));
      }
    }
    expect((await lstat(path.join(into, 'app/a-hardlink.php'))).ino).toBe((await lstat(path.join(into, 'app/a.php'))).ino);
    // Lifeboat's reader gets back exactly what was written, in any chunking of the stream.
    const raw = gunzipSync(await readFile(file));
    expect(raw.length % (20 * BLOCK)).toBe(0);
    for (const size of [raw.length, 511, 4096, 7]) {
      const read = await readAll(pieces(raw, size));
      expect(read.map((m) => m.header)).toEqual(
        members.map((m) => ({ ...m.header, uname: '', gname: '', size: m.header.type === 'file' ? m.header.size : 0, typeflag: { file: '0', dir: '5', symlink: '2', hardlink: '1' }[m.header.type as string] })),
      );
      expect(read.map((m) => m.data.toString('hex'))).toEqual(members.map((m) => (m.data ?? Buffer.alloc(0)).toString('hex')));
      // In one chunk, every file's data is at hand without waiting.
      if (size === raw.length) expect(read.filter((m) => m.data.length > 0).every((m) => m.atHand)).toBe(true);
    }
  });

  it('gives compressed media their own stored members and text compressed ones', async () => {
    const output = new MemoryOutput();
    await writeMembers(new TarWriter(output));
    const levelOf = (data: string) => output.levels[output.chunks.findIndex((c) => c.toString('latin1') === data)];
    expect(levelOf('\xff\xd8\xff\xe0')).toBe(0); // the JPEG's data is stored
    expect(levelOf('<?php')).toBeUndefined(); // text gets the output's default level
    // The JPEG's padding and the next header go with whatever block is pending (stored after the JPEG):
    // two small members per media file would cost more than they save.
    const first = output.chunks.findIndex((c) => c.toString('latin1') === '\xff\xd8\xff\xe0');
    expect(output.levels.slice(first, first + 3)).toEqual([0, SAME_LEVEL, SAME_LEVEL]);
    const gzFile = path.join(await tmp(), 'levels.gz');
    const out = await AtomicFile.create(gzFile);
    const gzip = new FrameWriter(out, gzipCodec, { blockSize: 1 << 20 });
    const random = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919 + ((i * i) % 251)) & 0xff));
    const text = Buffer.from('SELECT 1;\n'.repeat(20_000));
    await gzip.write(text);
    await gzip.write(random, 0);
    await gzip.write(text, 6);
    await gzip.finish();
    await out.commit();
    const bytes = await readFile(gzFile);
    expect(gunzipSync(bytes).equals(Buffer.concat([text, random, text]))).toBe(true);
    // Three members: gzip magic at three offsets; the stored one is a little larger than its input.
    let members = 0;
    for (let i = 0; i + 2 < bytes.length; i++) if (bytes[i] === 0x1f && bytes[i + 1] === 0x8b && bytes[i + 2] === 8 && bytes[i + 3] === 0) members++;
    expect(members).toBeGreaterThanOrEqual(3);
    expect(bytes.length).toBeGreaterThan(random.length);
    expect(bytes.length).toBeLessThan(random.length + 4096);
  });

  it('writes exactly the announced size when a file shrinks or grows while read', async () => {
    const output = new MemoryOutput();
    const writer = new TarWriter(output);
    const base = { mode: 0o644, uid: 0, gid: 0, mtimeNs: 0n };
    expect(await writer.addFile({ ...base, path: 'shrank', size: 10 }, once(Buffer.from('abc')))).toEqual({ missing: 7, truncated: false });
    expect(await writer.addFile({ ...base, path: 'grew', size: 2 }, once(Buffer.from('abcdef')))).toEqual({ missing: 0, truncated: true });
    await writer.finish();
    const read = await readAll(once(output.buffer));
    expect(read.map((m) => m.data.toString('latin1'))).toEqual(['abc\0\0\0\0\0\0\0', 'ab']);
  });

  it('encodes files over 8 GiB so that GNU tar and the reader agree on the size', async () => {
    // A real 8 GiB file would take minutes to compress in a unit test; a sparse uncompressed archive
    // holds the same header and lets both tools skip the data.
    const dir = await tmp();
    const file = path.join(dir, 'big.tar');
    const size = 8 * 1024 ** 3 + 1;
    const header = encodeHeader({ path: 'var/huge.bin', type: 'file', mode: 0o644, uid: 0, gid: 0, size, mtimeNs: 1_700_000_000n * NS });
    const second = encodeHeader({ path: 'after', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtimeNs: 1_700_000_000n * NS });
    const dataEnd = header.length + size + ((BLOCK - (size % BLOCK)) % BLOCK);
    await writeFile(file, header);
    await truncate(file, dataEnd);
    const handle = await open(file, 'r+');
    await handle.write(second, 0, second.length, dataEnd);
    await handle.close();
    await truncate(file, dataEnd + second.length + 2 * BLOCK);
    const listing = execFileSync('tar', ['-tvf', file]).toString();
    expect(listing).toMatch(/ 8589934593 .* var\/huge\.bin/);
    expect(listing).toContain(' after');
    // The reader gets the same bytes, the 8 GiB of data as one zero buffer handed over repeatedly.
    async function* sameBytes(): AsyncIterable<Buffer> {
      yield header;
      const zeros = Buffer.alloc(1 << 26);
      for (let left = dataEnd - header.length; left > 0; left -= zeros.length) yield zeros.subarray(0, Math.min(left, zeros.length));
      yield second;
      yield Buffer.alloc(2 * BLOCK);
    }
    const names: [string, number][] = [];
    for await (const member of readTar(sameBytes())) names.push([member.header.path, member.header.size]);
    expect(names).toEqual([
      ['var/huge.bin', size],
      ['after', 0],
    ]);
  }, 60_000);
});

describe('tar reader', () => {
  it('reads what GNU tar writes in ustar, pax and GNU format (long names as L/K members)', async () => {
    const dir = await tmp();
    const src = path.join(dir, 'src');
    const long = `${'sub-folder-'.repeat(12)}/${'n'.repeat(120)}.txt`;
    await mkdir(path.join(src, path.dirname(long)), { recursive: true });
    await writeFile(path.join(src, long), 'long');
    await writeFile(path.join(src, 'ä.txt'), 'umlaut');
    await symlink(`../${'t'.repeat(150)}`, path.join(src, 'longlink'));
    await utimes(path.join(src, 'ä.txt'), 1_700_000_000.25, 1_700_000_000.25);
    for (const format of ['gnu', 'pax', 'posix']) {
      const file = path.join(dir, `${format}.tar`);
      execFileSync('tar', [`--format=${format}`, '-cf', file, '-C', src, '.']);
      const read = await readAll(createReadStream(file));
      const byPath = new Map(read.map((m) => [m.header.path.replace(/^\.\//, '').replace(/\/$/, ''), m]));
      expect(byPath.get(long)?.data.toString(), format).toBe('long');
      expect(byPath.get('ä.txt')?.data.toString(), format).toBe('umlaut');
      expect(byPath.get('longlink')?.header.linkname, format).toBe(`../${'t'.repeat(150)}`);
      if (format !== 'gnu') expect(byPath.get('ä.txt')?.header.mtimeNs, format).toBe(1_700_000_000_250_000_000n);
    }
  });

  it("gives each member its own names, however alike the headers before it, in chunks of any size", async () => {
    // A ustar block whose user and group name fields hold `uname` and `gname` as bytes, checksum fixed.
    const block = (name: string, type: 'file' | 'dir', uname: Buffer, gname: Buffer) => {
      const b = encodeHeader({ path: name, type, mode: 0o644, uid: 0, gid: 0, size: 0, mtimeNs: 1_700_000_000n * NS });
      expect(b).toHaveLength(BLOCK);
      b.fill(0, 265, 329);
      uname.copy(b, 265, 0, 32);
      gname.copy(b, 297, 0, 32);
      b.fill(0x20, 148, 156);
      let sum = 0;
      for (const byte of b) sum += byte;
      b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
      return b;
    };
    const names = ['root', 'root', 'ro', 'rootx', '', 'www-data', 'caf\u00e9', 'caf\u00e9', 'x'.repeat(32), 'x'.repeat(31), 'root'];
    const blocks = names.map((uname, i) => block(i === 1 ? 'folder//' : `${LONG_DIR}/f${i}`, i === 1 ? 'dir' : 'file', Buffer.from(uname), Buffer.from(names[names.length - 1 - i])));
    const tar = Buffer.concat([...blocks, Buffer.alloc(2 * BLOCK)]);
    for (const size of [tar.length, 100, 512, 700]) {
      const read = await readAll(pieces(tar, size));
      expect(read.map((m) => m.header.uname)).toEqual(names);
      expect(read.map((m) => m.header.gname)).toEqual([...names].reverse());
      expect(read.map((m) => m.header.path)).toEqual(names.map((_, i) => (i === 1 ? 'folder' : `${LONG_DIR}/f${i}`)));
    }
    // A user name that is not UTF-8 is refused, whatever name came before it.
    const latin1 = Buffer.concat([blocks[0], block('a', 'file', Buffer.from([0x63, 0x61, 0x66, 0xe9]), Buffer.from('root')), Buffer.alloc(2 * BLOCK)]);
    await expect(readAll(once(latin1))).rejects.toThrow(/^user name "caf\?" is not valid UTF-8$/);
  });

  it('refuses truncated archives, bad checksums, a missing end marker and data after it', async () => {
    const output = new MemoryOutput();
    await writeMembers(new TarWriter(output));
    const good = output.buffer;
    await expect(readAll(once(good.subarray(0, 1024 + 100)))).rejects.toThrow(TarFormatError);
    const unfinished = new MemoryOutput();
    const writer = new TarWriter(unfinished);
    await writer.addFile({ path: 'a', mode: 0o644, uid: 0, gid: 0, mtimeNs: 0n, size: 3 }, once(Buffer.from('abc')));
    await expect(readAll(once(unfinished.buffer))).rejects.toThrow(/end-of-archive marker/);
    const badSum = Buffer.from(good);
    badSum[10] ^= 1;
    await expect(readAll(once(badSum))).rejects.toThrow(/checksum/);
    const trailing = Buffer.concat([good, Buffer.from('garbage')]);
    await expect(readAll(once(trailing))).rejects.toThrow(/after the end-of-archive/);
    await expect(readAll(once(Buffer.from('not a tar at all'.repeat(64))))).rejects.toThrow(TarFormatError);
  });
});
