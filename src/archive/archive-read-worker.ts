// The worker thread of archive-read.ts: reads an archive file, hashes it, and either hands its chunks to
// the main thread as they are (their buffers transferred, sent back to be read into again) or inflates
// it first with its codec and hands over the inflated data. Inflating here, with this thread's own event
// loop driving the decompressor, keeps decompression going while the main thread is busy parsing what
// came before: driven from the main thread, zlib waited for it between every two chunks.
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { CompressionName } from '../shared/types.js';
import { codecNamed } from './codec/registry.js';
import { feedFile } from './file-feed.js';
import { onInput } from './worker-input.js';

export interface ArchiveReadWorkerInput {
  file: string;
  /** The codec to inflate the file with (by name: a codec does not cross to a thread); absent: raw. */
  codec?: CompressionName;
  /** sha256 the file (not when it was already checked by a read of its own). */
  hash: boolean;
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

/**
 * Inflated: the decompressor's output is copied into buffers of exactly INFLATED_CHUNK bytes (the last
 * one may be shorter), a fixed set of them that go back and forth: no garbage for either thread's
 * collector, which with a fresh buffer per chunk let dead ones pile up to over 256 MiB. Equal-sized chunks also bound
 * what the consumer holds: a member's header or a small file (1 MiB at most) spans two chunks at most.
 */
function inflated(file: string, name: CompressionName): void {
  const decompressor = codecNamed(name).createDecompressor();
  const free: ArrayBuffer[] = [];
  let made = 0;
  let current: Buffer | undefined;
  let used = 0;
  /** Output not copied yet for want of a free buffer (the decompressor writes its next output elsewhere). */
  let waiting: Buffer | undefined;
  const handOver = () => {
    if (!current || used === 0) return;
    const data = current.buffer as ArrayBuffer;
    send({ type: 'chunk', data, length: used }, [data]);
    current = undefined;
    used = 0;
  };
  const take = (chunk: Buffer) => {
    for (let at = 0; at < chunk.length; ) {
      if (!current) {
        if (free.length === 0 && made < INFLATED_BUFFERS) {
          free.push(new ArrayBuffer(INFLATED_CHUNK));
          made++;
        }
        const data = free.pop();
        if (!data) {
          waiting = chunk.subarray(at);
          decompressor.pause();
          return;
        }
        current = Buffer.from(data);
      }
      const copied = chunk.copy(current, used, at);
      used += copied;
      at += copied;
      if (used === INFLATED_CHUNK) handOver();
    }
  };
  decompressor.on('data', take);
  port.on('message', ({ data }: TakenChunk) => {
    free.push(data);
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
    handOver();
    void feeding.then(end);
  });
}

// The input may come after the thread started (worker-input.ts: a rollback starts it ahead).
onInput<ArchiveReadWorkerInput>(({ file, codec, hash: hashing }) => {
  hash = hashing ? createHash('sha256') : undefined;
  try {
    if (codec) inflated(file, codec);
    else raw(file);
  } catch (error) {
    fail(error);
  }
});
