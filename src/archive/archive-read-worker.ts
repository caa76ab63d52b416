// The worker thread of archive-read.ts: reads an archive file, hashes it, and either hands its chunks to
// the main thread as they are (their buffers transferred, sent back to be read into again) or inflates
// it first with its codec and hands over the inflated data. Inflating here keeps decompression going
// while the main thread is busy parsing what came before: driven from the main thread, zlib waited for
// it between every two chunks. The decompressor is driven synchronously, straight into the handover
// buffers (inflatedByHand), or, where Node's decompressor lacks what that needs, as a stream (inflated).
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { CompressionName } from '../shared/types.js';
import { codecNamed } from './codec/registry.js';
import { feedFile } from './file-feed.js';
import { driveByHand, Handover } from './handover.js';
import { onInput } from './worker-input.js';

export interface ArchiveReadWorkerInput {
  file: string;
  /** The codec to inflate the file with (by name: a codec does not cross to a thread); absent: raw. */
  codec?: CompressionName;
  /** sha256 the file (not when it was already checked by a read of its own). */
  hash: boolean;
  /** Inflate as a stream even where the decompressor can be driven by hand (tests keep that path checked). */
  asStream?: boolean;
  /** Only read and hash the file: nothing is handed over (archive-read.ts digestArchive). */
  digestOnly?: boolean;
}

export type ArchiveReadWorkerMessage =
  | { type: 'chunk'; data: ArrayBuffer; length: number }
  | { type: 'end'; bytes: number; sha256?: string }
  | { type: 'error'; message: string; code?: string };

/** The main thread is done with a chunk: its buffer, to be filled again. */
export interface TakenChunk {
  data: ArrayBuffer;
}

const CHUNK = 1 << 20;
const INFLATED_CHUNK = 2 << 20;

const port = parentPort as NonNullable<typeof parentPort>;
/**
 * Buffers that exist at all: raw, chunks read ahead; inflated, also the two the consumer may still
 * hold (see archive-read.ts).
 */
const RAW_BUFFERS = 4;
const INFLATED_BUFFERS = 6;
let hash: Hash | undefined;
let bytes = 0;
let stopped = false;

