// The port `lifeboat serve` (and `npm start`) listens on, checked before anything else is done: a busy
// port is one line naming it and the way out, not a raw "listen EADDRINUSE" after a demo backup.
import { createServer } from 'node:net';
import { OperationError } from '../shared/errors.js';

/** The one line for a port that cannot be listened on; undefined for other errors (they speak for themselves). */
export function portProblem(error: NodeJS.ErrnoException, host: string, port: number): OperationError | undefined {
  if (error.code === 'EADDRINUSE') {
    return new OperationError(
      `port ${port} on ${host} is in use by another program (a lifeboat serve or npm start still running?); stop it, or choose another port with --port (npm start -- --port ${port + 1})`,
    );
  }
  if (error.code === 'EACCES') return new OperationError(`port ${port} on ${host} needs privileges this user lacks; choose a port above 1023 with --port`);
  if (error.code === 'EADDRNOTAVAIL') return new OperationError(`${host} is no address of this machine; choose one it has with --host (e.g. 127.0.0.1)`);
  return undefined;
}

/** Throws portProblem's line when `port` on `host` cannot be listened on now (port 0 always can). */
export async function requireFreePort(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => reject(portProblem(error, host, port) ?? error));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
