// The restore section: Lifeboat's `rollback` against zcat dump.sql.gz | mysql and myloader -t 2 -o (from the
// plain and the chunked mydumper dump), and its rollback from the .sql.zst of the same database, alternated.
// Every run restores over a full copy of the shop (a database of its own per contestant, filled once
// before the timed runs), with a few rows changed since the backup, as a real rollback does: the old
// tables must go (the mysqldump file drops each table before creating it, myloader -o drops them). Before
// its time counts, the result is compared with the source (row counts, CHECKSUM TABLE, objects). A
// mismatch replaces the time.
import type { Context } from '../context.js';
import { lifeboatArgv, lifeboatEnv, measure, sh } from '../context.js';
import { failureLine, shell } from '../proc.js';
import { contestant, inTurn, type Check, type Contestant, type Sample } from '../results.js';
import { clientEnv, clientFlags, openConnection } from '../server.js';
import { compareDatabases, type DbManifest } from '../verify/db-manifest.js';
import type { DumpOutputs } from './dump.js';

export interface Source {
  database: string;
  manifest: DbManifest;
}

interface Entry {
  c: Contestant;
  purpose: string;
  /** Restores over `target` (a full copy of the shop with a few rows changed). */
  once: (target: string) => Promise<Sample>;
}

/** `zcat file | mysql target` (the mariadb client when installed). */
export function zcatMysql(ctx: Context, file: string, target: string): Promise<Sample> {
  return catMysql(ctx, 'zcat', file, target);
}

/** `<cat> file | mysql target`: `cat` decompresses to stdout (zcat, zstd -dc). */
function catMysql(ctx: Context, cat: string, file: string, target: string): Promise<Sample> {
  const client = [ctx.tools.client ?? 'mysql', ...clientFlags(ctx.server), target].map(sh).join(' ');
  return measure(ctx, shell(`${cat} ${sh(file)} | ${client}`), clientEnv(ctx.server)).then(({ result, sample }) =>
    result.code === 0 ? sample : { ...sample, ok: false, note: failureLine(result) },
  );
}

function entries(ctx: Context, inputs: DumpOutputs): Entry[] {
  const { tools } = ctx;
  const list: Entry[] = [];
  const rollback = (backup: { id: string } | undefined) => async (target: string) => {
    const started = performance.now();
    const { result, sample } = await measure(ctx, lifeboatArgv('rollback', backup?.id ?? '', '--yes', '--json'), lifeboatEnv(ctx, target));
    if (result.code !== 0) return { ...sample, ok: false, note: failureLine(result) };
    await oldTablesDropped(ctx, target);
    return { ...sample, untilCleanedSeconds: (performance.now() - started) / 1000 };
  };
  list.push({
    c: contestant('lifeboat', 'lifeboat rollback (over the full copy)', true, inputs.lifeboat ? undefined : 'no Lifeboat backup to restore (its dump failed)'),
    purpose: 'r_lifeboat',
    once: rollback(inputs.lifeboat),
  });
  list.push({
    c: contestant('lifeboat-zstd', 'lifeboat rollback (.sql.zst)', true, inputs.lifeboatZstd ? undefined : 'no Lifeboat zstd backup to restore (its dump failed)'),
    purpose: 'r_lifeboat_zstd',
    once: rollback(inputs.lifeboatZstd),
  });
  list.push({
    c: contestant('zcat-mysql', 'zcat dump.sql.gz | mysql (over the full copy)', false, !tools.client ? 'mysql/mariadb client not installed' : !inputs.sqlGz ? 'no mysqldump output' : undefined),
    purpose: 'r_mysql',
    once: (target) => zcatMysql(ctx, inputs.sqlGz ?? '', target),
  });
  for (const chunked of [false, true]) {
    const dir = chunked ? inputs.mydumperChunked : inputs.mydumper;
    list.push({
      c: contestant(
        chunked ? 'myloader-chunked' : 'myloader',
        chunked ? 'myloader -t 2 -o (chunked dump)' : 'myloader -t 2 -o',
        false,
        !tools.myloader ? 'myloader not installed' : !dir ? 'no mydumper output' : undefined,
      ),
      purpose: chunked ? 'r_myloader_c' : 'r_myloader',
      once: async (target) => {
        const argv = [tools.myloader ?? 'myloader', ...clientFlags(ctx.server), ...(ctx.server.password ? ['-p', ctx.server.password] : [])];
        argv.push('-d', dir ?? '', '-B', target, '-t', '2', '-o');
        const { result, sample } = await measure(ctx, argv, clientEnv(ctx.server));
        return result.code === 0 ? sample : { ...sample, ok: false, note: failureLine(result) };
      },
    });
  }
  return list;
}

