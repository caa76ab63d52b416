// A named lock in the shop's MySQL/MariaDB server (GET_LOCK), shared by every app server that uses the
// same database. The server ties the lock to one connection: it is held while that connection stays
// open and freed by the server when the connection ends, also when the process holding it crashes or
// its machine goes away. So the connection is kept open (and pinged) for as long as the lock is needed.
import { createHash } from 'node:crypto';
import { openConnection, type MysqlConnection } from './connect.js';
import type { MysqlTarget } from '../target.js';

/** MySQL 5.7+ refuses lock names longer than 64 characters. */
const MAX_LOCK_NAME = 64;
/** Pings keep the connection (and so the lock) from being dropped as idle by the server or a proxy. */
const KEEPALIVE_MS = 30_000;
/** A ping unanswered this long counts as a broken connection (a network partition never errors). */
const PING_TIMEOUT_MS = 10_000;
/** An idle session is closed after wait_timeout (often lowered on shared hosts): raise it for this one. */
const SESSION_WAIT_TIMEOUT_S = 7 * 24 * 3600;

export interface HeldDbLock {
  name: string;
  /** The server's id of the connection holding the lock (CONNECTION_ID()). */
  connectionId: number;
  /** Fires if the lock is lost (the connection broke and the lock could not be taken again). */
  lost: AbortSignal;
  release(): Promise<void>;
}

/** `lifeboat:<database>[:<part>]`, shortened with a hash when it would pass the server's limit. */
export function dbLockName(database: string, part?: string): string {
  const full = `lifeboat:${database}${part ? `:${part}` : ''}`;
  if (full.length <= MAX_LOCK_NAME) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 16);
  return `${full.slice(0, MAX_LOCK_NAME - hash.length - 1)}#${hash}`;
}

async function firstValue(connection: MysqlConnection, sql: string, params: unknown[]): Promise<unknown> {
  const [rows] = await connection.query(sql, params);
  const row = (rows as Record<string, unknown>[])[0];
  return row ? Object.values(row)[0] : undefined;
}

/** Opens a connection and takes the lock on it without waiting; undefined (connection closed) when it is busy. */
async function lockOnNewConnection(target: MysqlTarget, name: string): Promise<{ connection: MysqlConnection; connectionId: number } | undefined> {
  // No default schema: the lock needs none, and the shop's schema may be mid-rollback.
  const connection = await openConnection(target, { noDatabase: true });
  // A connection that breaks while idle reports it as an event: the next keep-alive check handles it.
  connection.on('error', () => undefined);
  try {
    await connection.query(`SET SESSION wait_timeout = ${SESSION_WAIT_TIMEOUT_S}`);
    const got = await firstValue(connection, 'SELECT GET_LOCK(?, 0)', [name]);
    if (Number(got) !== 1) {
      await connection.end();
      return undefined;
    }
    return { connection, connectionId: Number(await firstValue(connection, 'SELECT CONNECTION_ID()', [])) };
  } catch (error) {
    connection.destroy();
    throw error;
  }
}

/** Takes the named lock if it is free; undefined when another connection holds it. */
export async function takeDbLock(target: MysqlTarget, name: string, keepAliveMs = KEEPALIVE_MS): Promise<HeldDbLock | undefined> {
  const first = await lockOnNewConnection(target, name);
  if (!first) return undefined;
  let { connection, connectionId } = first;
  const lost = new AbortController();
  let released = false;
  let checking = false;
  const keepAlive = async () => {
    if (checking) return; // a slow check is still waiting for its answer
    checking = true;
    try {
      await checkOrRetake();
    } finally {
      checking = false;
    }
  };
  const checkOrRetake = async () => {
    try {
      await connection.query({ sql: 'SELECT 1', timeout: PING_TIMEOUT_MS });
      return;
    } catch {
      connection.destroy();
    }
    // The connection broke, so the server freed the lock: take it again at once if nobody else has.
    const again = await lockOnNewConnection(target, name).catch(() => undefined);
    if (released) {
      again?.connection.destroy();
      return;
    }
    if (again) ({ connection, connectionId } = again);
    else {
      clearInterval(timer);
      lost.abort(new Error(`lost the database lock "${name}": the connection to the database broke and another server may hold it now`));
    }
  };
  const timer = setInterval(() => void keepAlive(), keepAliveMs);
  timer.unref(); // a forgotten lock must not keep the process alive
  return {
    name,
    get connectionId() {
      return connectionId;
    },
    lost: lost.signal,
    release: async () => {
      released = true;
      clearInterval(timer);
      // Closing the connection frees the lock; RELEASE_LOCK first makes it free at once.
      await firstValue(connection, 'SELECT RELEASE_LOCK(?)', [name]).catch(() => undefined);
      await connection.end().catch(() => connection.destroy());
    },
  };
}

/**
 * Who holds the named lock, as far as the server tells: its connection id, client host and user
 * ("MySQL connection 42 from 10.0.0.7:51234 (user shop)"). undefined when the lock is free. Without the
 * PROCESS privilege only connections of the same user are visible: then just the id is given.
 */
export async function describeDbLockHolder(target: MysqlTarget, name: string): Promise<string | undefined> {
  const connection = await openConnection(target, { noDatabase: true });
  try {
    const id = await firstValue(connection, 'SELECT IS_USED_LOCK(?)', [name]);
    if (id === null || id === undefined) return undefined;
    const [rows] = await connection.query('SELECT HOST AS host, USER AS user FROM information_schema.PROCESSLIST WHERE ID = ?', [id]);
    const row = (rows as { host: string; user: string }[])[0];
    return row ? `MySQL connection ${String(id)} from ${row.host} (user ${row.user})` : `MySQL connection ${String(id)}`;
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}
