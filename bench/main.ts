// `npm run bench`: issue 7's measurements. Generates its own shop (database and file tree), runs Lifeboat
// through its CLI and the standard tools side by side, verifies every restore, prints medians and the
// target ratios (or one JSON object with --json), and removes everything it made.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findTools, machine, repoRoot, type Tools } from './env.js';
import { journalNote } from './filesystem.js';
import { HELP, OptionsError, parseOptions, type BenchOptions } from './options.js';
import { killAll, ServerCpu } from './proc.js';
import type { Context } from './context.js';
import type { BenchReport } from './report/model.js';
import { printReport } from './report/print.js';
import { computeTargets, extraRatios, SMALL_SHOP, startupRatios, type TargetInputs } from './report/targets.js';
import { summarize, type Check } from './results.js';
import { dumpSection, prepareRestoreInputs, type DumpOutputs } from './runs/dump.js';
import { incrementalSection } from './runs/incremental.js';
import { lockSummary, locksSection } from './runs/locks.js';
import { restoreSection } from './runs/restore.js';
import { startupSection } from './runs/startup.js';
import { tablesSection } from './runs/tables.js';
import { textSection } from './runs/text.js';
import { treeSection } from './runs/tree.js';
import { Scratch } from './scratch.js';
import { startOwnServer, type MariadbInstance } from './own-server.js';
import { openConnection, parseServerUrl, type Server } from './server.js';
import { generateShop } from './shop/generate.js';
import { dbManifest } from './verify/db-manifest.js';

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

async function serverInfo(server: Server, own: boolean): Promise<BenchReport['server']> {
  const conn = await openConnection(server);
  try {
    const [rows] = await conn.query('SELECT VERSION() AS v, @@innodb_buffer_pool_size AS bp, @@log_bin AS logBin, @@binlog_format AS format');
    const row = (rows as { v: string; bp: string; logBin: number | string; format: string }[])[0];
    const binlog = Number(row.logBin) === 1 ? row.format : 'off';
    return { version: row.v, address: `${server.host}:${server.port}`, innodbBufferPool: Number(row.bp), binlog, own };
  } finally {
    await conn.end();
  }
}

function environmentNotes(o: BenchOptions, report: BenchReport, tools: Tools): string[] {
  const notes: string[] = [];
  if (report.machine.cpus !== 2) notes.push(`this machine has ${report.machine.cpus} CPUs; issue 7's targets are defined on 2 cores`);
  if (report.server.binlog === 'off') notes.push("the server's binary log is off: every load writes less than on a shop's primary with a replica (without --url the bench starts its own server with it on)");
  if (report.server.innodbBufferPool < 2 ** 30 && o.scale >= 0.5) {
    notes.push(`innodb_buffer_pool_size is ${(report.server.innodbBufferPool / 2 ** 20).toFixed(0)} MiB (the reference figures used 2 GB): restores are disk-bound`);
  }
  // Issue 22's looser small-shop bounds: not for start-up (no scale) nor the incremental section (issue 23's bounds are flat).
  const scaled = [...o.only].some((section) => section !== 'startup' && section !== 'incremental');
  if (scaled && (o.scale <= SMALL_SHOP || o.treeScale <= SMALL_SHOP)) notes.push(`scale ${SMALL_SHOP} or below is a small shop, where fixed start-up costs weigh most: the dump, rollback and System backup bounds are 0.8, the tree rollback's 1.0`);
  const treeSections = o.only.has('tree') || o.only.has('incremental');
  const journal = treeSections ? journalNote(o.tmp) : undefined;
  if (journal) notes.push(journal);
  const missing = (['dump', 'client', 'gzip', 'pigz', 'zstd', 'mydumper', 'myloader', 'tar', 'restic', 'time'] as const).filter((t) => !tools[t]);
  if (missing.length) notes.push(`not installed (their runs are skipped or measured less): ${missing.join(', ')}`);
  return notes;
}