/**
 * Waits (untimed) until the detached process of a Lifeboat rollback has dropped the shop's old tables
 * (its helper schemas `<target>__lb_*` are gone): the rollback's time ends when the shop is whole, as a
 * job does, but the next contestant must not share the server with that drop. Polled every 100 ms.
 */
async function oldTablesDropped(ctx: Context, target: string): Promise<void> {
  const conn = await openConnection(ctx.server);
  try {
    const pattern = target.replace(/[\\_%]/g, '\\$&') + '\\_\\_lb\\_%';
    for (let waited = 0; ; waited += 100) {
      const [rows] = await conn.query('SELECT COUNT(*) AS n FROM information_schema.schemata WHERE schema_name LIKE ?', [pattern]);
      if (Number((rows as { n: number }[])[0].n) === 0) return;
      if (waited > 600_000) throw new Error(`the rollback's helper schemas of ${target} are still there after 10 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await conn.end();
  }
}

/** Compares the restored database with the source and records the verdict in the sample. */
async function verify(ctx: Context, source: Source, target: string, sample: Sample, lifeboat: boolean): Promise<Sample> {
  if (!sample.ok) return sample;
  const cmp = await compareDatabases(ctx.server, source.database, source.manifest, target);
  if (cmp.ok) return { ...sample, verification: 'ok' };
  const shown = cmp.differences.slice(0, 4).join('; ') + (cmp.differences.length > 4 ? `; and ${cmp.differences.length - 4} more` : '');
  if (cmp.floatOnly && !lifeboat) return { ...sample, verification: 'float-loss', note: `known loss: FLOAT rounded in ${cmp.floatColumns.join(', ')}` };
  return { ...sample, verification: 'mismatch', note: shown };
}

/**
 * What a shop writes between the backup and the rollback: orders updated, a status-history row and a log
 * row added, a log row deleted. A rollback must undo each (the verification checks it does).
 */
const SHOP_CHANGES = [
  "UPDATE sales_order SET status = 'changed', updated_at = NOW() WHERE entity_id IN (1, 2, 3)",
  "INSERT INTO sales_order_status_history (parent_id, is_customer_notified, is_visible_on_front, comment, status, created_at, entity_name) VALUES (1, 0, 0, 'since the backup', 'changed', NOW(), 'order')",
  "INSERT INTO log_event (created_at, level, channel, message) VALUES (NOW(6), 'info', 'bench', 'since the backup')",
  'DELETE FROM log_event ORDER BY log_id LIMIT 1',
  "UPDATE catalog_product_entity_int SET value = value + 1 WHERE entity_id = 1 AND attribute_id = 80",
];

async function changeRows(ctx: Context, database: string): Promise<void> {
  const conn = await openConnection(ctx.server, { database });
  try {
    for (const sql of SHOP_CHANGES) await conn.query(sql);
  } finally {
    await conn.end();
  }
}

/**
 * Fills a contestant's target with a full copy of the shop, once, before its timed runs: by Lifeboat's
 * rollback of its gzip backup into the empty database (exact), or by zcat | mysql when there is none.
 * Each timed run then restores over what the previous one left (verified equal to the source).
 */
async function fullCopy(ctx: Context, source: Source, inputs: DumpOutputs, purpose: string): Promise<string> {
  const target = await ctx.scratch.freshDatabase(purpose);
  let sample: Sample;
  if (inputs.lifeboat) {
    const { result, sample: s } = await measure(ctx, lifeboatArgv('rollback', inputs.lifeboat.id, '--yes', '--json'), lifeboatEnv(ctx, target));
    sample = result.code === 0 ? s : { ...s, ok: false, note: failureLine(result) };
    if (sample.ok) await oldTablesDropped(ctx, target);
  } else if (inputs.sqlGz && ctx.tools.client) {
    sample = await zcatMysql(ctx, inputs.sqlGz, target);
  } else {
    throw new Error('neither a Lifeboat backup nor a mysqldump file to fill the rollback targets with');
  }
  const v = await verify(ctx, source, target, sample, false);
  if (!v.ok || v.verification === 'mismatch') throw new Error(`could not fill ${target} with a copy of the shop: ${v.note ?? 'failed'}`);
  ctx.log(`restore target ${target}: a full copy of the shop (${sample.seconds.toFixed(2)} s, not counted)`);
  return target;
}

export async function restoreSection(ctx: Context, source: Source, inputs: DumpOutputs): Promise<{ contestants: Contestant[]; checks: Check[] }> {
  const list = entries(ctx, inputs);
  const active = list.filter((e) => !e.c.skipped);
  const targets = new Map<Entry, string>();
  for (const e of active) targets.set(e, await fullCopy(ctx, source, inputs, e.purpose));
  for (let round = 1; round <= ctx.options.runs; round++) {
    for (const e of inTurn(active, round)) {
      const target = targets.get(e) ?? '';
      await changeRows(ctx, target);
      const sample = await verify(ctx, source, target, await e.once(target), e.c.lifeboat);
      e.c.samples.push(sample);
      // A run that did not restore the shop leaves a target the next run cannot be compared over.
      if (!sample.ok || sample.verification === 'mismatch') {
        await ctx.scratch.dropDatabase(target);
        targets.set(e, await fullCopy(ctx, source, inputs, e.purpose));
      }
      const verdict = !sample.ok ? `FAILED (${sample.note})` : sample.verification === 'mismatch' ? `MISMATCH: ${sample.note}` : `${sample.seconds.toFixed(2)} s, ${sample.verification}`;
      ctx.log(`restore ${round}/${ctx.options.runs} ${e.c.label}: ${verdict}`);
    }
  }
  for (const target of targets.values()) await ctx.scratch.dropDatabase(target);
  return { contestants: list.map((e) => e.c), checks: await compatibilityChecks(ctx, source, inputs) };
}

/** Lifeboat's archives are still one .sql.gz (.sql.zst) that gzip -t (zstd -t) accepts and the stock client loads. */
async function compatibilityChecks(ctx: Context, source: Source, inputs: DumpOutputs): Promise<Check[]> {
  const checks: Check[] = [];
  const formats = [
    { ext: '.sql.gz', archive: inputs.lifeboat?.path, tool: ctx.tools.gzip && 'gzip', cat: 'zcat' },
    { ext: '.sql.zst', archive: inputs.lifeboatZstd?.path, tool: ctx.tools.zstd && 'zstd', cat: 'zstd -dc' },
  ];
  for (const { ext, archive, tool, cat } of formats) {
    const name = `the stock client loads Lifeboat's ${ext} (${cat} | mysql, verified)`;
    if (!archive || !tool) {
      checks.push({ name, pass: undefined, detail: archive ? `${cat.split(' ')[0]} not installed` : 'no Lifeboat archive' });
      continue;
    }
    const test = await measure(ctx, [tool, '-tq', archive]);
    checks.push({ name: `${tool} -t accepts the ${ext} archive`, pass: test.result.code === 0, detail: test.result.code === 0 ? 'ok' : failureLine(test.result) });
    if (!ctx.tools.client) {
      checks.push({ name, pass: undefined, detail: 'mysql/mariadb client not installed' });
      continue;
    }
    const target = await ctx.scratch.freshDatabase('r_compat');
    const sample = await verify(ctx, source, target, await catMysql(ctx, cat, archive, target), true);
    await ctx.scratch.dropDatabase(target);
    const pass = sample.ok && sample.verification === 'ok';
    checks.push({ name, pass, detail: pass ? `ok (${sample.seconds.toFixed(2)} s)` : (sample.note ?? 'failed') });
  }
  return checks;
}
