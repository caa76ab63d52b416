// The parallel dump (several connections, one snapshot) against the real server: a consistent copy while
// the shop commits, the corner-case schema round trip, and per-table ranges of tables that went through
// a spool, read by parts as the off-site --table rollback does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { AtomicFile } from '../../src/archive/atomic-file.js';
import { FrameWriter } from '../../src/archive/codec/frame-writer.js';
import { gzip as gzipCodec } from '../../src/archive/codec/gzip.js';
import { FrameSpool } from '../../src/archive/codec/frame-spool.js';
import { createDatabaseBackup } from '../../src/core/backup/database.js';
import { planTableSql, readTableSql } from '../../src/core/rollback/table-sql.js';
import type { Manifest } from '../../src/shared/types.js';
import { openConnection, type MysqlConnection } from '../../src/engines/mysql/connect.js';
import { dumpMysql } from '../../src/engines/mysql/dump.js';
import { openSharedSnapshot } from '../../src/engines/mysql/dump-parallel.js';
import { restoreMysql } from '../../src/engines/mysql/restore.js';
import type { SpoolSink } from '../../src/engines/engine.js';
import type { MysqlTarget } from '../../src/engines/target.js';
import { fingerprint, loadWithStockClient, queryRows, schemaRegistry, tableChecksums, withConnection } from '../helpers/mysql.js';
import { runCli } from '../helpers/cli.js';
import { MemorySqlSink } from '../helpers/sink.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/mysql-corner-cases.sql', import.meta.url));

const schemas = schemaRegistry();
const schema = schemas.create;
const query = queryRows;
let tmp = '';

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-dump-parallel-'));
});

afterAll(async () => {
  await schemas.dropAll();
  await rm(tmp, { recursive: true, force: true });
});

describe('parallel dump on a live database', () => {
  it('gives every connection the same snapshot while the shop commits, and writes one valid .sql.gz', async () => {
    const source = await schema('par_live');
    await withConnection(source, (conn) =>
      conn.query(`CREATE TABLE a_ledger (id INT NOT NULL PRIMARY KEY, balance BIGINT NOT NULL);
        CREATE TABLE z_ledger LIKE a_ledger;
        INSERT INTO a_ledger VALUES (1, 1000000), (2, 0);
        INSERT INTO z_ledger VALUES (1, 0), (2, 0);
        CREATE TABLE m_orders (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, customer VARCHAR(100), note TEXT);
        INSERT INTO m_orders (customer, note) SELECT CONCAT('customer ', seq), REPEAT('note ', seq % 20) FROM seq_1_to_200000;
        ANALYZE TABLE m_orders, a_ledger, z_ledger`),
    );

    // Each transfer moves 1 from a_ledger to z_ledger and adds one 'live' order, in one transaction:
    // every snapshot has a + z = 1000000 and as many live orders as z holds. m_orders is read by one
    // connection and the ledgers by the other, so the check spans both snapshots.
    let stop = false;
    let transfers = 0;
    const writers = [1, 2, 3].map(() =>
      withConnection(source, async (conn) => {
        while (!stop) {
          await conn.query('START TRANSACTION');
          await conn.query('UPDATE a_ledger SET balance = balance - 1 WHERE id = 1');
          await conn.query('UPDATE z_ledger SET balance = balance + 1 WHERE id = 1');
          await conn.query("INSERT INTO m_orders (customer, note) VALUES ('live', 'written during the dump')");
          await conn.query('COMMIT');
          transfers++;
        }
      }),
    );
    try {
      while (transfers < 20) await new Promise((resolve) => setTimeout(resolve, 10));
      const record = await createDatabaseBackup(source, path.join(tmp, 'live'), { threads: 2 });
      const during = transfers;
      stop = true;
      await Promise.all(writers);
      expect(transfers).toBeGreaterThan(during - 1);
      expect(record.manifest?.warnings.join('\n')).not.toContain('one connection');

      const restored = await schema('par_live_r');
      await loadWithStockClient(restored, path.join(tmp, 'live', record.file));
      const [sums] = await query<{ total: string; moved: string; live: string }>(
        restored,
        "SELECT (SELECT SUM(balance) FROM a_ledger) + (SELECT SUM(balance) FROM z_ledger) AS total, (SELECT balance FROM z_ledger WHERE id = 1) AS moved, (SELECT COUNT(*) FROM m_orders WHERE customer = 'live') AS live",
      );
      expect(Number(sums.total)).toBe(1000000);
      expect(Number(sums.live)).toBe(Number(sums.moved));
      expect(Number(sums.moved)).toBeGreaterThan(0);
      expect(record.manifest?.tables.find((t) => t.name === 'm_orders')?.rows).toBe(200000 + Number(sums.live));
    } finally {
      stop = true;
      await Promise.all(writers);
    }
  });
});

