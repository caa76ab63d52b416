// The text section: the dump contestants on the text-heavy database (bench/shop/text-heavy.ts), where
// the archive's size depends most on the compressor (prose compresses 3 to 4 times, the shop's rows 5 to
// 6): Lifeboat's backup db against mysqldump | gzip -6, and with zstd against mysqldump | zstd -3 -T2,
// alternated. Unless --keep, its outputs are removed at the end (no later section uses them), and so is
// the database: at scale 1 it holds about 2 GB.
import { rm } from 'node:fs/promises';
import type { Context } from '../context.js';
import { contestant, inTurn, type Contestant, type Sample } from '../results.js';
import { generateTextShop, type GeneratedText } from '../shop/text-heavy.js';
import { lifeboatDump, mysqldumpPipe, removeBackup, type LifeboatDump } from './dumpers.js';

export interface TextResult {
  generated: GeneratedText;
  contestants: Contestant[];
  /** Uncompressed SQL of Lifeboat's dump. */
  sqlBytes?: number;
}

interface Entry {
  c: Contestant;
  once: () => Promise<Sample>;
  /** Removes what the last run wrote. */
  cleanup: () => Promise<void>;
}

/** Lifeboat's backup db in `compression`, keeping only its latest archive (in their own folder, apart from the dump section's). */
function lifeboatEntry(ctx: Context, database: string, compression: 'gzip' | 'zstd', onSqlBytes: (bytes: number) => void): Entry {
  let previous: LifeboatDump['backup'];
  const zstd = compression === 'zstd';
  return {
    c: contestant(zstd ? 'lifeboat-zstd' : 'lifeboat', zstd ? 'lifeboat backup db --compression zstd' : 'lifeboat backup db', true),
    once: async () => {
      const { sample, backup } = await lifeboatDump(ctx, database, 'text-backups', zstd ? 'zstd' : undefined);
      if (backup) {
        if (previous) await removeBackup(previous);
        previous = backup;
        if (backup.sqlBytes) onSqlBytes(backup.sqlBytes);
      }
      return sample;
    },
    cleanup: async () => {
      if (previous) await removeBackup(previous);
    },
  };
}

function mysqldumpEntry(ctx: Context, database: string, compressor: 'gzip' | 'zstd'): Entry {
  const { tools } = ctx;
  const out = ctx.scratch.path(compressor === 'gzip' ? 'text-mysqldump.sql.gz' : 'text-mysqldump.sql.zst');
  const skipped = !tools.dump ? 'mysqldump/mariadb-dump not installed' : !tools[compressor] ? `${compressor} not installed` : undefined;
  return {
    c: contestant(`mysqldump-${compressor}`, compressor === 'gzip' ? 'mysqldump | gzip -6' : 'mysqldump | zstd -3 -T2', false, skipped),
    once: () => mysqldumpPipe(ctx, database, compressor, out),
    cleanup: () => rm(out, { force: true }),
  };
}

export async function textSection(ctx: Context): Promise<TextResult> {
  const { options: o } = ctx;
  ctx.log(`generating the text-heavy database (scale ${o.scale}) ...`);
  const generated = await generateTextShop(ctx.server, ctx.scratch.database('text'), o.scale);
  ctx.log(`text: ${generated.rows} rows, ${((generated.dataBytes + generated.indexBytes) / 2 ** 20).toFixed(0)} MiB in ${generated.seconds.toFixed(1)} s`);
  const result: TextResult = { generated, contestants: [] };
  const onSqlBytes = (bytes: number) => (result.sqlBytes = bytes);
  const list = [
    lifeboatEntry(ctx, generated.database, 'gzip', onSqlBytes),
    mysqldumpEntry(ctx, generated.database, 'gzip'),
    lifeboatEntry(ctx, generated.database, 'zstd', onSqlBytes),
    mysqldumpEntry(ctx, generated.database, 'zstd'),
  ];
  try {
    for (let round = 1; round <= o.runs; round++) {
      for (const e of inTurn(list.filter((x) => !x.c.skipped), round)) {
        const sample = await e.once();
        e.c.samples.push(sample);
        ctx.log(`text ${round}/${o.runs} ${e.c.label}: ${sample.ok ? `${sample.seconds.toFixed(2)} s` : `FAILED (${sample.note})`}`);
      }
    }
  } finally {
    if (!o.keep) {
      for (const e of list) await e.cleanup().catch(() => undefined);
      await ctx.scratch.dropDatabase(generated.database).catch(() => undefined);
    }
  }
  result.contestants = list.map((e) => e.c);
  return result;
}
