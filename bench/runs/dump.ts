// The dump section: Lifeboat's `backup db` against mysqldump | gzip -6, mysqldump | pigz -6 -p 2,
// mydumper -t 2 -c and mydumper -t 2 -c -r 250000, and `backup db --compression zstd` against
// mysqldump | zstd -3 -T2, alternated, each round starting one further along (A B C D E, B C D E A, ...). The last output of each is kept for
// the restore section.
import type { Context } from '../context.js';
import { contestant, inTurn, type Contestant, type Sample } from '../results.js';
import { lifeboatDump, mydumper, mysqldumpPipe, removeBackup, type LifeboatDump } from './dumpers.js';

export interface DumpOutputs {
  /** Lifeboat's latest backup of the source. */
  lifeboat?: { id: string; path: string; sqlBytes?: number };
  /** The same in zstd (.sql.zst). */
  lifeboatZstd?: { id: string; path: string };
  /** mysqldump | gzip -6 output. */
  sqlGz?: string;
  mydumper?: string;
  mydumperChunked?: string;
}

interface Entry {
  c: Contestant;
  once: () => Promise<Sample>;
}

/** The contestants, each with one run; `outputs` is filled as runs succeed. */
function entries(ctx: Context, source: string, outputs: DumpOutputs): Entry[] {
  const { tools } = ctx;
  const noDump = !tools.dump ? 'mysqldump/mariadb-dump not installed' : undefined;
  const list: Entry[] = [];
  let previous: LifeboatDump['backup'];
  list.push({
    c: contestant('lifeboat', 'lifeboat backup db', true),
    once: async () => {
      const { sample, backup } = await lifeboatDump(ctx, source);
      if (backup) {
        if (previous) await removeBackup(previous);
        previous = backup;
        outputs.lifeboat = { id: backup.id, path: backup.path, ...(backup.sqlBytes ? { sqlBytes: backup.sqlBytes } : {}) };
      }
      return sample;
    },
  });
  let previousZstd: LifeboatDump['backup'];
  list.push({
    c: contestant('lifeboat-zstd', 'lifeboat backup db --compression zstd', true),
    once: async () => {
      const { sample, backup } = await lifeboatDump(ctx, source, undefined, 'zstd');
      if (backup) {
        if (previousZstd) await removeBackup(previousZstd);
        previousZstd = backup;
        outputs.lifeboatZstd = { id: backup.id, path: backup.path };
      }
      return sample;
    },
  });
  const gz = ctx.scratch.path('mysqldump.sql.gz');
  list.push({
    c: contestant('mysqldump-gzip', 'mysqldump | gzip -6', false, noDump ?? (!tools.gzip ? 'gzip not installed' : undefined)),
    once: async () => {
      const sample = await mysqldumpPipe(ctx, source, 'gzip', gz);
      if (sample.ok) outputs.sqlGz = gz;
      return sample;
    },
  });
  list.push({
    c: contestant('mysqldump-pigz', 'mysqldump | pigz -6 -p 2', false, noDump ?? (!tools.pigz ? 'pigz not installed' : undefined)),
    once: () => mysqldumpPipe(ctx, source, 'pigz', ctx.scratch.path('mysqldump-pigz.sql.gz')),
  });
  list.push({
    c: contestant('mysqldump-zstd', 'mysqldump | zstd -3 -T2', false, noDump ?? (!tools.zstd ? 'zstd not installed' : undefined)),
    once: () => mysqldumpPipe(ctx, source, 'zstd', ctx.scratch.path('mysqldump.sql.zst')),
  });
  for (const chunked of [false, true]) {
    const dir = ctx.scratch.path(chunked ? 'mydumper-chunked' : 'mydumper');
    list.push({
      c: contestant(
        chunked ? 'mydumper-chunked' : 'mydumper',
        chunked ? 'mydumper -t 2 -c -r 250000' : 'mydumper -t 2 -c',
        false,
        !tools.mydumper ? 'mydumper not installed' : undefined,
      ),
      once: async () => {
        const sample = await mydumper(ctx, source, dir, chunked);
        if (sample.ok) outputs[chunked ? 'mydumperChunked' : 'mydumper'] = dir;
        return sample;
      },
    });
  }
  return list;
}

export async function dumpSection(ctx: Context, source: string, outputs: DumpOutputs): Promise<Contestant[]> {
  const list = entries(ctx, source, outputs);
  const active = list.filter((e) => !e.c.skipped);
  for (let round = 1; round <= ctx.options.runs; round++) {
    for (const e of inTurn(active, round)) {
      const sample = await e.once();
      e.c.samples.push(sample);
      ctx.log(`dump ${round}/${ctx.options.runs} ${e.c.label}: ${sample.ok ? `${sample.seconds.toFixed(2)} s` : `FAILED (${sample.note})`}`);
    }
  }
  return list.map((e) => e.c);
}

/** Makes the dumps the restore section needs when the dump section did not run (untimed). */
export async function prepareRestoreInputs(ctx: Context, source: string, outputs: DumpOutputs): Promise<void> {
  for (const e of entries(ctx, source, outputs)) {
    if (e.c.skipped || e.c.key === 'mysqldump-pigz' || e.c.key === 'mysqldump-zstd') continue;
    const sample = await e.once();
    ctx.log(`restore input: ${e.c.label} ${sample.ok ? 'written' : `FAILED (${sample.note})`}`);
  }
}
