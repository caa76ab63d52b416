// Issue 20's start-up figures: what a Lifeboat command costs as a whole when there is next to no work, in
// multiples of Node starting and doing nothing (`node -e 0`, with the binary that runs the bench), and
// next to the standard tools doing the same small job. The commands run as installed: node
// bin/lifeboat.js. The database holds one table of a few rows: `backup db` of it, and `rollback` of that
// backup over the table with one row changed (the usual case: the table exists), against
// mariadb-dump | gzip -6 and zcat | mariadb. Alternated, at least MIN_STARTUP_RUNS times each (runs are
// short), wall time only: GNU time around a 50 ms command would weigh in the figure.
import os from 'node:os';
import { lifeboatArgv, lifeboatEnv, measure, oneTableDatabase, type Context } from '../context.js';
import { failureLine } from '../proc.js';
import { contestant, type Check, type Contestant, type Sample } from '../results.js';
import { openConnection } from '../server.js';
import { dbManifest } from '../verify/db-manifest.js';
import { lifeboatDump, mysqldumpPipe, removeBackup } from './dumpers.js';
import { zcatMysql } from './restore.js';

export const MIN_STARTUP_RUNS = 10;
const ROWS = 5;
/** Where the measured backups go (each removed after its run) and where the one rolled back lives. */
const BACKUPS = 'startup-backups';
const ROLLBACK_BACKUPS = 'startup-rollback';

export interface StartupResult {
  /** Runs of each contestant. */
  runs: number;
  contestants: Contestant[];
  checks: Check[];
  /** 1-minute load average before and after the section. */
  load: { before: number; after: number };
}

interface Entry {
  c: Contestant;
  once: () => Promise<Sample>;
}

/** Rows and CHECKSUM TABLE ... EXTENDED of every table, as one comparable line. */
async function tableState(ctx: Context, database: string): Promise<string> {
  const { tables } = await dbManifest(ctx.server, database);
  return [...tables].map(([name, t]) => `${name}: ${t.rows} rows, checksum ${t.checksum}`).join('; ');
}

/** Changes one row, so that a restore has something to put back. */
async function changeRow(ctx: Context, database: string): Promise<void> {
  const conn = await openConnection(ctx.server, { database });
  try {
    await conn.query("UPDATE flag SET flag_code = 'changed' WHERE flag_id = 1");
  } finally {
    await conn.end();
  }
}

export async function startupSection(ctx: Context): Promise<StartupResult> {
  const load = { before: os.loadavg()[0], after: 0 };
  const runs = Math.max(ctx.options.runs, MIN_STARTUP_RUNS);
  const wall: Context = { ...ctx, wallOnly: true };
  const db = await oneTableDatabase(ctx, 'startup', ROWS);
  const want = await tableState(ctx, db);
  const env = lifeboatEnv(ctx, db, undefined, BACKUPS);
  const noDump = !ctx.tools.dump || !ctx.tools.gzip ? 'mariadb-dump/mysqldump or gzip not installed' : undefined;
  const noLoad = noDump ?? (ctx.tools.client ? undefined : 'mariadb/mysql client not installed');
  // What the restores read: one Lifeboat backup in a folder of its own, one dump file (made before the
  // timed runs, which also warms the file cache for every command measured).
  const kept = await lifeboatDump(ctx, db, ROLLBACK_BACKUPS);
  const reference = ctx.scratch.path('startup-reference.sql.gz');
  const referenceMade = noDump ? undefined : await mysqldumpPipe(ctx, db, 'gzip', reference);
  const noReference = noLoad ?? (referenceMade?.ok ? undefined : `no reference dump (${referenceMade?.note})`);
  const dumpName = ctx.tools.dump?.split('/').pop() ?? 'mysqldump';
  const clientName = ctx.tools.client?.split('/').pop() ?? 'mysql';

  const restored = async (sample: Sample): Promise<Sample> => {
    if (!sample.ok) return sample;
    const got = await tableState(ctx, db);
    return got === want ? { ...sample, verification: 'ok' } : { ...sample, verification: 'mismatch', note: `after the restore ${got}; before the change ${want}` };
  };
  const list: Entry[] = [
    {
      c: contestant('node', 'node -e 0'),
      once: async () => (await measure(wall, [process.execPath, '-e', '0'])).sample,
    },
    {
      c: contestant('help', 'lifeboat --help', true),
      once: async () => {
        const { result, sample } = await measure(wall, lifeboatArgv('--help'), env);
        return result.code === 0 ? sample : { ...sample, ok: false, note: failureLine(result) };
      },
    },
    {
      c: contestant('backup', `lifeboat backup db (1 table, ${ROWS} rows)`, true),
      once: async () => {
        const { sample, backup } = await lifeboatDump(wall, db, BACKUPS);
        if (backup) await removeBackup(backup);
        return sample;
      },
    },
    {
      c: contestant('dump-gzip', `${dumpName} | gzip -6`, false, noDump),
      once: () => mysqldumpPipe(wall, db, 'gzip', ctx.scratch.path('startup-dump.sql.gz')),
    },
    {
      c: contestant('rollback', 'lifeboat rollback ID --yes', true, kept.backup ? undefined : `no backup to roll back (${kept.sample.note})`),
      once: async () => {
        await changeRow(ctx, db);
        const argv = lifeboatArgv('rollback', kept.backup?.id ?? '', '--yes', '--json');
        const { result, sample } = await measure(wall, argv, lifeboatEnv(ctx, db, undefined, ROLLBACK_BACKUPS));
        return restored(result.code === 0 ? sample : { ...sample, ok: false, note: failureLine(result) });
      },
    },
    {
      c: contestant('zcat-mysql', `zcat | ${clientName}`, false, noReference),
      once: async () => {
        await changeRow(ctx, db);
        return restored(await zcatMysql(wall, reference, db));
      },
    },
  ];
  const active = list.filter((e) => !e.c.skipped);
  for (let round = 1; round <= runs; round++) {
    for (const e of active) {
      const sample = await e.once();
      e.c.samples.push(sample);
      const verdict = !sample.ok ? `FAILED (${sample.note})` : sample.verification === 'mismatch' ? `MISMATCH: ${sample.note}` : `${(sample.seconds * 1000).toFixed(0)} ms`;
      ctx.log(`startup ${round}/${runs} ${e.c.label}: ${verdict}`);
    }
  }
  load.after = os.loadavg()[0];
  if (kept.backup) await removeBackup(kept.backup);

  const rollbacks = list.find((e) => e.c.key === 'rollback')?.c.samples ?? [];
  const verified = rollbacks.filter((s) => s.verification === 'ok').length;
  const name = 'lifeboat rollback puts the changed row back (rows and CHECKSUM TABLE EXTENDED after each run)';
  const checks: Check[] = [
    rollbacks.length === 0
      ? { name, pass: undefined, detail: 'no rollback ran' }
      : { name, pass: verified === rollbacks.length, detail: `${verified} of ${rollbacks.length} runs equal the table before the change` },
  ];
  return { runs, contestants: list.map((e) => e.c), checks, load };
}
