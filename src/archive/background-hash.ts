// SHA-256 computed on a worker thread. Hashing an archive as it is written took about 6% of the main
// thread's time in a System backup, whose main thread is its bottleneck (it walks the tree, reads the
// small files and builds the tar stream while the thread pool compresses); here the main thread only
// copies each chunk into a message. One worker serves every hash of the process, each by its own id;
// it is started on first use and keeps the process alive only while a digest is awaited.
import { Worker } from 'node:worker_threads';

/** The worker, in CommonJS (an eval'ed worker is not an ES module and needs no file of its own). */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', ({ id, chunk, digest, drop }) => {
  if (drop) return void hashes.delete(id);
  let hash = hashes.get(id);
  if (hash === undefined) hashes.set(id, (hash = createHash('sha256')));
  if (chunk !== undefined) hash.update(chunk);
  if (digest) {
    hashes.delete(id);
    parentPort.postMessage({ id, hex: hash.digest('hex') });
  }
});
`;

interface Reply {
  id: number;
  hex: string;
}

let worker: Worker | undefined;
let nextId = 1;
const waiting = new Map<number, { resolve: (hex: string) => void; reject: (error: Error) => void }>();

function failAll(error: Error): void {
  worker = undefined;
  for (const { reject } of waiting.values()) reject(error);
  waiting.clear();
}

function hashWorker(): Worker {
  if (worker !== undefined) return worker;
  const started = new Worker(WORKER_SOURCE, { eval: true });
  started.on('message', ({ id, hex }: Reply) => {
    waiting.get(id)?.resolve(hex);
    waiting.delete(id);
    if (waiting.size === 0) started.unref();
  });
  started.on('error', failAll);
  started.on('exit', (code) => failAll(new Error(`the hashing thread stopped (exit code ${code})`)));
  started.unref(); // after the listeners: adding a 'message' listener refs it again
  worker = started;
  return started;
}

export class BackgroundHash {
  private readonly id = nextId++;
  private readonly worker = hashWorker();
  private finished = false;

  /** Adds bytes; `chunk` may be reused as soon as this returns (it is copied). */
  update(chunk: Buffer): void {
    if (chunk.length === 0) return;
    // A copy of just these bytes, handed over without a second copy (cloning a Buffer would copy the
    // whole ArrayBuffer under it, which may be a large pool or zlib output buffer).
    const copy = new Uint8Array(chunk.length);
    copy.set(chunk);
    this.worker.postMessage({ id: this.id, chunk: copy }, [copy.buffer]);
  }

  /** The hex digest of everything added. */
  digest(): Promise<string> {
    if (this.finished) return Promise.reject(new Error('BackgroundHash: digest() called twice'));
    this.finished = true;
    const reply = new Promise<string>((resolve, reject) => waiting.set(this.id, { resolve, reject }));
    this.worker.ref(); // an awaited digest must keep the process alive until it arrives
    this.worker.postMessage({ id: this.id, digest: true });
    return reply;
  }

  /** Forgets the bytes added (an aborted file). */
  discard(): void {
    if (this.finished) return;
    this.finished = true;
    this.worker.postMessage({ id: this.id, drop: true });
  }
}
