// The bench's own MariaDB server, started from the installed one, set up as a shop's primary is: the
// binary log on (MIXED, MariaDB's default format) and a server id, so every load, Lifeboat's rollback and
// `zcat | mariadb` alike, also writes the binary log, as it must on a shop with a replica or
// point-in-time recovery. A server without it does less work per row and flatters every restore.
// Everything else is MariaDB's default (a 128 MiB buffer pool, as the distribution's config has). Its
// data folder lives under the bench's temp parent and is removed when the bench ends (after a kill -9, by the next start).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { INSTANCE_PREFIX, OWNER_FILE, removeAbandonedInstances } from './abandoned-instances.js';
import { openConnection, type Server } from './server.js';

const execFileAsync = promisify(execFile);

export interface MariadbInstance {
  server: Server;
  pid: number;
  /** The instance's folder: its data folder `data`, socket, pid file and temporary files. */
  base: string;
  dataDir: string;
  /** Stops the server and removes its folder (unless `keep`: then returns the folder). */
  stop(keep?: boolean): Promise<string | undefined>;
}

export interface InstanceOptions {
  /** Where the instance's folder is made. */
  parent: string;
  serverId: number;
  /** More server options, e.g. ['--log-slave-updates', '--gtid-strict-mode=1']. */
  options?: string[];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function waitUntilAnswering(server: Server, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mariadbd exited with ${child.exitCode}: ${log().slice(-2000)}`);
    try {
      await (await openConnection(server)).end();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`mariadbd did not answer on port ${server.port} within 60 s: ${(error as Error).message}; ${log().slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * Starts a MariaDB server from the installed one, in a folder of its own under `parent`, with the binary
 * log on (MIXED) and `serverId`; root has no password. (The tests' primary and replica are made this way too.)
 * What a killed earlier process left under `parent` is removed first (abandoned-instances.ts).
 */
export async function startMariadbInstance({ parent, serverId, options = [] }: InstanceOptions): Promise<MariadbInstance> {
  await removeAbandonedInstances(parent);
  const base = await mkdtemp(path.join(parent, INSTANCE_PREFIX));
  await writeFile(path.join(base, OWNER_FILE), `${process.pid}\n`); // first: a killed start is found too
  const dataDir = path.join(base, 'data');
  // Each instance keeps its temporary files in its own folder: with three instances starting at once, a
  // bootstrap failed once in a shared one with its temporary tables gone (error 1051).
  const ownTmp = `--tmpdir=${base}`;
  try {
    await execFileAsync('mariadb-install-db', ['--no-defaults', '--user=root', `--datadir=${dataDir}`, '--auth-root-authentication-method=normal', '--skip-test-db', ownTmp]);
  } catch (error) {
    await rm(base, { recursive: true, force: true });
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('mariadb-install-db is not installed');
    throw new Error(`mariadb-install-db failed: ${(error as Error).message.split('\n')[0]}`);
  }
  const port = await freePort();
  const child = spawn(
    'mariadbd',
    [
      '--no-defaults',
      '--user=root',
      `--datadir=${dataDir}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${base}/mariadbd.sock`,
      `--pid-file=${base}/mariadbd.pid`,
      ownTmp,
      `--server-id=${serverId}`,
      `--log-bin=${dataDir}/bin`,
      '--binlog-format=MIXED',
      '--skip-name-resolve',
      ...options,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
  child.once('error', () => undefined); // a mariadbd that cannot be run shows as no pid below
  // A process that ends without stopping its instance (a crash, a timeout) must not leave it running.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  const server: Server = { host: '127.0.0.1', port, user: 'root', password: '' };
  const stop = async (keep = false): Promise<string | undefined> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    if (keep) {
      await rm(path.join(base, OWNER_FILE), { force: true }); // kept: no later start may take it for a killed one's
      return base;
    }
    await rm(base, { recursive: true, force: true });
    return undefined;
  };
  try {
    if (child.pid === undefined) throw new Error('mariadbd could not be started (is mariadb-server installed?)');
    await waitUntilAnswering(server, child, () => stderr);
  } catch (error) {
    await stop();
    throw error;
  }
  return { server, pid: child.pid, base, dataDir, stop };
}

/** Starts the bench's server under `parent`; throws a one-line error naming what is wrong. */
export async function startOwnServer(parent: string): Promise<MariadbInstance> {
  try {
    return await startMariadbInstance({ parent, serverId: 1 });
  } catch (error) {
    throw new Error(`cannot start the bench's own MariaDB server (${(error as Error).message.split('\n')[0]}); install mariadb-server, or pass --url of a server to use`);
  }
}