const send = (message: ArchiveReadWorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

function fail(error: unknown): void {
  if (stopped) return;
  stopped = true;
  const { message, code } = error as NodeJS.ErrnoException;
  send({ type: 'error', message, ...(typeof code === 'string' ? { code } : {}) });
}

function end(): void {
  if (stopped) return;
  stopped = true;
  send({ type: 'end', bytes, ...(hash ? { sha256: hash.digest('hex') } : {}) });
}

/** Raw: reads the next chunk into `data` (synchronously: nothing else runs here) and hands it over. */
function readRaw(fd: number, data: ArrayBuffer): void {
  if (stopped) return;
  try {
    const buffer = Buffer.from(data);
    let length = 0;
    for (let got = -1; length < CHUNK && got !== 0; length += got) got = readSync(fd, buffer, length, CHUNK - length, bytes + length);
    if (length === 0) {
      closeSync(fd);
      end();
      return;
    }
    bytes += length;
    hash?.update(buffer.subarray(0, length));
    send({ type: 'chunk', data, length }, [data]);
  } catch (error) {
    fail(error);
  }
}

function raw(file: string): void {
  const fd = openSync(file, 'r');
  port.on('message', ({ data }: TakenChunk) => readRaw(fd, data));
  for (let i = 0; i < RAW_BUFFERS; i++) readRaw(fd, new ArrayBuffer(CHUNK));
}

/** Reads and hashes the whole file, handing nothing over. */
function digestOnly(file: string): void {
  const fd = openSync(file, 'r');
  const buffer = Buffer.allocUnsafeSlow(CHUNK);
  try {
    for (let n = readSync(fd, buffer, 0, CHUNK, bytes); n > 0; n = readSync(fd, buffer, 0, CHUNK, bytes)) {
      bytes += n;
      hash?.update(buffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  end();
}

/** Hands over what the buffer being filled holds, if anything. */
function sendOut(out: Handover): void {
  const taken = out.take();
  if (taken) send({ type: 'chunk', data: taken.data, length: taken.length }, [taken.data]);
}

/**
 * Inflated: the decompressor's output is copied into buffers of exactly INFLATED_CHUNK bytes (the last
 * one may be shorter), a fixed set of them that go back and forth: no garbage for either thread's
 * collector, which with a fresh buffer per chunk let dead ones pile up to over 256 MiB. Equal-sized chunks also bound
 * what the consumer holds: a member's header or a small file (1 MiB at most) spans two chunks at most.
 */
function inflated(file: string, name: CompressionName): void {
  const decompressor = codecNamed(name).createDecompressor();
  const out = new Handover(INFLATED_CHUNK, INFLATED_BUFFERS);
  /** Output not copied yet for want of a free buffer (the decompressor writes its next output elsewhere). */
  let waiting: Buffer | undefined;
  const take = (chunk: Buffer) => {
    for (let at = 0; at < chunk.length; ) {
      const target = out.target();
      if (!target) {
        waiting = chunk.subarray(at);
        decompressor.pause();
        return;
      }
      const copied = chunk.copy(target, out.used, at);
      out.used += copied;
      at += copied;
      if (out.used === INFLATED_CHUNK) sendOut(out);
    }
  };
  decompressor.on('data', take);
  port.on('message', ({ data }: TakenChunk) => {
    out.back(data);
    const left = waiting;
    waiting = undefined;
    if (left) take(left);
    if (!waiting) decompressor.resume();
  });
  decompressor.on('error', fail);
  const feeding = feedFile(file, decompressor, (chunk) => {
    bytes += chunk.length;
    hash?.update(chunk);
  });
  decompressor.on('end', () => {
    sendOut(out);
    void feeding.then(end);
  });
}

/**
 * Inflated, by hand: the decompressor is driven synchronously on this thread, as node:zlib's own
 * gunzipSync does, reading from the file into one buffer and writing straight into the handover
 * buffers. Driven as a stream, it ran on the thread pool and put out each piece in a fresh 1 MiB buffer,
 * copied here into a handover buffer: on a rollback of the bench tree at scale 0.15 that was about a
 * second of CPU for inflating, page faults and the collections the new buffers set off, against a third
 * of one this way (the inflating alone). Errors are the decompressor's own (the same codes), and where
 * the stream would have ended before the file, so does this (the rest is still read and hashed).
 * False when this Node's decompressor lacks what this needs: `inflated` is used then.
 */
function inflatedByHand(file: string, name: CompressionName): boolean {
  const stream = codecNamed(name).createDecompressor();
  const driven = driveByHand(stream);
  if (!driven) return false;
  const { write, state, more, last } = driven;
  stream.on('error', () => undefined); // read from `errored` right after each call
  const fd = openSync(file, 'r');
  const input = Buffer.allocUnsafeSlow(CHUNK);
  let inOff = 0;
  let inLen = 0;
  let eof = false;
  /** The decompressor took all it will: what is left of the file is only read and hashed. */
  let done = false;
  const out = new Handover(INFLATED_CHUNK, INFLATED_BUFFERS);
  /** Goes on until the file ends or no handover buffer is free (then the next one given back goes on). */
  const pump = () => {
    try {
      while (!stopped) {
        if (inLen === 0 && !eof) {
          inOff = 0;
          inLen = readSync(fd, input, 0, CHUNK, bytes);
          bytes += inLen;
          if (inLen === 0) eof = true;
          else hash?.update(input.subarray(0, inLen));
        }
        if (done) {
          if (eof) break;
          inLen = 0;
          continue;
        }
        const target = out.target();
        if (!target) return;
        const room = INFLATED_CHUNK - out.used;
        write(eof ? last : more, input, inOff, inLen, target, out.used, room);
        if (stream.errored) throw stream.errored;
        out.used += room - state[0];
        inOff += inLen - state[1];
        inLen = state[1];
        if (out.used === INFLATED_CHUNK) sendOut(out);
        // Room left: the decompressor took all it could, so it wants more input, or is finished.
        else if (eof || inLen > 0) done = true;
      }
      if (stopped) return;
      closeSync(fd);
      sendOut(out);
      stream.destroy();
      end();
    } catch (error) {
      fail(error);
    }
  };
  port.on('message', ({ data }: TakenChunk) => {
    out.back(data);
    pump();
  });
  pump();
  return true;
}

// The input may come after the thread started (worker-input.ts: a rollback starts it ahead).
onInput<ArchiveReadWorkerInput>(({ file, codec, hash: hashing, asStream, digestOnly: onlyDigest }) => {
  hash = hashing ? createHash('sha256') : undefined;
  try {
    if (onlyDigest) digestOnly(file);
    else if (codec) {
      if (asStream || !inflatedByHand(file, codec)) inflated(file, codec);
    }
    else raw(file);
  } catch (error) {
    fail(error);
  }
});
