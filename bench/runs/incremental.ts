// The incremental section (issue 23): Lifeboat's `backup system --incremental` against restic, on the
// same generated Magento-like tree. restic 0.14's `init` makes a version-2 repository, compressed with
// zstd (its default `auto` level); it runs with the password in RESTIC_PASSWORD and --no-cache: its cache
// would be a second copy of the repository's index and trees on the same disk, written outside the
// repository whose size is measured, and Lifeboat keeps no such cache. Measured: the first backup into
// an empty repository and backup folder; the second after 1 % of the files changed (the same changed tree
// for both); the size of each after ten such rounds; and the rollback from the latest incremental backup
// over the full tree against `tar -xzf` of the same tree into an empty folder (restic's restore into an
// empty folder as an extra). Lifeboat's backups hold a one-table database, as the tree section's do, and
// so do restic's: each restic backup first dumps it (`mysqldump ... | gzip -6`, as an admin's script
// would) into a folder beside the tree and backs up that folder with the tree, so that both do the
// same work, timed and stored. Every restore is compared with the source tree (the dump's folder or
// file aside) before its time counts.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { failureLine, run, shell } from '../proc.js';
import { lifeboatArgv, lifeboatEnv, measure, oneTableDatabase, parseBackupJson, sh, sizeOf, type BackupJson, type Context, type Measured } from '../context.js';
import { clientEnv, clientFlags } from '../server.js';
import { changeFiles, listFiles } from '../files/change-tree.js';
import { generateTree, type GeneratedTree } from '../files/gen-tree.js';
import { contestant, type Contestant, type Sample } from '../results.js';
import { treeManifest } from '../verify/tree-manifest.js';
import { ExtractionFolders, fullCopy, hasSystemBackup, replacedFilesRemoved, rounds, snapshotExtras, verified, type Entry } from './tree.js';

/** The share of the tree's files a round changes (a third edited, a third added, a third removed). */
const CHANGED_SHARE = 0.01;
/** Rounds of change and backup before the sizes are compared. */
export const SPACE_ROUNDS = 10;
/** The folder beside the tree that restic's backups take the database's dump from (its name is the snapshot's folder of it). */
const RESTIC_DUMP_DIR = 'incremental-restic-dump';
const RESTIC_DUMP_FILE = 'db.sql.gz';

export interface IncrementalSpace {
  rounds: number;
  /** Lifeboat's backup folder: the content store and the snapshot files beside it. */
  lifeboatBytes?: number;
  resticBytes?: number;
  /** Why a size is missing. */
  note?: string;
}

export interface IncrementalResult {
  generated: GeneratedTree;
  /** Files each round changed. */
  changedFiles: number;
  /** Why Lifeboat's part did not run, when it did not. */
  lifeboatMissing?: string;
  firstBackups: Contestant[];
  secondBackups: Contestant[];
  space: IncrementalSpace;
  restores: Contestant[];
  /** The highest peak RSS of Lifeboat's untimed runs (the backups that set up a round, the space rounds). */
  untimedPeakRss?: number;
}

/** A sample from a measured command, failed with its error line when it exited non-zero. */
function outcome({ result, sample }: Measured): Sample {
  return result.code === 0 ? sample : { ...sample, ok: false, note: failureLine(result) };
}

/**
 * Lifeboat's backup folder and restic's repository, emptied by `fresh()` (untimed) so that the next
 * backup is a first one; `bytes` is the growth of each by the run, as the output column shows it.
 */
class Repositories {
  readonly lifeboatDir = 'incremental-backups';
  readonly restic: string;
  latest?: BackupJson;
  untimedPeakRss?: number;

  constructor(
    private readonly ctx: Context,
    private readonly tree: string,
    private readonly db: string | undefined,
    /** Whether Lifeboat's CLI can take these backups (its part is skipped otherwise). */
    private readonly withLifeboat: boolean,
    /** Whether restic's part runs (restic, and a dump tool when there is a database). */
    private readonly withRestic: boolean,
  ) {
    this.restic = ctx.scratch.path('incremental-restic');
  }

  resticEnv(): NodeJS.ProcessEnv {
    return { RESTIC_PASSWORD: 'lifeboat-bench', RESTIC_REPOSITORY: this.restic };
  }

  /** In a restore of restic's snapshot: the dump's folder and file, which the tree does not have. */
  static resticExtras(p: string): boolean {
    return p === RESTIC_DUMP_DIR || p === `${RESTIC_DUMP_DIR}/${RESTIC_DUMP_FILE}`;
  }

  async fresh(): Promise<void> {
    await rm(this.ctx.scratch.path(this.lifeboatDir), { recursive: true, force: true });
    await rm(this.restic, { recursive: true, force: true });
    this.latest = undefined;
    if (!this.withRestic) return;
    const init = await run(['restic', 'init', '--no-cache'], { env: this.resticEnv(), cwd: this.ctx.scratch.dir });
    if (init.code !== 0) throw new Error(`restic init failed: ${failureLine(init)}`);
  }