describe('openSharedSnapshot', () => {
  it('holds commits while the connections open their transactions, so all see the same data', async () => {
    const source = await schema('par_block');
    await withConnection(source, (conn) => conn.query('CREATE TABLE counter (id INT NOT NULL PRIMARY KEY, n BIGINT NOT NULL); INSERT INTO counter VALUES (1, 0)'));
    let stop = false;
    const writer = withConnection(source, async (conn) => {
      while (!stop) await conn.query('UPDATE counter SET n = n + 1 WHERE id = 1');
    });
    const connections: MysqlConnection[] = [];
    try {
      const first = await openConnection(source);
      connections.push(first);
      // The second connection starts its transaction 300 ms after the first: without the commit block
      // the writer's autocommitted updates would land in between and the two views would differ.
      const snapshot = await openSharedSnapshot(source, first, true, 2, {
        prepare: async () => undefined,
        start: async (conn) => {
          if (conn !== first) await new Promise((resolve) => setTimeout(resolve, 300));
          await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
        },
        track: (conn) => connections.push(conn),
      });
      expect(snapshot.warning).toBeUndefined();
      expect(snapshot.connections).toHaveLength(2);
      const seen = await Promise.all(
        snapshot.connections.map(async (conn) => {
          const [rows] = await conn.query('SELECT n FROM counter');
          return Number((rows as { n: string }[])[0].n);
        }),
      );
      expect(seen[1]).toBe(seen[0]);
      // The writer went on once the block was lifted.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const [now] = await query<{ n: string }>(source, 'SELECT n FROM counter');
      expect(Number(now.n)).toBeGreaterThan(seen[0]);
    } finally {
      stop = true;
      await writer;
      for (const conn of connections) conn.destroy();
    }
  });

  it('falls back to one connection for a user without the RELOAD privilege: a warning when threads were asked for, silence for the default', async () => {
    const source = await schema('par_noreload');
    await withConnection(source, (conn) => conn.query("CREATE TABLE t (id INT PRIMARY KEY, v TEXT); INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_1000"));
    const user = `lbt_${Math.random().toString(36).slice(2, 10)}`;
    const password = 'Lifeboat-test-1';
    for (const host of ['%', 'localhost']) {
      await query(source, `CREATE USER '${user}'@'${host}' IDENTIFIED BY '${password}'`);
      await query(source, `GRANT ALL PRIVILEGES ON \`${source.database}\`.* TO '${user}'@'${host}'`);
    }
    try {
      const sink = new MemorySqlSink();
      const result = await dumpMysql({ ...source, user, password }, sink, { threads: 2, openSpool: () => sink.openSpool() });
      expect(result.warnings.join('\n')).toContain('the dump ran on one connection: the user lacks the RELOAD privilege');
      expect(result.tables.map((t) => [t.name, t.rows])).toEqual([['t', 1000]]);
      const quiet = new MemorySqlSink();
      const byDefault = await dumpMysql({ ...source, user, password }, quiet, { threads: 2, threadsAsked: false, openSpool: () => quiet.openSpool() });
      expect(byDefault.warnings).toEqual([]);
      expect(byDefault.tables.map((t) => [t.name, t.rows])).toEqual([['t', 1000]]);
    } finally {
      for (const host of ['%', 'localhost']) await query(source, `DROP USER IF EXISTS '${user}'@'${host}'`);
    }
  });
});

