// "A shop writing during the dump never waits more than 1 s on a lock held by Lifeboat": a writer
// connection inserts and updates in a loop (orders, status history, logs, an EAV row whose trigger writes
// the changelog, a session BLOB, the MyISAM table) while a dump runs, and reports its slowest statement.
// mysqldump --single-transaction and mydumper (which takes FLUSH TABLES WITH READ LOCK) run the same way
// for reference. The writer changes the source database: this section runs after the restores.
import type mysql from 'mysql2/promise';
import type { Context } from '../context.js';
import { median } from '../results.js';
import { openConnection, type Server } from '../server.js';
import { lifeboatDump, mydumper, mysqldumpPipe, removeBackup } from './dumpers.js';

export interface WriterStats {
  statements: number;
  errors: number;
  maxMs: number;
  p99Ms: number;
  /** The statement that waited longest. */
  slowest: string;
}

export interface LockRun {
  key: string;
  label: string;
  lifeboat: boolean;
  dumpSeconds: number[];
  writers: WriterStats[];
  skipped?: string;
}

const STATEMENTS: [string, (i: number, orders: number) => unknown[]][] = [
  [
    "INSERT INTO sales_order_status_history (parent_id, is_customer_notified, is_visible_on_front, comment, status, created_at, entity_name) VALUES (?, 0, 0, 'bench writer', 'processing', NOW(), 'order')",
    (i, orders) => [1 + (i % orders)],
  ],
  ["UPDATE sales_order SET status = 'processing', updated_at = NOW() WHERE entity_id = ?", (i, orders) => [1 + ((i * 7919) % orders)]],
  ["INSERT INTO log_event (created_at, level, channel, message) VALUES (NOW(6), 'info', 'bench', 'writer')", () => []],
  ['UPDATE catalog_product_entity_int SET value = value + 1 WHERE entity_id = ? AND attribute_id = 80', (i) => [1 + (i % 50)]],
  [
    "INSERT INTO session (session_id, session_expires, session_data) VALUES (?, 1, 'x') ON DUPLICATE KEY UPDATE session_expires = session_expires + 1",
    (i) => [`bench-writer-${i % 100}`],
  ],
  ["UPDATE legacy_myisam_log SET msg = CONCAT('written ', ?) WHERE id = ?", (i) => [i, 1 + (i % 1000)]],
];

/** Writes in a loop on its own connection until stopped; each statement is timed. */
class Writer {
  private stopped = false;
  private readonly latencies: number[] = [];
  private errors = 0;
  private slowest = { ms: 0, sql: '' };
  private loop: Promise<void> | undefined;

  constructor(private readonly conn: mysql.Connection, private readonly orders: number) {}

  start(): void {
    this.loop = (async () => {
      for (let i = 0; !this.stopped; i++) {
        const [sql, params] = STATEMENTS[i % STATEMENTS.length];
        const t0 = performance.now();
        try {
          await this.conn.query(sql, params(i, this.orders));
        } catch {
          this.errors++;
        }
        const ms = performance.now() - t0;
        this.latencies.push(ms);
        if (ms > this.slowest.ms) this.slowest = { ms, sql: sql.split(' ').slice(0, 3).join(' ') };
      }
    })();
  }

  async stop(): Promise<WriterStats> {
    this.stopped = true;
    await this.loop;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
    return { statements: sorted.length, errors: this.errors, maxMs: this.slowest.ms, p99Ms: p99, slowest: this.slowest.sql };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withWriter(server: Server, database: string, orders: number, dump: () => Promise<number>): Promise<{ seconds: number; stats: WriterStats }> {
  const conn = await openConnection(server, { database });
  try {
    const writer = new Writer(conn, orders);
    writer.start();
    await sleep(300);
    const seconds = await dump();
    await sleep(300);
    return { seconds, stats: await writer.stop() };
  } finally {
    await conn.end();
  }
}

export async function locksSection(ctx: Context, source: string, orders: number): Promise<LockRun[]> {
  const { tools } = ctx;
  const runs: (LockRun & { once: () => Promise<number> })[] = [
    {
      key: 'lifeboat',
      label: 'during lifeboat backup db',
      lifeboat: true,
      dumpSeconds: [],
      writers: [],
      once: async () => {
        const { sample, backup } = await lifeboatDump(ctx, source);
        if (backup) await removeBackup(backup);
        if (!sample.ok) throw new Error(`lifeboat backup db failed during the writer test: ${sample.note}`);
        return sample.seconds;
      },
    },
    {
      key: 'mysqldump-gzip',
      label: 'during mysqldump | gzip (reference)',
      lifeboat: false,
      dumpSeconds: [],
      writers: [],
      ...(!tools.dump || !tools.gzip ? { skipped: 'mysqldump or gzip not installed' } : {}),
      once: async () => (await mysqldumpPipe(ctx, source, 'gzip', ctx.scratch.path('locks.sql.gz'))).seconds,
    },
    {
      key: 'mydumper',
      label: 'during mydumper -t 2 -c (reference)',
      lifeboat: false,
      dumpSeconds: [],
      writers: [],
      ...(!tools.mydumper ? { skipped: 'mydumper not installed' } : {}),
      once: async () => (await mydumper(ctx, source, ctx.scratch.path('locks-mydumper'), false)).seconds,
    },
  ];
  for (let round = 1; round <= ctx.options.runs; round++) {
    for (const r of runs.filter((x) => !x.skipped)) {
      const { seconds, stats } = await withWriter(ctx.server, source, orders, r.once);
      r.dumpSeconds.push(seconds);
      r.writers.push(stats);
      ctx.log(`locks ${round}/${ctx.options.runs} ${r.label}: slowest write ${stats.maxMs.toFixed(0)} ms (${stats.slowest}), ${stats.statements} statements`);
    }
  }
  return runs.map(({ once: _once, ...r }) => r);
}

/** The slowest write over all runs, and the median dump time meanwhile. */
export function lockSummary(r: LockRun): { maxMs?: number; p99Ms?: number; statements?: number; dumpSeconds?: number; errors?: number } {
  if (r.writers.length === 0) return {};
  return {
    maxMs: Math.max(...r.writers.map((w) => w.maxMs)),
    p99Ms: Math.max(...r.writers.map((w) => w.p99Ms)),
    statements: r.writers.reduce((n, w) => n + w.statements, 0),
    errors: r.writers.reduce((n, w) => n + w.errors, 0),
    dumpSeconds: median(r.dumpSeconds),
  };
}
