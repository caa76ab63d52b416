// The dump's sockets read into a buffer of their own that is filled again at each read while a table's
// rows are read raw (socket-reads.ts). These rows stress what must survive that: rows larger than one
// read (their packet continues over several), many small rows per read, and a slow sink that pauses the
// connection with rows of the current read still queued. The dump must load back into equal tables.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dumpMysql } from '../../src/engines/mysql/dump.js';
import { loadWithStockClient, schemaRegistry, tableChecksums, withConnection } from '../helpers/mysql.js';
import { MemorySqlSink } from '../helpers/sink.js';

const schemas = schemaRegistry();

/** A sink that takes its time now and then: the dump pauses its connection meanwhile. */
class SlowSink extends MemorySqlSink {
  private writes = 0;

  override async write(chunk: string | Buffer): Promise<void> {
    await super.write(chunk);
    if (++this.writes % 3 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

afterAll(() => schemas.dropAll());

describe('a dump whose socket reads share one buffer', () => {
  it('loads back equal: rows over several reads, many rows a read, a slow sink', async () => {
    const source = await schemas.create('reads');
    // wide: six TEXT columns of up to 60,000 bytes, rows up to ~360 KB (more than one read), with
    // quotes, backslashes, line breaks and multi-byte characters; narrow: 150,000 short rows.
    await withConnection(source, (conn) =>
      conn.query(`CREATE TABLE wide (id INT NOT NULL PRIMARY KEY, a TEXT, b TEXT, c TEXT, d TEXT, e TEXT, f TEXT) DEFAULT CHARSET = utf8mb4;
        INSERT INTO wide SELECT seq,
          REPEAT(CONCAT('it''s \\\\ a "row"\\n', seq, 'é€'), (seq * 20) % 2500),
          REPEAT('b', (seq * 7919) % 60000), REPEAT('c\\r\\n', (seq * 104729) % 20000),
          IF(seq % 5 = 0, NULL, REPEAT(SHA2(seq, 256), seq % 900)), REPEAT('e', 60000 - seq), REPEAT(CHAR(0, 26, 39), seq % 5000)
        FROM seq_1_to_120;
        CREATE TABLE narrow (id INT NOT NULL PRIMARY KEY, name VARCHAR(40), amount DECIMAL(12,4), at DATETIME(3));
        INSERT INTO narrow SELECT seq, CONCAT('name ''', seq), seq / 7, '2026-01-01' + INTERVAL seq SECOND FROM seq_1_to_150000;`),
    );
    // One connection, then two (the second table goes through a spool), each loaded into a copy of its own.
    for (const threads of [1, 2]) {
      const sink = new SlowSink();
      const dump = await dumpMysql(source, sink, { threads, openSpool: () => sink.openSpool() });
      expect(dump.tables.map((t) => [t.name, t.rows]).sort()).toEqual([
        ['narrow', 150000],
        ['wide', 120],
      ]);
      const copy = await schemas.create(`reads_copy${threads}`);
      const tmp = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-dump-reads-'));
      try {
        const file = path.join(tmp, 'reads.sql');
        await sink.saveTo(file);
        await loadWithStockClient(copy, file);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
      expect(await tableChecksums(copy, ['narrow', 'wide'])).toEqual(await tableChecksums(source, ['narrow', 'wide']));
    }
  }, 120_000);
});