/** Runs one section; a failure becomes a note, and the other sections still run. */
async function guarded(report: BenchReport, name: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`${name} section failed: ${message}`);
    report.notes.push(`${name} section failed: ${message.split('\n')[0]}`);
  }
}

async function runSections(ctx: Context, report: BenchReport, checks: Check[]): Promise<TargetInputs> {
  const o = ctx.options;
  const inputs: TargetInputs = {};
  const needDb = o.only.has('dump') || o.only.has('restore') || o.only.has('locks');
  let source: { database: string; manifest: Awaited<ReturnType<typeof dbManifest>> } | undefined;
  if (needDb) {
    log(`generating the shop database (scale ${o.scale}) ...`);
    const shop = await generateShop(ctx.server, ctx.scratch.database('src'), o.scale);
    report.shop = { counts: shop.counts, dataBytes: shop.dataBytes, indexBytes: shop.indexBytes, generateSeconds: shop.seconds };
    log(`shop: ${shop.counts.orders} orders, ${((shop.dataBytes + shop.indexBytes) / 2 ** 20).toFixed(0)} MiB in ${shop.seconds.toFixed(1)} s`);
    source = { database: shop.database, manifest: await dbManifest(ctx.server, shop.database) };
  }
  const outputs: DumpOutputs = {};
  const src = source;
  if (src && o.only.has('dump')) {
    await guarded(report, 'dump', async () => {
      report.dump = inputs.dump = (await dumpSection(ctx, src.database, outputs)).map(summarize);
    });
  }
  if (src && o.only.has('restore')) {
    await guarded(report, 'restore', async () => {
      if (!o.only.has('dump')) await prepareRestoreInputs(ctx, src.database, outputs);
      const r = await restoreSection(ctx, src, outputs);
      report.restore = inputs.restore = r.contestants.map(summarize);
      checks.push(...r.checks);
    });
  }
  if (report.shop && outputs.lifeboat?.sqlBytes) report.shop.sqlBytes = outputs.lifeboat.sqlBytes;
  if (src && o.only.has('locks')) {
    await guarded(report, 'locks', async () => {
      const runs = await locksSection(ctx, src.database, report.shop?.counts.orders ?? 1);
      const rows = runs.map((r) => ({ label: r.label, lifeboat: r.lifeboat, ...(r.skipped ? { skipped: r.skipped } : {}), ...lockSummary(r) }));
      report.locks = rows;
      const lb = rows.find((r) => r.lifeboat);
      inputs.lockMaxMs = lb?.maxMs;
      inputs.lockDetail = lb?.maxMs !== undefined ? `max over ${o.runs} dumps, ${lb.statements} writes; p99 ${lb.p99Ms?.toFixed(1)} ms` : 'not measured';
    });
  }
  if (o.only.has('text')) {
    await guarded(report, 'text', async () => {
      const t = await textSection(ctx);
      const g = t.generated;
      const summaries = t.contestants.map(summarize);
      report.text = { counts: g.counts, rows: g.rows, dataBytes: g.dataBytes, indexBytes: g.indexBytes, generateSeconds: g.seconds, ...(t.sqlBytes ? { sqlBytes: t.sqlBytes } : {}), summaries };
      inputs.text = summaries;
    });
  }
  if (o.only.has('tables')) {
    await guarded(report, 'tables', async () => {
      const t = await tablesSection(ctx);
      report.tables = {
        summaries: t.contestants.map(summarize),
        ...(t.lifeboatPerTable !== undefined ? { lifeboatPerTableMs: t.lifeboatPerTable * 1000 } : {}),
        ...(t.mysqldumpPerTable !== undefined ? { mysqldumpPerTableMs: t.mysqldumpPerTable * 1000 } : {}),
      };
      inputs.lifeboatPerTable = t.lifeboatPerTable;
      inputs.mysqldumpPerTable = t.mysqldumpPerTable;
    });
  }
  if (o.only.has('tree')) {
    await guarded(report, 'tree', async () => {
      const t = await treeSection(ctx);
      report.tree = t.generated;
      report.treeBackup = inputs.treeBackup = t.backups.map(summarize);
      report.treeRestore = inputs.treeRestore = t.restores.map(summarize);
      checks.push(...t.checks);
      if (t.lifeboatMissing) report.notes.push(`tree: ${t.lifeboatMissing}; only the standard tools were measured`);
    });
  }
  if (o.only.has('incremental')) {
    await guarded(report, 'incremental', async () => {
      const t = await incrementalSection(ctx);
      const incremental = {
        firstBackup: t.firstBackups.map(summarize),
        secondBackup: t.secondBackups.map(summarize),
        space: t.space,
        restore: t.restores.map(summarize),
        ...(t.untimedPeakRss !== undefined ? { untimedPeakRss: t.untimedPeakRss } : {}),
      };
      report.incremental = { tree: t.generated, changedFiles: t.changedFiles, ...incremental };
      inputs.incremental = incremental;
      if (t.lifeboatMissing) report.notes.push(`incremental: ${t.lifeboatMissing}; only the standard tools were measured`);
    });
  }
  if (o.only.has('startup')) {
    await guarded(report, 'startup', async () => {
      const s = await startupSection(ctx);
      const summaries = s.contestants.map(summarize);
      report.startup = { runs: s.runs, summaries, ratios: startupRatios(summaries), load: s.load };
      const busiest = Math.max(s.load.before, s.load.after);
      if (busiest > report.machine.cpus) {
        report.notes.push(
          `the machine was busy during the start-up section (1-minute load average ${s.load.before.toFixed(1)} before, ${s.load.after.toFixed(1)} after, on ${report.machine.cpus} CPUs): its times are longer and noisier than on an idle machine`,
        );
      }
      inputs.startup = summaries;
      checks.push(...s.checks);
    });
  }
  return inputs;
}

