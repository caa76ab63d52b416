// An archive is read, hashed and (for a rollback of files) inflated on a worker thread: the bytes that
// come out must be the file's, or its inflated content, whole and in order over many chunks; the digest
// must be the file's; a damaged gzip stream, a missing file and a reader that stops early must end in a
// clear error, not a hang; a digest alone reads and hashes it without handing it over; closing twice,
// even at once, settles both.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { constants as zlibConstants, gunzipSync, gzipSync, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestArchive, feedFileHashed, readArchive, startArchiveReadAhead } from '../../src/archive/archive-read.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { gzip } from '../../src/archive/codec/gzip.js';
import { zstd } from '../../src/archive/codec/zstd.js';
import { stopWorker, waitsAhead } from '../../src/archive/worker-module.js';
import { Worker } from 'node:worker_threads';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(Buffer.from(chunk)); // a copy: raw chunks' buffers are reused
  return Buffer.concat(parts);
}

describe('reading an archive on a worker thread', () => {
  let dir: string;
  let archive: string;
  let archiveBytes: Buffer;
  let content: Buffer;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-archive-read-'));
    // Two gzip members as Lifeboat writes them (compressed text, stored media): 13 MiB inflated, so
    // several 4 MiB inflated chunks and 1 MiB raw ones.
    const text = Buffer.from('INSERT INTO `sales_order` VALUES (1,\'pending\',12.50);\n'.repeat(150_000));
    const media = randomBytes(5 * (1 << 20) + 321);
    content = Buffer.concat([text, media]);
    archiveBytes = Buffer.concat([gzipSync(text, { level: 4 }), gzipSync(media, { level: 0 })]);
    archive = path.join(dir, 'backup.tgz');
    await writeFile(archive, archiveBytes);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('hands over the file as it is, with its size and sha256', async () => {
    const read = readArchive(archive, {});
    expect((await collect(read.chunks)).equals(archiveBytes)).toBe(true);
    expect(await read.digest).toEqual({ bytes: archiveBytes.length, sha256: sha256(archiveBytes) });
  });

  // Inflated by hand (the decompressor driven synchronously) and, where Node's decompressor lacks what
  // that needs, as a stream: both must give the same.
  it.each([['by hand', false], ['as a stream', true]])('hands over the inflated content of every member, and the digest of the file itself (%s)', async (_, asStream) => {
    const read = readArchive(archive, { decompress: gzip, asStream });
    const inflated = await collect(read.chunks);
    expect(inflated.length).toBe(content.length);
    expect(inflated.equals(content)).toBe(true);
    expect(await read.digest).toEqual({ bytes: archiveBytes.length, sha256: sha256(archiveBytes) });

    // Without hashing (a file already checked by a read of its own): the same bytes, the size only.
    const unhashed = readArchive(archive, { decompress: gzip, hash: false, asStream });
    expect((await collect(unhashed.chunks)).equals(content)).toBe(true);
    expect(await unhashed.digest).toEqual({ bytes: archiveBytes.length });
  });

  it.each([['by hand', false], ['as a stream', true]])("fails with zlib's code on a damaged or truncated gzip stream (%s)", async (_, asStream) => {
    const damaged = Buffer.from(archiveBytes);
    damaged[2000] ^= 0xff; // inside the first member's deflate data
    const truncated = archiveBytes.subarray(0, archiveBytes.length - 1000);
    for (const [name, bytes] of [['damaged.tgz', damaged], ['truncated.tgz', truncated]] as const) {
      const file = path.join(dir, name);
      await writeFile(file, bytes);
      expect(() => gunzipSync(bytes)).toThrow(); // the premise: zlib refuses it too
      const read = readArchive(file, { decompress: gzip, asStream });
      const error = (await collect(read.chunks).catch((e: unknown) => e)) as NodeJS.ErrnoException;
      expect(error).toBeInstanceOf(Error);
      expect(error.code).toMatch(/^Z_/);
      await expect(read.digest).rejects.toThrow(error.message);
    }
  });

  it('inflates zstd frames as zstd does, ends where the decompressor ends, and fails with its codes on damage', async () => {
    // The decompressor is driven by hand on the thread (archive-read-worker.ts): whatever follows the
    // last frame or gzip member (zeros, which gzip skips; bytes that are not a zstd frame) ends the
    // output there, as node:zlib's own calls do, and is still read into the digest.
    const frame = (data: Buffer) => zstdCompressSync(data, { params: { [zlibConstants.ZSTD_c_checksumFlag]: 1 } }); // as Lifeboat writes them
    const frames = Buffer.concat([frame(content.subarray(0, 3 << 20)), frame(content.subarray(3 << 20))]);
    const cases: [string, Buffer, typeof gzip, Buffer][] = [
      ['frames.tar.zst', frames, zstd, content],
      ['trailing.tar.zst', Buffer.concat([frames, Buffer.from('not a frame')]), zstd, content],
      ['zeros.tgz', Buffer.concat([archiveBytes, Buffer.alloc(3000)]), gzip, content],
    ];
    for (const [name, bytes, codec, want] of cases) {
      const file = path.join(dir, name);
      await writeFile(file, bytes);
      expect((codec === zstd ? zstdDecompressSync : gunzipSync)(bytes).equals(want), name).toBe(true); // the premise
      const read = readArchive(file, { decompress: codec });
      expect((await collect(read.chunks)).equals(want), name).toBe(true);
      expect(await read.digest).toEqual({ bytes: bytes.length, sha256: sha256(bytes) });
    }
    const damaged = Buffer.from(frames);
    damaged[frames.length - 5000] ^= 0xff;
    expect(() => zstdDecompressSync(damaged)).toThrow(); // the premise
    for (const [name, bytes, code] of [['damaged.tar.zst', damaged, /^ZSTD_error_/], ['truncated.tar.zst', frames.subarray(0, frames.length - 100), /^Z_BUF_ERROR$/]] as const) {
      const file = path.join(dir, name);
      await writeFile(file, bytes);
      const read = readArchive(file, { decompress: zstd });
      const error = (await collect(read.chunks).catch((e: unknown) => e)) as NodeJS.ErrnoException;
      expect(error, name).toBeInstanceOf(Error);
      expect(error.code, name).toMatch(code);
      expect(zstd.isDataError(error), name).toBe(true);
      await expect(read.digest).rejects.toThrow(error.message);
    }
  });

  it('fails with the system error for a file that is not there', async () => {
    for (const decompress of [undefined, gzip]) {
      const read = readArchive(path.join(dir, 'missing.tgz'), { decompress });
      await expect(collect(read.chunks)).rejects.toMatchObject({ code: 'ENOENT' });
    }
  });

  it('stops the thread when the reader leaves early; the digest then says it was not read to its end', async () => {
    const read = readArchive(archive, { decompress: gzip });
    for await (const chunk of read.chunks) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    await expect(read.digest).rejects.toThrow('not read to its end');
  });

  it('digests the file without handing it over, and is closed again and again (at once too) without a hang', async () => {
    const digested = digestArchive(archive);
    expect(await digested.digest).toEqual({ bytes: (await readFile(archive)).length, sha256: sha256(await readFile(archive)) });
    await Promise.all([digested.close(), digested.close()]); // it closes itself after the digest too
    const read = readArchive(archive, { decompress: gzip });
    // Two closes before the thread is gone: each must settle (the first one used to wait for ever).
    await Promise.all([read.close(), read.close(), read.close()]);
    await expect(read.digest).rejects.toThrow('not read to its end');
    const thread = new Worker('setInterval(() => {}, 1000)', { eval: true });
    await Promise.all([stopWorker(thread), stopWorker(thread)]);
  });

  it('feeds a stream and gives the digest; a stream destroyed mid-way stops the feeding', async () => {
    const received: Buffer[] = [];
    const into = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        received.push(Buffer.from(chunk));
        setImmediate(callback); // a slow consumer: the reading waits for it
      },
    });
    const finished = new Promise((resolve) => into.on('finish', resolve));
    // The digest comes once the file is read, which may be before the stream has taken the last of it.
    const digest = await feedFileHashed(archive, into);
    expect(digest.sha256).toBe(sha256(archiveBytes));
    await finished;
    expect(Buffer.concat(received).equals(archiveBytes)).toBe(true);

    let writes = 0;
    const stopped: Writable = new Writable({
      write(_chunk, _encoding, callback) {
        writes++;
        callback();
        setImmediate(() => stopped.destroy());
      },
    });
    await expect(feedFileHashed(archive, stopped)).rejects.toThrow('not read to its end');
    expect(writes).toBeLessThan(6);
  });

  it('takes a thread started ahead: the same bytes and digest, raw and inflated, and a second read starts its own', async () => {
    const stopRaw = startArchiveReadAhead();
    expect(waitsAhead('archive-read-worker')).toBe(true);
    const raw = readArchive(archive, {});
    expect(waitsAhead('archive-read-worker')).toBe(false); // taken
    expect((await collect(raw.chunks)).equals(archiveBytes)).toBe(true);
    expect(await raw.digest).toEqual({ bytes: archiveBytes.length, sha256: sha256(archiveBytes) });
    await stopRaw(); // taken: nothing to stop
    startArchiveReadAhead();
    const inflated = readArchive(archive, { decompress: gzip });
    expect(waitsAhead('archive-read-worker')).toBe(false);
    expect((await collect(inflated.chunks)).equals(content)).toBe(true);
    expect((await inflated.digest).sha256).toBe(sha256(archiveBytes));
    const again = readArchive(archive, { decompress: gzip, hash: false }); // none ahead now
    expect((await collect(again.chunks)).equals(content)).toBe(true);
  });

  it('stops a thread started ahead that nothing took, and such a thread keeps no process alive', async () => {
    const stop = startArchiveReadAhead();
    await stop();
    expect(waitsAhead('archive-read-worker')).toBe(false);
    const read = readArchive(archive, {}); // a thread of its own: the stopped one is not taken
    expect((await collect(read.chunks)).equals(archiveBytes)).toBe(true);
    // A process that starts one and never takes it ends by itself (the CLI after a refused rollback).
    const module = fileURLToPath(new URL('../../dist/archive/archive-read.js', import.meta.url));
    const script = `const m = await import(${JSON.stringify(module)}); m.startArchiveReadAhead(); console.log('started');`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 });
    expect(stdout.trim()).toBe('started');
  });
});
