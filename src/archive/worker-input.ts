// A worker thread's input, for worker modules that can be started ahead of need (worker-module.ts,
// startAhead): such a thread is made before its input is known, with AHEAD as its workerData, and gets
// the input as its first message. A module asks for it with `onInput` either way.
import { parentPort, workerData } from 'node:worker_threads';

/** The workerData of a thread started ahead; its input follows as `{ input }`. */
export const AHEAD = 'lifeboat: the input follows';

export interface InputMessage {
  input: unknown;
}

/**
 * Calls `start` with this thread's input, once: at once when it came as workerData, else on the first
 * message. `start` may listen for messages itself: its listener is added within the first message's
 * event, before this one goes, so no later message can find the port without one.
 */
export function onInput<T>(start: (input: T) => void): void {
  const port = parentPort;
  if (!port) throw new Error('a worker module runs as a worker thread');
  if (workerData !== AHEAD) {
    start(workerData as T);
    return;
  }
  const first = (message: InputMessage) => {
    start(message.input as T);
    port.off('message', first);
  };
  port.on('message', first);
}
