// The file-tree section: Lifeboat's `backup system` against tar -czf and tar -I pigz (and with
// --compression zstd against tar -I 'zstd -3 -T2'), and its rollback over the existing, full tree (a few
// files changed, added and removed since the backup; from the .tar.zst too) against the same work by hand:
// extract beside the old tree, swap with mv, remove the old one (Lifeboat's job ends when the shop is
// whole and removes the old tree in a detached process, which is waited for untimed before the next
// run). tar -xzf into an empty folder is kept as
// an extra figure. On a generated Magento-like tree. Lifeboat's part runs only when its CLI has `backup
// system` (checked at run time), with a one-table database (a system backup includes one); every result is
// compared with the source tree before its time counts.
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { failureLine, run, shell } from '../proc.js';
import { lifeboatArgv, lifeboatEnv, measure, oneTableDatabase, parseBackupJson, sh, sizeOf, type BackupJson, type Context } from '../context.js';
import { changeFiles } from '../files/change-tree.js';
import { generateTree, type GeneratedTree } from '../files/gen-tree.js';
import { contestant, inTurn, type Check, type Contestant, type Sample } from '../results.js';
import { compareTrees, treeManifest, type TreeManifest } from '../verify/tree-manifest.js';
import { removeBackup } from './dumpers.js';

export interface TreeResult {
  generated: GeneratedTree;
  /** Why Lifeboat's part did not run, when it did not. */
  lifeboatMissing?: string;
  backups: Contestant[];
  restores: Contestant[];
  checks: Check[];
}

/** Whether this build's CLI has `backup system` (commander prints the parent's help for an unknown one). */
export async function hasSystemBackup(ctx: Context): Promise<boolean> {
  const result = await run(lifeboatArgv('backup', 'system', '--help'), { cwd: ctx.scratch.dir });
  return result.code === 0 && /Usage: lifeboat backup system/.test(result.stdout);
}

export interface Entry {
  c: Contestant;
  once: () => Promise<Sample>;
}

/**
 * Every extraction goes into a new folder, and all are removed only when the section ends. On ext4, a
 * tree extracted soon (up to minutes) after another tree was deleted costs several times as much system
 * time (the inode allocator skips recently deleted inodes one by one): with a removal between runs,
 * `tar -xzf` of the same archive took 20-45 s instead of 7 s, and which run paid how much depended on
 * the timing, not on the tool.
 */
export class ExtractionFolders {
  private readonly made: string[] = [];

  constructor(private readonly ctx: Context) {}

  async fresh(label: string): Promise<string> {
    const dir = this.ctx.scratch.path(`tree-restore-${label}-${this.made.length + 1}`);
    await mkdir(dir, { recursive: true });
    this.made.push(dir);
    return dir;
  }

