// A small HTTP proxy in front of a test S3 server that fails chosen requests: answers 500 with an S3
// error body, drops the connection, or cuts an answer's body off half-way ('cut': the status, headers
// and half the body are passed on, then the connection is destroyed), so tests see how uploads and
// reads behave on a flaky network.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = 'pass' | '500' | 'drop' | 'cut';

export interface FaultProxy {
  endpoint: string;
  /** Requests seen so far, as "METHOD path" with the fault applied. */
  seen: { request: string; fault: Fault }[];
  /** Body bytes of the answers passed on from the server so far. */
  answeredBytes(): number;
  stop(): Promise<void>;
}

/** `decide` is called for every request (numbered from 1) and picks its fault. */
export async function startFaultProxy(target: string, decide: (n: number, method: string, url: string) => Fault): Promise<FaultProxy> {
  const upstream = new URL(target);
  const seen: FaultProxy['seen'] = [];
  let answered = 0;
  const server = http.createServer((req, res) => {
    const fault = decide(seen.length + 1, req.method ?? 'GET', req.url ?? '/');
    seen.push({ request: `${req.method} ${req.url}`, fault });
    if (fault === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault === '500') {
      req.resume();
      req.on('end', () => {
        res.writeHead(500, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected by the test proxy</Message></Error>');
      });
      return;
    }
    const forward = http.request(
      { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (fault === 'cut') {
          const half = Math.floor(Number(answer.headers['content-length'] ?? 0) / 2);
          let sent = 0;
          answer.on('data', (chunk: Buffer) => {
            if (sent >= half) return;
            const part = chunk.subarray(0, Math.max(0, half - sent));
            sent += part.length;
            answered += part.length;
            if (part.length) res.write(part);
            if (sent >= half) {
              answer.destroy();
              res.flushHeaders();
              setTimeout(() => req.socket.destroy(), 20);
            }
          });
          return;
        }
        answer.on('data', (chunk: Buffer) => (answered += chunk.length));
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    answeredBytes: () => answered,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
