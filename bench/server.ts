// The MariaDB/MySQL server the bench runs against: parsed from one URL, and handed to each party in its
// own form (a mysql2 connection, a LIFEBOAT_DATABASE_URL, command-line flags for the stock tools).
import mysql from 'mysql2/promise';

export interface Server {
  host: string;
  port: number;
  user: string;
  password: string;
}

export const DEFAULT_SERVER_URL = 'mysql://root@127.0.0.1:3306';

/** `mysql://user:pass@host:port` (a database part, if any, is ignored: the bench makes its own). */
export function parseServerUrl(url: string): Server {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`--url: "${url}" is not a URL; expected e.g. ${DEFAULT_SERVER_URL}`);
  }
  if (parsed.protocol !== 'mysql:' && parsed.protocol !== 'mariadb:') throw new Error(`--url must start with mysql:// or mariadb://, not "${parsed.protocol}"`);
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username || 'root'),
    password: decodeURIComponent(parsed.password),
  };
}

export function quoteId(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}

export interface ConnectOptions {
  database?: string;
  multipleStatements?: boolean;
}

export async function openConnection(server: Server, options: ConnectOptions = {}): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    ...(options.database ? { database: options.database } : {}),
    charset: 'utf8mb4_general_ci',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    multipleStatements: options.multipleStatements ?? false,
  });
}

/** The LIFEBOAT_DATABASE_URL of one database on the server. */
export function lifeboatUrl(server: Server, database: string): string {
  const auth = encodeURIComponent(server.user) + (server.password ? ':' + encodeURIComponent(server.password) : '');
  return `mysql://${auth}@${server.host}:${server.port}/${encodeURIComponent(database)}`;
}

/** Connection flags of the mysql/mariadb client, mysqldump and mydumper/myloader (all spell them alike). */
export function clientFlags(server: Server): string[] {
  return ['-h', server.host, '-P', String(server.port), '-u', server.user];
}

/** The environment a stock tool reads the password from (never on its command line). */
export function clientEnv(server: Server): NodeJS.ProcessEnv {
  return server.password ? { MYSQL_PWD: server.password } : {};
}
