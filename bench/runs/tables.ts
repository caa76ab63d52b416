// "A database with 400 tables, most of them tiny (as Magento has), costs no more per table than mysqldump
// does": Lifeboat's backup db and mysqldump | gzip -6 on a schema of 400 small tables and on one with a
// single such table, alternated. The cost per table is (time for 400 − time for 1) / 399, so that the
// fixed start-up cost of each tool (Node's is larger than a C program's) is not counted per table.
import type { Context } from '../context.js';
import { contestant, median, type Contestant, type Sample } from '../results.js';
import { openConnection, quoteId } from '../server.js';
import { lifeboatDump, mysqldumpPipe, removeBackup } from './dumpers.js';

export const MANY_TABLES = 400;

/** Table i: most hold 0-5 rows, one in ten ~50, one in fifty ~500 (sizes of Magento's config-like tables). */
function tableDdl(i: number): string {
  const name = quoteId(`tiny_${String(i).padStart(3, '0')}`);
  const rows = i % 50 === 0 ? 500 : i % 10 === 0 ? 50 : i % 6;
  const create =
    `CREATE TABLE ${name} (id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, code varchar(64) NOT NULL, ` +
    `value text, sort_order smallint NOT NULL DEFAULT 0, updated_at timestamp NOT NULL DEFAULT '2024-01-01 00:00:00', ` +
    `UNIQUE KEY (code), KEY (sort_order)) ENGINE=InnoDB`;
  if (rows === 0) return create + ';';
  return (
    create +
    `; INSERT INTO ${name} (code, value, sort_order) SELECT CONCAT('code_', s.seq), CONCAT('{"setting":', s.seq, ',"table":${i}}'), s.seq % 10 ` +
    `FROM seq_1_to_${rows} s;`
  );
}

async function createSchema(ctx: Context, purpose: string, tables: number): Promise<string> {
  const database = await ctx.scratch.freshDatabase(purpose);
  const conn = await openConnection(ctx.server, { database, multipleStatements: true });
  try {
    const ddl = Array.from({ length: tables }, (_, i) => tableDdl(i + 1));
    for (let i = 0; i < ddl.length; i += 50) await conn.query(ddl.slice(i, i + 50).join('\n'));
  } finally {
    await conn.end();
  }
  return database;
}

export interface TablesResult {
  contestants: Contestant[];
  /** Seconds per extra table: (median with 400 − median with 1) / 399. */
  lifeboatPerTable?: number;
  mysqldumpPerTable?: number;
}

export async function tablesSection(ctx: Context): Promise<TablesResult> {
  const many = await createSchema(ctx, 't400', MANY_TABLES);
  const one = await createSchema(ctx, 't1', 1);
  const noDump = !ctx.tools.dump || !ctx.tools.gzip ? 'mysqldump or gzip not installed' : undefined;
  const list: { c: Contestant; once: () => Promise<Sample> }[] = [];
  for (const [db, n] of [
    [many, MANY_TABLES],
    [one, 1],
  ] as const) {
    list.push({
      c: contestant(`lifeboat-${n}`, `lifeboat backup db, ${n} table${n > 1 ? 's' : ''}`, true),
      once: async () => {
        const { sample, backup } = await lifeboatDump(ctx, db);
        if (backup) await removeBackup(backup);
        return sample;
      },
    });
    list.push({
      c: contestant(`mysqldump-${n}`, `mysqldump | gzip -6, ${n} table${n > 1 ? 's' : ''}`, false, noDump),
      once: () => mysqldumpPipe(ctx, db, 'gzip', ctx.scratch.path(`tables-${n}.sql.gz`)),
    });
  }
  for (let round = 1; round <= ctx.options.runs; round++) {
    for (const e of list.filter((x) => !x.c.skipped)) {
      const sample = await e.once();
      e.c.samples.push(sample);
      ctx.log(`tables ${round}/${ctx.options.runs} ${e.c.label}: ${sample.ok ? `${sample.seconds.toFixed(2)} s` : `FAILED (${sample.note})`}`);
    }
  }
  const perTable = (key: string) => {
    const t = (k: string) => median((list.find((e) => e.c.key === k)?.c.samples ?? []).filter((s) => s.ok).map((s) => s.seconds));
    const a = t(`${key}-${MANY_TABLES}`);
    const b = t(`${key}-1`);
    return a !== undefined && b !== undefined ? (a - b) / (MANY_TABLES - 1) : undefined;
  };
  return { contestants: list.map((e) => e.c), lifeboatPerTable: perTable('lifeboat'), mysqldumpPerTable: perTable('mysqldump') };
}