async function main(argv: string[]): Promise<number> {
  // Lifeboat runs as a command (context.ts: lifeboatArgv), whose first line starts the `node` on PATH:
  // this one, as for every other tool the bench runs.
  process.env.PATH = [path.dirname(process.execPath), process.env.PATH].filter(Boolean).join(path.delimiter);
  let options: BenchOptions | null;
  try {
    options = parseOptions(argv);
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    process.stderr.write(`bench: ${error.message}\n(run "npm run bench -- --help" for usage)\n`);
    return 2;
  }
  if (options === null) {
    process.stdout.write(HELP);
    return 0;
  }
  const o = options;
  if (!existsSync(path.join(repoRoot(), 'dist', 'cli', 'main.js'))) {
    process.stderr.write('bench: Lifeboat is not built (dist/cli/main.js is missing): run "npm run build" first, or use "npm run bench"\n');
    return 1;
  }
  let own: MariadbInstance | undefined;
  let server: Server;
  if (o.url === undefined) {
    log('starting the bench\'s own MariaDB server (binary log on) ...');
    try {
      own = await startOwnServer(o.tmp);
    } catch (error) {
      process.stderr.write(`bench: ${(error as Error).message}\n`);
      return 1;
    }
    server = own.server;
  } else {
    server = parseServerUrl(o.url);
  }
  try {
    return await benchOn(o, argv, server, own);
  } finally {
    const kept = await own?.stop(o.keep);
    if (kept) log(`kept the bench's server data folder (--keep): ${kept}`);
  }
}