/** A schema with a big table (read by the first connection) and a small one (the second's spool). */
async function twoTables(prefix: string): Promise<MysqlTarget> {
  const source = await schema(prefix);
  await withConnection(source, (conn) =>
    conn.query("CREATE TABLE big (id INT PRIMARY KEY, v TEXT); INSERT INTO big SELECT seq, REPEAT('x', 200) FROM seq_1_to_200000; CREATE TABLE small (id INT PRIMARY KEY); INSERT INTO small VALUES (1); ANALYZE TABLE big, small"),
  );
  return source;
}

/**
 * Connections still open on the schema. Closed ones leave the server's list once it has read their end:
 * waits for that, up to 10 s (on one connection without a database, which does not count itself).
 */
async function connectionsLeft(source: MysqlTarget): Promise<number> {
  return withConnection({ ...source, database: '' }, async (conn) => {
    let count = -1;
    for (let i = 0; i < 100 && count !== 0; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      const [rows] = await conn.query('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ?', [source.database]);
      count = Number((rows as { n: string }[])[0].n);
    }
    return count;
  });
}

describe('parallel dump failures', () => {
  it('fails with the first error, closes every connection and disposes of every spool', async () => {
    const source = await twoTables('par_fail');
    const sink = new MemorySqlSink();
    let disposed = 0;
    const openSpool = async (): Promise<SpoolSink> => {
      const spool = await sink.openSpool();
      return Object.assign(spool, {
        write: async () => {
          throw new Error('disk full (test)');
        },
        dispose: async () => {
          disposed++;
        },
      });
    };
    await expect(dumpMysql(source, sink, { threads: 2, openSpool })).rejects.toThrow('disk full (test)');
    expect(disposed).toBe(1);
    expect(await connectionsLeft(source)).toBe(0);
  });

  it('stops both connections on abort and throws the abort reason', async () => {
    const source = await twoTables('par_abort');
    const sink = new MemorySqlSink();
    const controller = new AbortController();
    // Aborted in the middle of the big table's rows, once 1 MiB reached the sink or a spool (its rows are
    // 40 MB): progress comes at most every 200 ms, and a quick machine dumps the table in less. Or after
    // 3 s, whatever the dump has written: a dump held up on the shared server (another test's lock) must
    // stop on abort as well, and the test must not wait for writes that may not come.
    const deadline = setTimeout(() => controller.abort(new Error('cancelled (test)')), 3000);
    let written = 0;
    const abortingWrites = <T extends { write(chunk: string | Buffer): Promise<void> }>(target: T): T => {
      const write = target.write.bind(target);
      target.write = async (chunk) => {
        written += chunk.length;
        if (written > 1 << 20) controller.abort(new Error('cancelled (test)'));
        return write(chunk);
      };
      return target;
    };
    abortingWrites(sink);
    const openSpool = async () => abortingWrites(await sink.openSpool());
    await expect(dumpMysql(source, sink, { threads: 2, openSpool, signal: controller.signal })).rejects.toThrow('cancelled (test)');
    clearTimeout(deadline);
    expect(await connectionsLeft(source)).toBe(0);
  });
  it('stops on abort that comes just before a table is read', async () => {
    // The abort closes the connections before the table's SELECT is sent: the driver neither runs nor
    // fails a query on a closed connection, so the dump must not wait for its rows.
    for (const threads of [1, 2]) {
      const source = await twoTables(`par_abort_cut${threads}`);
      const sink = new MemorySqlSink();
      const controller = new AbortController();
      const cut = sink.cut.bind(sink);
      sink.cut = async () => {
        const frame = await cut();
        controller.abort(new Error('cancelled (test)'));
        return frame;
      };
      await expect(dumpMysql(source, sink, { threads, openSpool: () => sink.openSpool(), signal: controller.signal })).rejects.toThrow('cancelled (test)');
      expect(await connectionsLeft(source)).toBe(0);
    }
  });
  it('stops on abort while another session holds a lock the dump waits for', async () => {
    const source = await twoTables('par_abort_locked');
    const controller = new AbortController();
    // A session that keeps the big table write-locked: the dump's reads of it wait for the lock, and a
    // cancelled backup must not wait with them (the lock's holder can be a long migration).
    const holder = await openConnection(source);
    try {
      await holder.query('LOCK TABLES big WRITE');
      setTimeout(() => controller.abort(new Error('cancelled (test)')), 1000);
      await expect(dumpMysql(source, new MemorySqlSink(), { threads: 2, signal: controller.signal })).rejects.toThrow('cancelled (test)');
    } finally {
      await holder.end();
    }
    expect(await connectionsLeft(source)).toBe(0);
  });
});