  private async grown(sample: Sample, dir: string, before: number): Promise<Sample> {
    return sample.ok ? { ...sample, bytes: (await sizeOf(dir)) - before } : sample;
  }

  private async sizeOrNothing(dir: string): Promise<number> {
    return sizeOf(dir).catch(() => 0);
  }

  async lifeboat(): Promise<Sample> {
    const dir = this.ctx.scratch.path(this.lifeboatDir);
    const before = await this.sizeOrNothing(dir);
    const measured = await measure(this.ctx, lifeboatArgv('backup', 'system', '--incremental', '--json'), lifeboatEnv(this.ctx, this.db, this.tree, this.lifeboatDir));
    const backup = measured.result.code === 0 ? parseBackupJson(measured.result.stdout) : undefined;
    if (measured.result.code === 0 && !backup) return { ...measured.sample, ok: false, note: 'no JSON record printed' };
    this.latest = backup;
    return this.grown(outcome(measured), dir, before);
  }

  /**
   * The database dumped beside the tree (`mysqldump ... | gzip -6`), then `restic backup . <dump folder>`
   * in the tree, both timed as one command: the snapshot holds the tree's files at its top, as the
   * archives do, and the dump in a folder of its own, as Lifeboat's backup holds it as a file of its own.
   */
  async resticBackup(): Promise<Sample> {
    const before = await this.sizeOrNothing(this.restic);
    const { dump, gzip } = this.ctx.tools;
    let script = 'restic backup --no-cache --quiet .';
    if (this.db && dump && gzip) {
      const dumpDir = this.ctx.scratch.path(RESTIC_DUMP_DIR);
      const dumpArgv = [dump, ...clientFlags(this.ctx.server), '--single-transaction', '--quick', '--routines', '--triggers', this.db];
      // Named relative to the tree: restic then lists the folder at the snapshot's top (an absolute path would be kept whole).
      script = `mkdir -p ${sh(dumpDir)} && ${dumpArgv.map(sh).join(' ')} | ${sh(gzip)} -6 > ${sh(path.join(dumpDir, RESTIC_DUMP_FILE))} && ${script} ${sh(path.relative(this.tree, dumpDir))}`;
    }
    const measured = await measure(this.ctx, shell(script), { ...this.resticEnv(), ...clientEnv(this.ctx.server) }, this.tree);
    return this.grown(outcome(measured), this.restic, before);
  }

  /** Both backups, untimed (a round's setup): only whether they worked counts, and Lifeboat's peak RSS. */
  async bothUntimed(): Promise<void> {
    if (this.withLifeboat) {
      const lifeboat = await this.lifeboat();
      if (!lifeboat.ok) throw new Error(`Lifeboat's incremental backup failed: ${lifeboat.note}`);
      this.untimedPeakRss = Math.max(this.untimedPeakRss ?? 0, lifeboat.peakRss ?? 0);
    }
    if (!this.withRestic) return;
    const restic = await this.resticBackup();
    if (!restic.ok) throw new Error(`restic backup failed: ${restic.note}`);
  }
}

