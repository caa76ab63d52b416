// Where a shop's PHP connects to its MySQL/MariaDB server, from the host it configured, so that Lifeboat
// connects to the same place. PHP's MySQL drivers take "localhost" (and no host) to mean the server's
// local socket, not TCP: the account 'shop'@'localhost' may be reachable only that way.
import { existsSync } from 'node:fs';

export interface MysqlEndpoint {
  host: string;
  port: number;
  socketPath?: string;
  /** How the endpoint was chosen, when it is not what the host says plainly. */
  note?: string;
}

/** Where PHP's default socket usually is (Debian/Ubuntu, newer systemd layouts, RHEL, source builds). */
export const DEFAULT_SOCKETS = ['/var/run/mysqld/mysqld.sock', '/run/mysqld/mysqld.sock', '/var/lib/mysql/mysql.sock', '/tmp/mysql.sock'];

export const DEFAULT_PORT = 3306;

/**
 * The endpoint for a host name, an optional port and an optional socket, as PHP's drivers pick it: a
 * socket wins; "localhost" or no host is the local socket when one of `sockets` exists, else TCP.
 */
export function mysqlEndpoint(host: string, port: number | undefined, socketPath: string | undefined, sockets: readonly string[] = DEFAULT_SOCKETS): MysqlEndpoint {
  if (socketPath) return { host: 'localhost', port: DEFAULT_PORT, socketPath };
  if (host === '' || host.toLowerCase() === 'localhost') {
    const found = sockets.find((candidate) => existsSync(candidate));
    const ignored = port !== undefined ? ` (PHP ignores the port ${port} then, and so does Lifeboat)` : '';
    if (found) return { host: 'localhost', port: DEFAULT_PORT, socketPath: found, note: `"localhost" is the local socket for PHP; found it at ${found}${ignored}` };
    return { host: 'localhost', port: port ?? DEFAULT_PORT, note: `"localhost" is the local socket for PHP, but none was found (${sockets.join(', ')}); connecting over TCP` };
  }
  return { host, port: port ?? DEFAULT_PORT };
}

/** A port as written after a host ("3307"), or an error message. */
export function parsePort(text: string): number | string {
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || port < 1 || port > 65535) return `the port "${text}" is not a number from 1 to 65535`;
  return port;
}

/**
 * Splits "host", "host:port", "[::1]:port", "::1", "host:/socket" or "/socket" into its parts.
 * Magento and WordPress both take a "/" to start a socket path.
 */
export function splitHost(value: string): { host: string; port?: string; socketPath?: string } {
  const slash = value.indexOf('/');
  if (slash >= 0) {
    const before = value.slice(0, slash).replace(/:$/, '');
    return { host: before, socketPath: value.slice(slash) };
  }
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(value);
  if (bracketed) return { host: bracketed[1], ...(bracketed[2] !== undefined ? { port: bracketed[2] } : {}) };
  if ((value.match(/:/g) ?? []).length > 1) return { host: value }; // a bare IPv6 address
  const colon = value.indexOf(':');
  if (colon < 0) return { host: value };
  return { host: value.slice(0, colon), port: value.slice(colon + 1) };
}