describe('parallel dump of the corner-case schema', () => {
  it('loads with the stock client into identical tables and objects, every table data range its own', async () => {
    const source = await schema('par_corner');
    await loadWithStockClient(source, FIXTURE);
    const sink = new MemorySqlSink();
    const result = await dumpMysql(source, sink, { threads: 2, openSpool: () => sink.openSpool() });
    expect(result.warnings.join('\n')).not.toContain('one connection');
    const dump = sink.toBuffer();
    let previousEnd = 0;
    for (const table of result.tables) {
      expect(table.dataOffset).toBeGreaterThanOrEqual(previousEnd);
      previousEnd = table.dataOffset + table.dataLength;
      const before = dump.subarray(0, table.dataOffset).toString('utf8');
      expect(before.lastIndexOf(`CREATE TABLE \`${table.name}\``)).toBeGreaterThan(-1);
      if (table.rows === 0) continue;
      const text = dump.subarray(table.dataOffset, table.dataOffset + table.dataLength).toString('utf8');
      // Its rows (after CHECK constraints go off, when a long value needs it), then the pieces appended.
      expect(text.startsWith(`INSERT INTO \`${table.name.replace(/`/g, '``')}\` (`) || text.startsWith('/*M!100201 SET ')).toBe(true);
      expect(text.endsWith(';\n')).toBe(true);
    }
    const file = path.join(tmp, 'corner.sql');
    await sink.saveTo(file);
    const restored = await schema('par_corner_r');
    await loadWithStockClient(restored, file);
    const [before, after] = await Promise.all([fingerprint(source), fingerprint(restored)]);
    expect(Object.keys(after.tables).length).toBe(result.tables.length);
    expect(after).toEqual(before);
  });
});