export async function incrementalSection(ctx: Context): Promise<IncrementalResult> {
  const tree = ctx.scratch.path('incremental-tree');
  ctx.log(`generating the file tree (scale ${ctx.options.treeScale}) ...`);
  const generated = await generateTree(tree, ctx.options.treeScale);
  ctx.log(`tree: ${generated.files} files, ${(generated.bytes / 2 ** 20).toFixed(1)} MiB in ${generated.seconds.toFixed(1)} s`);
  const lifeboatMissing = (await hasSystemBackup(ctx)) ? undefined : "Lifeboat's CLI has no `backup system` command yet";
  const db = lifeboatMissing ? undefined : await oneTableDatabase(ctx, 'incremental_db');
  // restic backs up the database's dump too (a backup of the shop is both): without a dump tool or a database it does not run.
  const noRestic = !ctx.tools.restic ? 'restic not installed' : db && !(ctx.tools.dump && ctx.tools.gzip) ? 'mysqldump or gzip not installed (restic backs up a dump too)' : undefined;
  const repos = new Repositories(ctx, tree, db, !lifeboatMissing, !noRestic);
  const changedFiles = Math.max(3, Math.round(generated.files * CHANGED_SHARE));
  // Every change of the section is a round of its own: each touches other files and adds new names.
  let changes = 0;
  const change = async () => changeFiles(tree, await listFiles(tree), changedFiles, ++changes);
  const backupEntries = (label: string): Entry[] => [
    { c: contestant('lifeboat', `lifeboat backup system --incremental${label}`, true, lifeboatMissing), once: () => repos.lifeboat() },
    { c: contestant('restic', `restic backup (zstd, --no-cache)${label}`, false, noRestic), once: () => repos.resticBackup() },
  ];

  const firstBackups = backupEntries(' (first)');
  await rounds(ctx, 'incremental first backup', firstBackups, () => repos.fresh());
  const secondBackups = backupEntries(` (after ${changedFiles} files changed)`);
  // The same changed tree for both in a round: a first backup each (untimed), one change, then the timed second backups in turn.
  await rounds(ctx, 'incremental second backup', secondBackups, async () => {
    await repos.fresh();
    await repos.bothUntimed();
    await change();
  });

  ctx.log(`incremental space: a first backup and ${SPACE_ROUNDS} rounds of change and backup on both (untimed) ...`);
  let space: IncrementalSpace = { rounds: SPACE_ROUNDS };
  if (lifeboatMissing) space = { ...space, note: lifeboatMissing };
  else {
    await repos.fresh();
    await repos.bothUntimed();
    for (let round = 1; round <= SPACE_ROUNDS; round++) {
      await change();
      await repos.bothUntimed();
    }
    space = {
      ...space,
      lifeboatBytes: await sizeOf(ctx.scratch.path(repos.lifeboatDir)),
      ...(noRestic ? { note: noRestic } : { resticBytes: await sizeOf(repos.restic) }),
    };
  }

  // The rollbacks restore the tree as the latest backups hold it: the tree now.
  const want = await treeManifest(tree);
  const wantFiles = [...want].filter(([, v]) => v.startsWith('f ')).map(([p]) => p);
  const noTar = ctx.tools.tar ? undefined : 'tar not installed';
  const tgz = ctx.scratch.path('incremental-tree.tgz');
  if (!noTar) {
    const made = await run(shell(`tar -czf ${sh(tgz)} -C ${sh(tree)} .`));
    if (made.code !== 0) throw new Error(`tar -czf of the tree failed: ${failureLine(made)}`);
  }
  const latest = repos.latest;
  const folders = new ExtractionFolders(ctx);
  let shop: string | undefined;
  const restores: Entry[] = [
    {
      // The usual case: the shop rolled back is the one backed up, a few files changed since (last night's
      // backup). Each run backs the tree up first (untimed), changes it, and rolls it back to that backup:
      // the files it did not change are the very files backed up (kept by inode and ctime, not read).
      c: contestant('lifeboat', 'lifeboat rollback (incremental, over the shop it backed up)', true, lifeboatMissing),
      once: async () => {
        const backup = await repos.lifeboat();
        if (!backup.ok) return { ...backup, note: `the backup before the rollback failed: ${backup.note}` };
        repos.untimedPeakRss = Math.max(repos.untimedPeakRss ?? 0, backup.peakRss ?? 0);
        await changeFiles(tree, wantFiles, 15, 0);
        const measured = await measure(ctx, lifeboatArgv('rollback', repos.latest?.id ?? '', '--yes', '--json'), lifeboatEnv(ctx, db, tree, repos.lifeboatDir));
        await replacedFilesRemoved(tree);
        return verified(outcome(measured), want, tree, snapshotExtras(repos.latest));
      },
    },
    {
      // A copy of the tree (cp -a): no file is the one backed up, so every file's data is read and compared.
      c: contestant('lifeboat-copy', 'extra: lifeboat rollback (incremental, over a copy of the tree)', true, lifeboatMissing ?? (latest ? undefined : 'no incremental backup to restore')),
      once: async () => {
        // The full tree with a few files changed, as a live shop is by the time it is rolled back; a run that failed leaves a fresh copy to the next.
        shop ??= await fullCopy(ctx, tree, 'incremental');
        await changeFiles(shop, wantFiles, 15, 0);
        const measured = await measure(ctx, lifeboatArgv('rollback', latest?.id ?? '', '--yes', '--json'), lifeboatEnv(ctx, db, shop, repos.lifeboatDir));
        await replacedFilesRemoved(shop);
        const sample = await verified(outcome(measured), want, shop, snapshotExtras(latest));
        if (!sample.ok || sample.verification === 'mismatch') shop = undefined;
        return sample;
      },
    },
    {
      c: contestant('tar-xzf', 'tar -xzf into an empty folder', false, noTar),
      once: async () => {
        const dir = await folders.fresh('incremental-tar');
        return verified(outcome(await measure(ctx, shell(`tar -xzf ${sh(tgz)} -C ${sh(dir)}`))), want, dir);
      },
    },
    {
      c: contestant('restic-restore', 'extra: restic restore latest into an empty folder', false, noRestic),
      once: async () => {
        const dir = await folders.fresh('incremental-restic');
        const measured = await measure(ctx, ['restic', 'restore', 'latest', '--no-cache', '--target', dir], repos.resticEnv());
        return verified(outcome(measured), want, dir, (p) => Repositories.resticExtras(p));
      },
    },
  ];
  try {
    await rounds(ctx, 'incremental restore', restores);
  } finally {
    await folders.removeAll();
    if (shop) await rm(path.dirname(shop), { recursive: true, force: true });
    await rm(tgz, { force: true });
  }
  return {
    generated,
    changedFiles,
    ...(lifeboatMissing ? { lifeboatMissing } : {}),
    firstBackups: firstBackups.map((e) => e.c),
    secondBackups: secondBackups.map((e) => e.c),
    space,
    restores: restores.map((e) => e.c),
    ...(repos.untimedPeakRss ? { untimedPeakRss: repos.untimedPeakRss } : {}),
  };
}
