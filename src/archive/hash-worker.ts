// The worker thread of background-hash.ts: the sha256 of the chunks the main thread sends, in order,
// each chunk's buffer sent back to be filled again.
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

export type HashWorkerRequest = { type: 'chunk'; data: ArrayBuffer; length: number } | { type: 'digest' };
export type HashWorkerReply = { type: 'free'; data: ArrayBuffer } | { type: 'digest'; sha256: string };

const port = parentPort;
if (!port) throw new Error('hash-worker.js runs as a worker thread');
const hash = createHash('sha256');

port.on('message', (request: HashWorkerRequest) => {
  if (request.type === 'chunk') {
    hash.update(new Uint8Array(request.data, 0, request.length));
    const reply: HashWorkerReply = { type: 'free', data: request.data };
    port.postMessage(reply, [request.data]);
  } else {
    const reply: HashWorkerReply = { type: 'digest', sha256: hash.digest('hex') };
    port.postMessage(reply);
  }
});
