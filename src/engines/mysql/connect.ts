// One place that opens MySQL/MariaDB connections with the settings every dump and restore relies on.
import mysql from 'mysql2/promise';
import type { MysqlTarget } from '../target.js';
import { openReadingSocket } from './socket-reads.js';

export type MysqlConnection = mysql.Connection;

export interface ConnectOptions {
  /** Connect without selecting the target's database (e.g. to create a staging schema). */
  noDatabase?: boolean;
  /** Allow several statements in one query (used only for trusted, generated SQL). */
  multipleStatements?: boolean;
  /** The socket reads into a buffer of its own, shared while a table's rows are read raw (socket-reads.ts). */
  readingSocket?: boolean;
}

/**
 * The driver options every Lifeboat connection shares. `database` undefined means no default schema;
 * `charset` is the handshake charset (the restore's byte-transparent sessions use latin1).
 */
export function connectionOptions(target: MysqlTarget, database: string | undefined, charset = 'utf8mb4_general_ci', multipleStatements = false): mysql.ConnectionOptions {
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    ...(target.socketPath ? { socketPath: target.socketPath } : {}),
    ...(database !== undefined ? { database } : {}),
    charset,
    // Values travel as text and are quoted by the server or by us; never let the driver reinterpret them.
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    multipleStatements,
    timezone: 'Z',
  };
}

export async function openConnection(target: MysqlTarget, options: ConnectOptions = {}): Promise<MysqlConnection> {
  const database = options.noDatabase ? undefined : target.database;
  const settings = connectionOptions(target, database, undefined, options.multipleStatements);
  const connection = await mysql.createConnection(options.readingSocket ? { ...settings, stream: openReadingSocket } : settings).catch((error: unknown) => {
    throw explainConnectError(error, target);
  });
  await connection.query("SET time_zone = '+00:00'");
  return connection;
}

/** What to do about a database host name that does not resolve here. */
export const UNRESOLVED_HOST_ADVICE =
  "a Docker service name resolves only inside the containers' network: run Lifeboat there, or set LIFEBOAT_DATABASE_URL to an address reachable from here";

/**
 * A host name that does not resolve is most often a Docker Compose service name ("db", "mysql") read
 * from the shop's configuration by a Lifeboat running outside the containers: the error says so. The
 * driver's code stays on the error.
 */
function explainConnectError(error: unknown, target: MysqlTarget): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== 'ENOTFOUND' || target.socketPath) return error;
  const message = `the database host "${target.host}" does not resolve here (${(error as Error).message}); ${UNRESOLVED_HOST_ADVICE}`;
  return Object.assign(new Error(message, { cause: error }), { code });
}