async function benchOn(o: BenchOptions, argv: string[], server: Server, own: MariadbInstance | undefined): Promise<number> {
  let info: BenchReport['server'];
  try {
    info = await serverInfo(server, own !== undefined);
  } catch (error) {
    process.stderr.write(`bench: cannot connect to the database server at ${server.host}:${server.port} as ${server.user}: ${(error as Error).message}\n`);
    return 1;
  }
  const tools = findTools();
  let scratch: Scratch | undefined;
  let interrupts = 0;
  const onSignal = () => {
    if (++interrupts > 1) process.exit(130);
    log('interrupted: stopping the running command and cleaning up (Ctrl-C again to exit at once)');
    killAll();
    void (scratch?.cleanup(o.keep) ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const reports: BenchReport[] = [];
  try {
    // Each scale of --scale 0.05,0.15,... is a run of its own: its own temp folder, databases and report.
    for (const scale of o.scales) {
      const at: BenchOptions = { ...o, scale, treeScale: o.fixedTreeScale ?? scale };
      scratch = await Scratch.create(o.tmp, server);
      if (o.scales.length > 1) log(`scale ${scale} (${reports.length + 1} of ${o.scales.length})`);
      const report = await runScale(at, argv, server, info, tools, scratch, own?.pid);
      scratch = undefined;
      reports.push(report);
      // As text, each scale's report as soon as it is done (a list of scales runs long); --json prints them all at the end.
      if (!o.json) process.stdout.write((reports.length > 1 ? '\n' : '') + printReport(report));
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (o.json) process.stdout.write(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2) + '\n');
  const lifeboatFailed = reports.some((report) =>
    [report.dump, report.restore, report.treeBackup, report.treeRestore, report.incremental?.firstBackup, report.incremental?.secondBackup, report.incremental?.restore, report.startup?.summaries].some((list) =>
      list?.some((s) => s.lifeboat && (s.status === 'failed' || s.status === 'mismatch')),
    ),
  );
  return lifeboatFailed ? 1 : 0;
}

/** All the sections at one scale, in a temp folder and databases of their own (removed at the end unless --keep). */
async function runScale(o: BenchOptions, argv: string[], server: Server, info: BenchReport['server'], tools: Tools, scratch: Scratch, serverPid?: number): Promise<BenchReport> {
  const started = Date.now();
  const report: BenchReport = {
    startedAt: new Date(started).toISOString(),
    seconds: 0,
    command: ['npm run bench --', ...argv].join(' ').replace(/ --$/, ''),
    options: { scale: o.scale, treeScale: o.treeScale, runs: o.runs, only: [...o.only] },
    machine: machine(),
    load: { before: os.loadavg()[0], after: 0 },
    server: info,
    tools: tools.versions,
    targets: [],
    checks: [],
    notes: [],
  };
  const ctx: Context = { options: o, server, scratch, tools, serverCpu: new ServerCpu(server.host, serverPid), log };
  log(`temp folder ${scratch.dir}; databases lbbench_${scratch.id}_*`);
  try {
    const inputs = await runSections(ctx, report, report.checks);
    report.targets = computeTargets({ ...inputs, scale: o.scale, treeScale: o.treeScale });
    const extras = extraRatios(inputs);
    if (extras.length) report.ratios = extras;
    report.notes.unshift(...environmentNotes(o, report, tools));
    if (report.dump || report.restore || report.locks) {
      report.notes.push('mydumper runs with -G -R -E (triggers, routines, events: the others dump them too) and its default FLUSH TABLES WITH READ LOCK');
    }
    if (report.restore) {
      report.notes.push(
        "mysqldump and mydumper print FLOAT with 6 significant digits: their restores differ in edge_case_values.f and still count (marked 'known loss'); Lifeboat's may not differ at all",
      );
    }
    if (!ctx.serverCpu.available) report.notes.push('the database server is not a local process: its CPU is not measured');
  } finally {
    report.seconds = (Date.now() - started) / 1000;
    report.load.after = os.loadavg()[0];
    const kept = await scratch.cleanup(o.keep).catch((error: Error) => {
      report.notes.push(`cleanup: ${error.message}`);
      return [];
    });
    if (kept.length) report.notes.push(`kept (--keep): ${kept.join(', ')}`);
  }
  return report;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