  async removeAll(): Promise<void> {
    for (const dir of this.made.splice(0)) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A full copy of the shop's tree per contestant, made once (cp -a, not timed) at `<folder>/shop`; each
 * run replaces it over what the previous run left. The parent folder is the contestant's own, so what a
 * rollback makes beside the shop (its work folders, the by-hand `shop.new` and `shop.old`) stays apart.
 */
export async function fullCopy(ctx: Context, tree: string, key: string): Promise<string> {
  const parent = ctx.scratch.path(`tree-shop-${key}`);
  await rm(parent, { recursive: true, force: true });
  await mkdir(parent, { recursive: true });
  const shop = `${parent}/shop`;
  const copy = await run(['cp', '-a', tree, shop]);
  if (copy.code !== 0) throw new Error(`cp -a of the tree failed: ${failureLine(copy)}`);
  return shop;
}

/**
 * A system backup also holds the database dump (var/<time>_db.sql.gz, as Magento's snapshots do): that
 * file and the folders above it may be found besides the source's files.
 */
export function snapshotExtras(backup: BackupJson | undefined): (p: string) => boolean {
  const dump = backup?.dump;
  return (p) => dump !== undefined && (p === dump || dump.startsWith(p + '/'));
}

/**
 * Waits (untimed) until the detached process of a Lifeboat rollback has removed the replaced tree beside
 * the shop: the rollback's time ends when the shop is whole, as a job does, but the next contestant must
 * not share the disk with that removal. (Polled every 100 ms: the time until it ended is that coarse.)
 */
export async function replacedFilesRemoved(shop: string): Promise<void> {
  const beside = async () => (await readdir(path.dirname(shop))).filter((name) => name.startsWith('.lifeboat-rollback-'));
  for (let waited = 0; (await beside()).length > 0; waited += 100) {
    if (waited > 600_000) throw new Error(`the rollback's work folder beside ${shop} is still there after 10 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Compares an extraction with the source; `extra` names paths that may be there besides (the dump of a snapshot). */
export async function verified(sample: Sample, want: TreeManifest, dir: string, extra?: (p: string) => boolean): Promise<Sample> {
  if (!sample.ok) return sample;
  const diff = compareTrees(want, await treeManifest(dir), 4, extra);
  return diff.length === 0 ? { ...sample, verification: 'ok' } : { ...sample, verification: 'mismatch', note: diff.join('; ') };
}

/** --runs rounds of the contestants in turn; `beforeRound` (untimed) sets up what a round's runs start from. */
export async function rounds(ctx: Context, what: string, list: Entry[], beforeRound?: (round: number) => Promise<void>): Promise<void> {
  for (let round = 1; round <= ctx.options.runs; round++) {
    await beforeRound?.(round);
    for (const e of inTurn(list.filter((x) => !x.c.skipped), round)) {
      const sample = await e.once();
      e.c.samples.push(sample);
      const verdict = !sample.ok ? `FAILED (${sample.note})` : sample.verification === 'mismatch' ? `MISMATCH: ${sample.note}` : `${sample.seconds.toFixed(2)} s`;
      ctx.log(`${what} ${round}/${ctx.options.runs} ${e.c.label}: ${verdict}`);
    }
  }
}

export async function treeSection(ctx: Context): Promise<TreeResult> {
  const tree = ctx.scratch.path('tree');
  ctx.log(`generating the file tree (scale ${ctx.options.treeScale}) ...`);
  const generated = await generateTree(tree, ctx.options.treeScale);
  ctx.log(`tree: ${generated.files} files, ${(generated.bytes / 2 ** 20).toFixed(1)} MiB in ${generated.seconds.toFixed(1)} s`);
  const want = await treeManifest(tree);
  const wantFiles = [...want].filter(([, v]) => v.startsWith('f ')).map(([p]) => p);
  const lifeboatMissing = (await hasSystemBackup(ctx)) ? undefined : "Lifeboat's CLI has no `backup system` command yet";
  // A system backup holds the database too: a one-table one, so that the tree's cost is what is measured
  // (the database's is the dump and restore sections' subject; Lifeboat refuses to restore no table).
  const db = lifeboatMissing ? undefined : await oneTableDatabase(ctx, 'tree_db');
  const noTar = ctx.tools.tar ? undefined : 'tar not installed';
  const tgz = ctx.scratch.path('tree.tgz');
  /** The latest backup of each codec: the one its rollback restores. */
  const latestOf: { gzip?: BackupJson; zstd?: BackupJson } = {};
  const lifeboatBackup = (compression: 'gzip' | 'zstd') => async (): Promise<Sample> => {
    const args = ['backup', 'system', '--json', '--compression', compression];
    const { result, sample } = await measure(ctx, lifeboatArgv(...args), lifeboatEnv(ctx, db, tree, 'tree-backups'));
    const backup = result.code === 0 ? parseBackupJson(result.stdout) : undefined;
    if (!backup) return { ...sample, ok: false, note: result.code === 0 ? 'no JSON record printed' : failureLine(result) };
    const previous = latestOf[compression];
    if (previous) await removeBackup(previous);
    latestOf[compression] = backup;
    return { ...sample, bytes: backup.size };
  };
  const noZstd = noTar ?? (ctx.tools.zstd ? undefined : 'zstd not installed');
  const backups: Entry[] = [
    { c: contestant('lifeboat', 'lifeboat backup system', true, lifeboatMissing), once: lifeboatBackup('gzip') },
    { c: contestant('lifeboat-zstd', 'lifeboat backup system --compression zstd', true, lifeboatMissing), once: lifeboatBackup('zstd') },
    {
      c: contestant('tar-gzip', 'tar -czf', false, noTar),
      once: async () => {
        await rm(tgz, { force: true });
        const { result, sample } = await measure(ctx, shell(`tar -czf ${sh(tgz)} -C ${sh(tree)} .`));
        return result.code === 0 ? { ...sample, bytes: await sizeOf(tgz) } : { ...sample, ok: false, note: failureLine(result) };
      },
    },
    {
      c: contestant('tar-pigz', 'tar -I pigz -cf', false, noTar ?? (ctx.tools.pigz ? undefined : 'pigz not installed')),
      once: async () => {
        const out = ctx.scratch.path('tree-pigz.tgz');
        await rm(out, { force: true });
        const { result, sample } = await measure(ctx, shell(`tar -I 'pigz -p 2' -cf ${sh(out)} -C ${sh(tree)} .`));
        return result.code === 0 ? { ...sample, bytes: await sizeOf(out) } : { ...sample, ok: false, note: failureLine(result) };
      },
    },
    {
      c: contestant('tar-zstd', "tar -I 'zstd -3 -T2' -cf", false, noZstd),
      once: async () => {
        const out = ctx.scratch.path('tree.tar.zst');
        await rm(out, { force: true });
        const { result, sample } = await measure(ctx, shell(`tar -I 'zstd -3 -T2' -cf ${sh(out)} -C ${sh(tree)} .`));
        return result.code === 0 ? { ...sample, bytes: await sizeOf(out) } : { ...sample, ok: false, note: failureLine(result) };
      },
    },
  ];
  await rounds(ctx, 'tree backup', backups);

  const folders = new ExtractionFolders(ctx);
  /** Each contestant's full tree, made before its first run and replaced by each run. */
  const shops = new Map<string, string>();
  const fullShop = async (key: string): Promise<string> => {
    const shop = shops.get(key) ?? (await fullCopy(ctx, tree, key));
    shops.set(key, shop);
    return shop;
  };
  const shopOf = async (key: string): Promise<string> => {
    const shop = await fullShop(key);
    // What changes on a live shop between the backup and the rollback; the rollback must undo each (the verification checks).
    await changeFiles(shop, wantFiles, 15, 0);
    return shop;
  };
  /** After a run that did not leave the full tree, the next one starts from a fresh copy. */
  const settle = (key: string, sample: Sample): Sample => {
    if (!sample.ok || sample.verification === 'mismatch') shops.delete(key);
    return sample;
  };
  /** A timed rollback of `shop` to `backup` (in `backupDir`), verified; the time until its detached cleanup ended too. */
  const timedRollback = async (key: string, shop: string, backup: BackupJson | undefined, backupDir: string, extra: string[]): Promise<Sample> => {
    const started = performance.now();
    const { result, sample } = await measure(ctx, lifeboatArgv('rollback', backup?.id ?? '', '--yes', '--json', ...extra), lifeboatEnv(ctx, db, shop, backupDir));
    await replacedFilesRemoved(shop);
    const untilCleanedSeconds = (performance.now() - started) / 1000;
    const measured = result.code === 0 ? { ...sample, untilCleanedSeconds } : { ...sample, ok: false, note: failureLine(result) };
    return settle(key, await verified(measured, want, shop, snapshotExtras(backup)));
  };
  // The usual case: the shop is rolled back to a backup of itself (last night's), a few files changed
  // since. Each run backs its shop up first (untimed), changes it, and rolls it back to that backup: the
  // files it did not change are the very files backed up (found by the archive's index, not read).
  const lifeboatRollback = (compression: 'gzip' | 'zstd', ...extra: string[]) => async (): Promise<Sample> => {
    const key = `lifeboat-${compression}${extra.join('')}`;
    const shop = await fullShop(key);
    const own = await measure(ctx, lifeboatArgv('backup', 'system', '--json', '--compression', compression), lifeboatEnv(ctx, db, shop, 'tree-own-backups'));
    const backup = own.result.code === 0 ? parseBackupJson(own.result.stdout) : undefined;
    if (!backup) return settle(key, { ...own.sample, ok: false, note: `the backup before the rollback failed: ${failureLine(own.result)}` });
    await changeFiles(shop, wantFiles, 15, 0);
    try {
      return await timedRollback(key, shop, backup, 'tree-own-backups', extra);
    } finally {
      await removeBackup(backup);
    }
  };
  // A copy of the tree (cp -a) rolled back to the backup of the tree: no file is the one backed up, so
  // every file is compared with the archive's member.
  const copyRollback = async (): Promise<Sample> => timedRollback('lifeboat-copy', await shopOf('lifeboat-copy'), latestOf.gzip, 'tree-backups', []);
  const nothingFrom = (compression: 'gzip' | 'zstd') => lifeboatMissing ?? (latestOf[compression] ? undefined : `no Lifeboat ${compression} system backup to restore`);
  const restores: Entry[] = [
    { c: contestant('lifeboat', 'lifeboat rollback (over the shop it backed up)', true, lifeboatMissing), once: lifeboatRollback('gzip') },
    { c: contestant('lifeboat-zstd', 'lifeboat rollback (over the shop it backed up, .tar.zst)', true, lifeboatMissing), once: lifeboatRollback('zstd') },
    // What keeping the shop's unchanged files saves: the same rollback writing every file.
    { c: contestant('lifeboat-rewrite-all', 'extra: lifeboat rollback --rewrite-all', true, lifeboatMissing), once: lifeboatRollback('gzip', '--rewrite-all') },
    { c: contestant('lifeboat-copy', 'extra: lifeboat rollback over a copy of the tree (every file compared)', true, nothingFrom('gzip')), once: copyRollback },
    {
      c: contestant('tar-replace', 'by hand: tar -xzf beside, mv swap, rm -rf old', false, noTar),
      once: async () => {
        const shop = await shopOf('tar-replace');
        const [fresh, old] = [sh(`${shop}.new`), sh(`${shop}.old`)];
        const script = `mkdir ${fresh} && tar -xzf ${sh(tgz)} -C ${fresh} && mv ${sh(shop)} ${old} && mv ${fresh} ${sh(shop)} && rm -rf ${old}`;
        const { result, sample } = await measure(ctx, shell(script));
        return settle('tar-replace', await verified(result.code === 0 ? sample : { ...sample, ok: false, note: failureLine(result) }, want, shop));
      },
    },
    {
      // Lifeboat's rollback makes the staged tree durable before its swap (a power loss must not bring
      // the shop back as empty files); the reference above does not. The same by hand, durable: the
      // extracted tree flushed (`sync -f`, one syncfs) before the swap.
      c: contestant('tar-replace-sync', 'extra: by hand, durable: the same with sync -f before the swap', false, noTar),
      once: async () => {
        const shop = await shopOf('tar-replace-sync');
        const [fresh, old] = [sh(`${shop}.new`), sh(`${shop}.old`)];
        const script = `mkdir ${fresh} && tar -xzf ${sh(tgz)} -C ${fresh} && sync -f ${fresh} && mv ${sh(shop)} ${old} && mv ${fresh} ${sh(shop)} && rm -rf ${old}`;
        const { result, sample } = await measure(ctx, shell(script));
        return settle('tar-replace-sync', await verified(result.code === 0 ? sample : { ...sample, ok: false, note: failureLine(result) }, want, shop));
      },
    },
    {
      c: contestant('tar-xzf', 'extra: tar -xzf into an empty folder', false, noTar),
      once: async () => {
        const dir = await folders.fresh('tar');
        const { result, sample } = await measure(ctx, shell(`tar -xzf ${sh(tgz)} -C ${sh(dir)}`));
        return verified(result.code === 0 ? sample : { ...sample, ok: false, note: failureLine(result) }, want, dir);
      },
    },
  ];
  const checks: Check[] = [];
  try {
    await rounds(ctx, 'tree restore', restores);
    const readers = [
      { latest: latestOf.gzip, command: 'tar -xzf', name: "GNU tar reads Lifeboat's .tgz (tar -xzf, verified)", missing: noTar },
      { latest: latestOf.zstd, command: 'tar -I zstd -xf', name: "GNU tar reads Lifeboat's .tar.zst (tar -I zstd -xf, verified)", missing: noZstd },
    ];
    for (const { latest, command, name, missing } of readers) {
      if (!latest || missing) continue;
      const dir = await folders.fresh('compat');
      const { result, sample } = await measure(ctx, shell(`${command} ${sh(latest.path)} -C ${sh(dir)}`));
      const v = await verified(result.code === 0 ? sample : { ...sample, ok: false, note: failureLine(result) }, want, dir, snapshotExtras(latest));
      checks.push({ name, pass: v.ok && v.verification === 'ok', detail: v.note ?? 'ok' });
    }
  } finally {
    await folders.removeAll();
    for (const shop of shops.values()) await rm(path.dirname(shop), { recursive: true, force: true });
  }
  return {
    generated,
    ...(lifeboatMissing ? { lifeboatMissing } : {}),
    backups: backups.map((e) => e.c),
    restores: restores.map((e) => e.c),
    checks,
  };
}
