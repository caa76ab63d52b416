// A real MariaDB primary and replica for tests, started from the installed server: each instance has
// its own data folder under the run's temp root, a free port, the binary log on, and GTID replication
// (the replica logs its own updates, in strict mode, as a shop's failover replica does). Nothing is
// mocked: what the replica applies is what the primary's binary log holds.
import { tmpdir } from 'node:os';
import { startMariadbInstance } from '../../bench/own-server.js';
import { openConnection, type MysqlConnection } from '../../src/engines/mysql/connect.js';
import type { MysqlTarget } from '../../src/engines/target.js';

export interface ServerInstance {
  port: number;
  dir: string;
  /** A target on this server for `database`, as root unless a user is given. */
  target(database: string, user?: { user: string; password: string }): MysqlTarget;
  /** Runs SQL (several statements allowed) as root; returns the rows of the last result. */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

export interface ReplicatedPair {
  primary: ServerInstance;
  replica: ServerInstance;
  /** Waits until the replica has applied everything the primary has logged; fails when replication stopped. */
  synced(): Promise<void>;
  /** The replica's replication threads and last errors (SHOW SLAVE STATUS). */
  replicaStatus(): Promise<{ io: string; sql: string; lastError: string }>;
  stop(): Promise<void>;
}

export interface InstanceOptions {
  serverId: number;
  /** Extra server options, e.g. ['--log-slave-updates', '--gtid-strict-mode=1']. */
  options?: string[];
}

/** Starts one server instance with the binary log on (the bench's own server is started the same way). */
export async function startInstance({ serverId, options = [] }: InstanceOptions): Promise<ServerInstance> {
  const instance = await startMariadbInstance({ parent: tmpdir(), serverId, options: ['--innodb-buffer-pool-size=64M', ...options] });
  const { port } = instance.server;
  const target = (database: string, user?: { user: string; password: string }): MysqlTarget => ({
    kind: 'mysql',
    host: '127.0.0.1',
    port,
    user: user?.user ?? 'root',
    password: user?.password ?? '',
    database,
  });
  return {
    port,
    dir: instance.dataDir,
    target,
    sql: async <T>(text: string, params: unknown[] = []) => {
      const conn: MysqlConnection = await openConnection(target(''), { noDatabase: true, multipleStatements: true });
      try {
        const [rows] = await conn.query(text, params);
        const last = Array.isArray(rows) && Array.isArray(rows[rows.length - 1]) ? rows[rows.length - 1] : rows;
        return (Array.isArray(last) ? last : []) as T[];
      } finally {
        await conn.end();
      }
    },
    stop: async () => {
      await instance.stop();
    },
  };
}

/**
 * A primary and a replica replicating from it with GTID; the replica logs its own updates in GTID strict
 * mode (the setting that stops replication when anything else writes on the replica).
 */
export async function startReplicatedPair(options: { binlogFormat?: 'MIXED' | 'ROW' | 'STATEMENT' } = {}): Promise<ReplicatedPair> {
  const format = `--binlog-format=${options.binlogFormat ?? 'MIXED'}`;
  const [primary, replica] = await Promise.all([
    startInstance({ serverId: 1, options: [format] }),
    startInstance({ serverId: 2, options: [format, '--log-slave-updates', '--gtid-strict-mode=1', '--read-only=0'] }),
  ]);
  try {
    await primary.sql("CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl'; GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'");
    await replica.sql(
      `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primary.port}, MASTER_USER='repl', MASTER_PASSWORD='repl', MASTER_USE_GTID=slave_pos; START SLAVE`,
    );
  } catch (error) {
    await Promise.all([primary.stop(), replica.stop()]);
    throw error;
  }
  const replicaStatus = async () => {
    const [row] = await replica.sql<Record<string, string>>('SHOW SLAVE STATUS');
    return { io: row?.Slave_IO_Running ?? '', sql: row?.Slave_SQL_Running ?? '', lastError: row?.Last_SQL_Error || row?.Last_IO_Error || '' };
  };
  return {
    primary,
    replica,
    replicaStatus,
    synced: async () => {
      const [{ pos }] = await primary.sql<{ pos: string }>('SELECT @@gtid_binlog_pos AS pos');
      const deadline = Date.now() + 120_000;
      for (;;) {
        const [{ waited }] = await replica.sql<{ waited: number }>('SELECT MASTER_GTID_WAIT(?, 1) AS waited', [pos]);
        if (Number(waited) === 0) return;
        const status = await replicaStatus();
        if (status.sql !== 'Yes' || status.io !== 'Yes' || Date.now() > deadline) {
          throw new Error(`the replica did not apply the primary's binary log up to ${pos}: IO ${status.io}, SQL ${status.sql}; ${status.lastError}`);
        }
      }
    },
    stop: async () => {
      await Promise.all([primary.stop(), replica.stop()]);
    },
  };
}