describe('parallel dump: ranges of spooled tables', () => {
  it('records gzip and data offsets that read a spooled table by parts for a --table rollback', async () => {
    const source = await schema('par_ranges');
    const smallTable = (name: string) =>
      `CREATE TABLE ${name} (id INT NOT NULL PRIMARY KEY, v VARCHAR(20));
       INSERT INTO ${name} SELECT seq, CONCAT('${name}', seq) FROM seq_1_to_500;
       CREATE TRIGGER ${name}_bi BEFORE INSERT ON ${name} FOR EACH ROW SET NEW.v = UPPER(NEW.v);`;
    await withConnection(source, (conn) =>
      conn.query(`CREATE TABLE big (id INT NOT NULL PRIMARY KEY, v VARCHAR(200));
        INSERT INTO big SELECT seq, REPEAT(CONCAT('v', seq), 10) FROM seq_1_to_150000;
        ${['small_a', 'small_b', 'small_c'].map(smallTable).join('\n')}
        ANALYZE TABLE big, small_a, small_b, small_c`),
    );
    const file = path.join(tmp, 'ranges.sql.gz');
    const out = await AtomicFile.create(file);
    const gzip = new FrameWriter(out, gzipCodec, { level: 1, blockSize: 64 << 10 });
    const spooledTables: string[] = [];
    const openSpool = async (): Promise<SpoolSink> => {
      const spool = await FrameSpool.open(path.join(tmp, `spool-${spooledTables.length}`), gzip, { level: 1 });
      // Notes which tables go through the spool (the other worker's), from their structure headings.
      const write = spool.write.bind(spool);
      spool.write = async (chunk) => {
        const heading = /^-- Table structure for table `([^`]+)`/m.exec(chunk.toString());
        if (heading) spooledTables.push(heading[1]);
        await write(chunk);
      };
      return spool;
    };
    const result = await dumpMysql(source, gzip, { threads: 2, openSpool });
    const sqlBytes = await gzip.finish();
    await out.commit();
    expect(spooledTables.length).toBeGreaterThan(0);
    expect(result.warnings.join('\n')).not.toContain('one connection');

    const archive = await readFile(file);
    const sql = gunzipSync(archive);
    expect(sql.length).toBe(sqlBytes);
    for (const table of result.tables) {
      // The offsets are the same bytes whether read from the whole file or from the table's member on.
      const fromMember = gunzipSync(archive.subarray(table.frameOffset));
      expect(fromMember.subarray(0, table.dataLength).equals(sql.subarray(table.dataOffset, table.dataOffset + table.dataLength))).toBe(true);
      if (table.rows > 0) expect(fromMember.subarray(0, 13).toString()).toBe('INSERT INTO `');
    }

    const restored = await schema('par_ranges_r');
    await loadWithStockClient(restored, file);
    const spooled = spooledTables[0];
    await withConnection(restored, (conn) => conn.query(`DELETE FROM \`${spooled}\` WHERE id > 10`));
    // A manifest as the backup's would be: just what planTableSql reads (the frame offset stored as gzipOffset).
    const tables = result.tables.map(({ frameOffset, ...table }) => ({ ...table, gzipOffset: frameOffset }));
    const manifest = { type: 'db', engine: { kind: 'mysql' }, archive: { compression: 'gzip' }, tables } as unknown as Manifest;
    const plan = planTableSql(manifest, [spooled]);
    expect(plan).toBeDefined();
    const handle = await open(file, 'r');
    try {
      const read = async (start: number, end: number) => {
        const buffer = Buffer.alloc(end - start);
        await handle.read(buffer, 0, buffer.length, start);
        return [buffer];
      };
      // planTableSql was checked above; the non-null assertion only narrows the type.
      await restoreMysql(restored, readTableSql(read, plan!), { tables: [spooled] });
    } finally {
      await handle.close();
    }
    const names = ['big', 'small_a', 'small_b', 'small_c'];
    expect(await tableChecksums(restored, names)).toEqual(await tableChecksums(source, names));
    const [trigger] = await query<{ n: string }>(restored, "SELECT COUNT(*) AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME = ?", [`${spooled}_bi`]);
    expect(Number(trigger.n)).toBe(1);
  });
});

describe('lifeboat backup db --threads', () => {
  it('takes 1 to 16 connections, refuses anything else in one line, and leaves only the archive', async () => {
    const source = await schema('par_cli');
    await withConnection(source, (conn) =>
      conn.query("CREATE TABLE a (id INT PRIMARY KEY, v TEXT); CREATE TABLE b LIKE a; INSERT INTO a SELECT seq, REPEAT('a', seq % 50) FROM seq_1_to_5000; INSERT INTO b SELECT * FROM a"),
    );
    const root = path.join(tmp, 'cli');
    const env = { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: `mysql://${source.user}${source.password ? ':' + source.password : ''}@${source.host}:${source.port}/${source.database}` };
    for (const bad of ['0', '17', '1.5', 'two']) {
      const refused = await runCli(['backup', 'db', '--threads', bad], env);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe(`lifeboat: --threads must be a whole number from 1 to 16, not "${bad}"\n`);
    }
    for (const threads of ['1', '3']) {
      const made = await runCli(['backup', 'db', '--threads', threads, '--json'], env);
      expect(made.code).toBe(0);
      const record = JSON.parse(made.stdout) as { file: string; warnings: string[] };
      expect(record.warnings).toEqual([]);
      const restored = await schema(`par_cli_r${threads}`);
      await loadWithStockClient(restored, path.join(root, 'var', 'backups', record.file));
      const names = ['a', 'b'];
      expect(await tableChecksums(restored, names)).toEqual(await tableChecksums(source, names));
    }
    // The spools were deleted from the folder when opened: only archives and manifests are left.
    const left = await readdir(path.join(root, 'var', 'backups'));
    expect(left.filter((f) => !f.endsWith('.sql.gz') && !f.endsWith('.json'))).toEqual([]);
  });
});
