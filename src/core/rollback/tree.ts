// Rolling a shop back to a .tgz archive (system, nomedia, media, code; Lifeboat's or
// Magento's). Order, and why:
//   1. stage: work folders beside the root (and inside a symlinked media folder or mount point);
//   2. scan the whole archive once: sha256 and size (when a manifest vouches), gzip, tar, and every
//      member against the safety rules; a damaged or hostile archive is refused here, nothing changed
//      (chosen files that the file index places are read from their place alone, each checked against
//      its CRC-32 in the index: indexed-paths.ts);
//   3. check free space, extract into the staging folders, check the counts against the manifest, take
//      the dump out of the staged tree, drop what the rollback leaves untouched;
//   4. load the staged dump into the database's staging area (the engine's; the shop is not touched),
//      while the staged files are flushed to disk (a power loss after the swap must not find them empty);
//   5. swap the staged tree in (renames), then the database (its commit point: MySQL's one RENAME
//      TABLE, SQLite's COMMIT); a rollback without a database commits when the file swap is done;
//   6. re-apply folder metadata, remove the replaced entries and the staging (in a detached process
//      when the caller asks: the shop is whole by then).
// Every step that changes the shop is written to the rollback journal first (journal.ts): on
// any failure, and after a crash at any instruction (recover.ts), the shop is brought back to the old
// state when the commit point was not passed, and finished as the backup's when it was. Files are
// swapped just before the database because renames can be undone reliably and a committed database
// restore cannot: the other order would leave a restored database beside the old files.
import { randomBytes } from 'node:crypto';
import { lstat, rename, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { extractTar } from '../../archive/extract.js';
import { flushFilesystems } from '../../archive/flush-filesystems.js';
import { depthOf, type FolderMetas } from '../../archive/folder-metas.js';
import { digestArchive, readArchive } from '../../archive/archive-read.js';
import { membersFromIndex } from '../../archive/members-from-index.js';
import { codecOfFileName, DEFAULT_CODEC } from '../../archive/codec/registry.js';
import type { TreeCounts } from '../../archive/pack-tree.js';
import { readTar } from '../../archive/tar-reader.js';
import type { ReusedFiles } from '../../archive/reused-files.js';
import { probeNameFolding, type CheckedMember, type NameFolding } from '../../archive/tar-safety.js';
import { checkWritable, livePath, planSwap, recordSwap, removeTree, runSwap, SwapRefusedError, unitFor, type SwapPlan, type SwapUnit } from '../../archive/tree-swap.js';
import type { TreeRules, TreeScope } from '../../archive/tree-rules.js';
import { RestoreRefusedError, type ProgressListener, type RestoreResult } from '../../engines/engine.js';
import type { DatabaseTarget } from '../../engines/target.js';
import { archivePath, codecOf, readSqlFile } from '../archive-reader.js';
import { OperationError, UsageError } from '../../shared/errors.js';
import { requireFreeSpace } from '../backup/free-space.js';
import { objectsOf, requireSameEngine, restoreDatabase, settleAfterFailure } from './database.js';
import { finishCommitted } from './recover.js';
import { RollbackJournal, type RestoreMark, type StoredFolderMeta } from './journal.js';
import { reachedStep } from './step-pause.js';
import { prepareUnits } from './staging.js';
import { checkedIndexText, indexCursorOf, indexEntries } from './kept-by-index.js';
import { scopeOf, shopRules, type ShopLayout } from '../tree-scope.js';
import { holdsDatabase, type BackupRecord, type Manifest } from '../../shared/types.js';
import { archiveProblem, checkedAgainst, fromManifest } from '../archive-check.js';
import { verifyTreeBackup, type DumpFound } from '../verify/tree.js';
import { snapshotMemberStream, type SnapshotMembers } from '../snapshot-source.js';
import { ChosenPathRules, isUnder, requireRestorable } from './chosen-paths.js';
import { locatedChosenFiles } from './indexed-paths.js';
import { localArchive, readIndexedMembers, type ArchiveOpener, type IndexedReadCount, type LocatedFile } from '../../archive/indexed-members.js';

export interface TreeRollbackOptions {
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /** Called after each rename of the swap; throwing there fails the rollback (tests inject failures). */
  afterRename?: (renames: number) => void | Promise<void>;
  /** How the filesystem compares names; probed in the staging folder by default. */
  folding?: NameFolding;
  /** The folder the archive is read from (a backup fetched from off-site storage); the backup folder by default. */
  archiveDir?: string;
  /** The job's id: names the journal, the work folders and the helper schemas (random when absent). */
  jobId?: string;
  /** Lines the user should see before the database restore writes (the binary log's growth). */
  onNotice?: (line: string) => void;
  /**
   * Remove what the rollback replaced (the old tree, the old tables) in a detached process once the shop
   * is whole, instead of before returning (jobs do: the shop is back the moment the swap is done; see
   * background-cleanup.ts).
   */
  cleanUpInBackground?: boolean;
  /**
   * Restore only these paths (relative to the root, normalised: chosen-paths.ts), each a file or a folder
   * swapped whole; the rest of the shop and the database stay as they are.
   */
  paths?: string[];
  /** A restore into another place than the shop: where its journal goes and what it restores into (journal.ts). */
  restore?: RestoreMark;
  /** Run on the staged database before the swap (RestoreOptions.stagedStatements). */
  stagedStatements?: string[];
  /**
   * The chosen paths as files placed by the file index, and where the archive is read from (a backup only
   * in the bucket: ranged reads of its copy, offsite-paths.ts); by default the index and the archive in
   * `archiveDir` are looked at.
   */
  indexed?: { files: LocatedFile[]; open: ArchiveOpener };
  /**
   * Write every file anew: by default a small file the shop has exactly as the backup has it (bytes,
   * size, mode, owner, mtime) is hard-linked into the staging instead (live-reuse.ts).
   */
  rewriteAll?: boolean;
}

export interface TreeRollbackResult {
  /** What was restored from the archive. */
  tree: TreeCounts;
  /** The database restore, when the archive holds a dump. */
  database?: RestoreResult;
  /** Renames done by the swap. */
  renames: number;
  warnings: string[];
  /**
   * Files read from where the file index places them (chosen files, or the changed files of a rollback
   * that made the rest of the tree from the index): the compressed bytes read from the archive.
   */
  indexedRead?: IndexedReadCount;
  /** The shop's unchanged files kept (hard-linked into the restored tree, not written again). */
  reused: { files: number; bytes: number };
}


/** The dump a tree archive restores, among those found in it (its manifest names it; in Magento's, one of its time). */
export function pickDump(record: BackupRecord, found: DumpFound[]): DumpFound | undefined {
  if (record.manifest) return found.find((d) => d.path === record.manifest?.dump?.path);
  if (found.length <= 1) return found[0];
  const sameTime = found.filter((d) => d.path.startsWith(`var/${record.time}_db`));
  if (sameTime.length === 1) return sameTime[0];
  throw new OperationError(`${record.file} holds several database dumps (${found.map((d) => d.path).join(', ')}); cannot tell which to restore, nothing was changed`);
}

function refuse(record: BackupRecord, reason: string): never {
  throw new OperationError(`${record.file}: ${reason}; refusing to roll back, nothing was changed`);
}

export async function rollbackTree(record: BackupRecord, shop: ShopLayout, shopDatabase: DatabaseTarget | undefined, options: TreeRollbackOptions = {}): Promise<TreeRollbackResult> {
  // Chosen paths are files only: the database is left as it is.
  const target = options.paths ? undefined : shopDatabase;
  const scope = checkRollback(record, target, options.paths !== undefined);
  const warnings: string[] = [];
  const jobId = options.jobId ?? `r${randomBytes(4).toString('hex')}`;
  const journal = await RollbackJournal.begin(shop.home, jobId, { id: record.id, file: record.file, type: record.type }, options.restore);
  const files = new FileSwap(record, journal, options);
  // An incremental backup's snapshot is opened on its reading thread now, while the work folders are made:
  // loading the store's index took 0.3 s at the bench's scale 1 (snapshot-read.ts).
  const snapshot = record.manifest?.incremental && !options.indexed ? snapshotMemberStream(options.archiveDir ?? shop.backupDir, record, options.paths, liveRootOf(shop, options)) : undefined;
  snapshot?.catch(() => undefined); // awaited in stageArchive
  try {
    const { units, rules, staged } = await stageFiles(record, shop, scope, target, journal, jobId, options, warnings, snapshot);
    await reachedStep('files-staged');

    // 4.-5. The database loads into its staging area, then the files and the database are swapped. The
    // staged files are flushed to disk meanwhile, and before the swap (flush-filesystems.ts).
    const flushed = flushFilesystems(units.map((unit) => unit.work));
    flushed.catch(() => undefined); // awaited before the swap; a failure before it is the rollback's own
    const swapFiles = async () => {
      // Refused, not failed: the database restore passes a refusal on as it is, and nothing was changed.
      const warning = await flushed.catch((error: unknown) => {
        throw new RestoreRefusedError(`${(error as Error).message}; nothing was changed`, { cause: error });
      });
      if (warning) warnings.push(warning);
      refuseChangedReuse(record, units, staged.reused);
      await files.run(units, rules, staged);
    };
    let database: RestoreResult | undefined;
    if (staged.dump && target) {
      const dump = staged.dump;
      const codec = codecOfFileName(dump);
      database = await restoreDatabase(target, readSqlFile(dump, codec), {
        onProgress: options.onProgress,
        signal: options.signal,
        totalBytes: record.manifest?.sqlBytes,
        ownDump: record.origin === 'lifeboat',
        rereadSql: () => readSqlFile(dump, codec),
        onNotice: options.onNotice,
        stagedStatements: options.stagedStatements,
        ...objectsOf(record),
        beforeSwap: swapFiles,
        journal: journal.forDatabase(),
        label: jobId,
        leaveOldTables: options.cleanUpInBackground,
      });
    } else {
      await swapFiles();
    }
    await journal.update({ committed: true, step: 'committed: cleaning up' });
    await reachedStep('committed');

    // 6. Clean up, then folder metadata last (merged folders were not replaced, staged ones lost theirs
    // to pruning, and removing leftovers and work folders changes their parents' mtimes).
    warnings.push(...(await finishCommitted(journal, target, options.cleanUpInBackground)));
    const reused = { files: staged.reused.count, bytes: staged.reused.bytes };
    return { tree: staged.counts, ...(database ? { database } : {}), renames: files.renames, warnings, reused, ...(staged.indexedRead ? { indexedRead: staged.indexedRead } : {}) };
  } catch (failure) {
    await snapshot?.then((opened) => opened.close(), () => undefined);
    const error = await settleAfterFailure(journal, target, failure);
    if (error === failure && files.swapped && journal.state.files?.settled === 'old') {
      // A cancel that came during the swap is seen at the database's next check: it did not fail.
      const why = options.signal?.aborted ? 'the job was cancelled once the files were swapped' : 'restoring the database failed';
      throw new OperationError(`${why}, so the files were put back as they were: ${(failure as Error).message}`);
    }
    throw error;
  }
}

/** Where the shop's unchanged files are kept from (live-reuse.ts), unless every file is to be written. */
function liveRootOf(shop: ShopLayout, options: TreeRollbackOptions): string | undefined {
  return options.rewriteAll ? undefined : shop.root;
}

/** Refuses a rollback that cannot be done before anything is written; the scope of the archive's tree. */
function checkRollback(record: BackupRecord, target: DatabaseTarget | undefined, pathsOnly: boolean): TreeScope {
  if (record.type === 'db') throw new UsageError(`${record.file} is a database archive; use rollbackDatabase`);
  if (target) requireSameEngine(record, target);
  if (record.manifest?.dump && !target && !pathsOnly) throw new UsageError(`${record.file} holds the database: set LIFEBOAT_DATABASE_URL so it can be restored; nothing was changed`);
  return record.manifest?.tree?.scope ?? scopeOf(record.type);
}

/**
 * Step 1, then 2 and 3 (stageArchive): the work folders, recorded in the journal before they are made,
 * and the archive staged into them under the rules of what the rollback replaces.
 */
async function stageFiles(
  record: BackupRecord,
  shop: ShopLayout,
  scope: TreeScope,
  target: DatabaseTarget | undefined,
  journal: RollbackJournal,
  jobId: string,
  options: TreeRollbackOptions,
  warnings: string[],
  snapshot: Promise<SnapshotMembers> | undefined,
): Promise<{ units: SwapUnit[]; rules: TreeRules; staged: StagedArchive }> {
  const narrowed = async (rules: TreeRules) => {
    if (!options.paths) return rules;
    requireRestorable(rules, options.paths);
    return new ChosenPathRules(rules, options.paths);
  };
  const prepared = await prepareUnits(shop.root, await narrowed((await shopRules(shop, scope, target)).rules), {
    label: jobId,
    beforeCreate: (units) => journal.updateFiles({ units }),
  });
  const units = prepared.units;
  if (options.paths) await requireFoldersAbove(shop.root, units, options.paths);
  await journal.update({ step: 'staging the files' });
  // Paths mounted on their own (found while preparing) are left out of what the rollback replaces.
  const rules = await narrowed((await shopRules(shop, scope, target, prepared.pinned)).rules);
  for (const rel of prepared.pinned) warnings.push(`${rel} is a mount point of its own (a bind-mounted file); it was left as it is`);
  const staged = await stageArchive(record, shop, units, rules, target, options, warnings, snapshot);
  return { units, rules, staged };
}

/**
 * The file half of step 5: the staged tree renamed into the shop, each step in the journal first. It runs
 * as the database restore's last word before its own swap (or alone, without a database); the rollback
 * then needs how many renames it made and whether it finished (a later failure puts the files back).
 */
class FileSwap {
  renames = 0;
  swapped = false;

  constructor(
    private readonly record: BackupRecord,
    private readonly journal: RollbackJournal,
    private readonly options: TreeRollbackOptions,
  ) {}

  async run(units: SwapUnit[], rules: TreeRules, staged: StagedArchive): Promise<void> {
    const { journal, options } = this;
    options.signal?.throwIfAborted();
    const plan = await this.plan(units, rules);
    const refresh = [...new Set([...plan.merged, ...staged.touched, ...units.map((u) => u.rel)])];
    await journal.updateFiles({ swap: { ...recordSwap(plan), folderMetas: folderMetasOf(units, staged.folders, refresh) } });
    await journal.update({ step: 'swapping the files' });
    options.onProgress?.({ phase: 'swap', rows: 0, bytes: 0, totalBytes: undefined });
    this.renames = (
      await runSwap(plan, async (steps) => {
        await options.afterRename?.(steps);
        await reachedStep('file-renamed');
      })
    ).steps;
    await journal.update({ step: 'files swapped' });
    this.swapped = true;
    await reachedStep('files-swapped');
  }

  /** The renames, checked for permission before the first: a swap the shop's files refuse changes nothing. */
  private async plan(units: SwapUnit[], rules: TreeRules): Promise<SwapPlan> {
    try {
      const plan = await planSwap(units, rules);
      await checkWritable(plan);
      return plan;
    } catch (error) {
      if (error instanceof SwapRefusedError) refuse(this.record, error.message);
      throw error;
    }
  }
}

interface StagedArchive {
  counts: TreeCounts;
  /** The staged dump, moved out of the tree into the work folder. */
  dump?: string;
  folders: FolderMetas;
  /** Folders the staging took something out of (the dump, left-out paths): their metadata is set again. */
  touched: Set<string>;
  /** Set when files were read from their places in the archive (indexed-members.ts, members-from-index.ts). */
  indexedRead?: IndexedReadCount;
  /** Live files hard-linked into the staging (live-reuse.ts). */
  reused: ReusedFiles;
}

/**
 * Refuses the swap when the shop wrote into a file the staging reuses (a hard link to it) since the link:
 * the restored tree would hold the shop's new bytes, not the backup's. Nothing has been changed yet.
 */
function refuseChangedReuse(record: BackupRecord, units: SwapUnit[], reused: ReusedFiles): void {
  if (reused.count === 0) return;
  const changed = reused.changed();
  if (changed.count === 0) return;
  const named = changed.named.map((staged) => relOfStaged(units, staged)).join(', ');
  throw new RestoreRefusedError(
    `${record.file}: ${changed.count} of the shop's files changed while the rollback was staging them (${named}${changed.count > changed.named.length ? ', …' : ''}); nothing was changed; roll back again with --maintenance so that the shop writes nothing meanwhile, or with --rewrite-all`,
  );
}

/** The shop-relative path of a path in a unit's staged tree. */
function relOfStaged(units: SwapUnit[], staged: string): string {
  const unit = units.find((u) => staged.startsWith(u.tree + path.sep));
  if (!unit) return staged;
  const inner = staged.slice(unit.tree.length + 1);
  return unit.rel === '' ? inner : `${unit.rel}/${inner}`;
}

/**
 * Steps 2 and 3: checks the archive (a full read, or during extraction for Lifeboat's own), extracts it
 * into the work folders, checks the counts, takes the dump out and drops what the rollback leaves alone.
 * Writes only into the work folders: a refused archive changes nothing.
 */
async function stageArchive(
  record: BackupRecord,
  shop: ShopLayout,
  units: SwapUnit[],
  rules: TreeRules,
  target: DatabaseTarget | undefined,
  options: TreeRollbackOptions,
  warnings: string[],
  opening: Promise<SnapshotMembers> | undefined,
): Promise<StagedArchive> {
  const progress = (phase: string, bytes: number, totalBytes?: number) => options.onProgress?.({ phase, rows: 0, bytes, totalBytes });
  const archiveDir = options.archiveDir ?? shop.backupDir;
  // Which live files are the ones the backup read (kept-by-index.ts), and how much each work folder takes.
  const readsIndex = !options.paths && !options.indexed && !record.manifest?.incremental;
  const keepsFiles = readsIndex && !options.rewriteAll;
  const indexText = readsIndex ? checkedIndexText(archiveDir, record).catch(() => undefined) : undefined;
  const folding = options.folding ?? (await probeNameFolding(units[0].work));
  // Over several work folders (a symlinked media folder) the manifest's total does not say what each
  // needs: the index does; without one the archive is read once first to count (scanArchive).
  const text = await indexText;
  const manifest = record.manifest?.tree && (units.length === 1 || text !== undefined) ? record.manifest : undefined;
  const chosen = rules instanceof ChosenPathRules ? rules : undefined;
  const located = chosen ? (options.indexed?.files ?? (await locatedChosenFiles(archiveDir, record, chosen.chosen))) : undefined;
  const { scan, unitBytes } = located ? scanLocated(located, units) : await scanArchive(record, archiveDir, manifest, units, folding, options, text);
  const dump = holdsDatabase(record.type) && !chosen ? pickDump(record, scan.dumps) : undefined;
  if (dump && !target) throw new UsageError(`${record.file} holds a database dump: set LIFEBOAT_DATABASE_URL so it can be restored; nothing was changed`);
  if (!dump && !chosen && holdsDatabase(record.type)) warnings.push(`${record.file} holds no database dump; the database was not changed`);

  for (const [unit, bytes] of unitBytes) await requireFreeSpace(unit.work, bytes, 'staging this archive', 'free some space; nothing was changed');
  const leftOut = new Set<string>();
  const found = new Set<string>();
  let extractedBytes = 0;
  const file = archivePath(archiveDir, record);
  const codec = codecOf(record) ?? DEFAULT_CODEC;
  // Read, hashed and inflated on a worker thread, a few MiB ahead of the parsing and checking here
  // (not hashed when the separate read above already checked the file).
  // An incremental backup is read as the members made from its snapshot; its blobs check themselves.
  const incremental = record.manifest?.incremental !== undefined;
  if (located) await opening?.then((opened) => opened.close(), () => undefined); // not needed after all
  // Chosen files the index places are read from there alone (checked against the index's CRC-32s).
  const indexedRead: IndexedReadCount = { compressedBytes: 0 };
  const snapshot =
    incremental && !located
      ? await (opening ?? snapshotMemberStream(archiveDir, record, chosen?.chosen, liveRootOf(shop, options))).catch((error: unknown) => {
          const problem = archiveProblem(error, codec);
          if (problem) refuse(record, `it is damaged (${problem})`);
          throw error;
        })
      : undefined;
  // Lifeboat's own archive whose index describes it: the tree made from the index, only changed files read.
  // (Hard links are not described by the index: such an archive is read whole.)
  const describes = text !== undefined && keepsFiles && manifest?.tree?.hardlinks === 0 && !located && !incremental;
  const fromIndex = describes ? membersFromIndex(text, (rel) => livePath(units, rel), { open: localArchive(file), codec, count: indexedRead }) : undefined;
  const source = located || incremental || fromIndex ? undefined : readArchive(file, { decompress: codec, hash: manifest !== undefined });
  const digested = fromIndex ? digestArchive(file) : source;
  const checked = manifest && digested ? checkedAgainst(manifest, digested.digest) : undefined;
  const members = snapshot?.members ?? fromIndex ?? (source ? readTar(source.chunks) : readIndexedMembers(options.indexed?.open ?? localArchive(file), codec, located ?? [], indexedRead));
  const identities = text !== undefined && keepsFiles && !fromIndex ? indexCursorOf(text) : undefined;
  const extracted = await extractTar(members, {
    ...(identities ? { identityOf: (rel: string) => identities.identityOf(rel) } : {}),
    targets: units.map((u) => ({ rel: u.rel, dir: u.tree, ...(options.rewriteAll ? {} : { live: u.live }) })),
    folding,
    preserveOwners: process.getuid?.() === 0,
    signal: options.signal,
    ...(chosen ? { only: (member: CheckedMember) => chosenMember(record, chosen, member) } : {}),
    onMember: (member, size) => {
      if (chosen) for (const rel of chosen.chosen) if (isUnder(member.path, rel)) found.add(rel);
      extractedBytes += size;
      progress('extract', extractedBytes, scan.dataBytes);
      if (rules.leavesOut(member.path) && !rules.isScopeAncestor(member.path)) leftOut.add(topmostLeftOut(rules, member.path));
    },
  }).catch(async (error: unknown) => {
    const problem = (checked || incremental || located) && !options.signal?.aborted ? archiveProblem(error, codec) : undefined;
    // A file read from its place that is not there may be another archive under this name: its size or
    // sha256 (read on to the end) says so better than the member found instead.
    const whole = problem && fromIndex ? await checked?.problem() : undefined;
    await digested?.close();
    await snapshot?.close();
    if (problem) refuse(record, `it is damaged or unsafe (${whole ?? problem})`);
    throw error;
  });
  const damaged = await checked?.problem();
  if (damaged) refuse(record, `it is damaged or unsafe (${damaged})`);
  if (chosen) requireAllFound(record, chosen.chosen, found);
  const counts = chosen ? extracted.counts : checkCounts(record, extracted.counts, scan);
  const stagedDump = dump ? await takeOutDump(units, dump) : undefined;
  const touched = await removeLeftOut(units, dump, leftOut, extracted.folders);
  return { counts, ...(stagedDump ? { dump: stagedDump } : {}), folders: extracted.folders, touched, reused: extracted.reused, ...(located || fromIndex ? { indexedRead } : {}) };
}


/** Step 2 for chosen files read from their places: what they hold, from the index (no dump: the database is left alone). */
function scanLocated(located: readonly LocatedFile[], units: SwapUnit[]): { scan: ArchiveScan; unitBytes: Map<SwapUnit, number> } {
  const unitBytes = new Map<SwapUnit, number>(units.map((u) => [u, 0]));
  let dataBytes = 0;
  for (const file of located) {
    const unit = unitFor(units, file.path);
    unitBytes.set(unit, (unitBytes.get(unit) ?? 0) + file.size + 4096);
    dataBytes += file.size;
  }
  return { scan: { dumps: [], dataBytes }, unitBytes };
}

interface ArchiveScan {
  dumps: DumpFound[];
  dataBytes: number;
  counts?: TreeCounts;
}

/**
 * Step 2: what the archive holds (its dumps, its data bytes and, for the free-space check, the bytes of
 * each work folder), from the manifest of Lifeboat's own archive (which the extraction then checks
 * against its hash; each work folder's bytes from the file index when there are several) or from a full
 * read that checks every member.
 */
async function scanArchive(
  record: BackupRecord,
  archiveDir: string,
  manifest: Manifest | undefined,
  units: SwapUnit[],
  folding: NameFolding,
  options: TreeRollbackOptions,
  indexText: string | undefined,
): Promise<{ scan: ArchiveScan; unitBytes: Map<SwapUnit, number> }> {
  const unitBytes = new Map<SwapUnit, number>(units.map((u) => [u, 0]));
  if (manifest) {
    const known = fromManifest(manifest);
    if (units.length === 1) unitBytes.set(units[0], known.dataBytes + known.entries * 4096);
    else {
      for (const entry of indexEntries(indexText ?? '')) {
        const unit = unitFor(units, entry.path);
        unitBytes.set(unit, (unitBytes.get(unit) ?? 0) + entry.size + 4096);
      }
    }
    return { scan: known, unitBytes };
  }
  const report = await verifyTreeBackup(archiveDir, record, {
    folding,
    signal: options.signal,
    onBytes: (bytes, total) => options.onProgress?.({ phase: 'verify', rows: 0, bytes, totalBytes: total }),
    onMember: (member, size) => {
      const unit = unitFor(units, member.path);
      unitBytes.set(unit, (unitBytes.get(unit) ?? 0) + size + 4096); // data, plus a block for the inode or folder
    },
  });
  if (!report.ok) refuse(record, `it is damaged or unsafe (${report.problems.join('; ')})`);
  return { scan: report.scan, unitBytes };
}

/**
 * Refuses a chosen path below something in the shop that is not a real folder (a symlink to a folder
 * elsewhere, a file): the swap would replace it by a folder holding only the restored path. A symlinked
 * media folder is a swap unit of its own, swapped inside its target, so it passes.
 */
async function requireFoldersAbove(root: string, units: readonly SwapUnit[], chosen: readonly string[]): Promise<void> {
  for (const rel of chosen) {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const above = parts.slice(0, i).join('/');
      if (units.some((unit) => unit.rel === above)) continue;
      const info = await lstat(livePath([...units], above)).catch(() => undefined);
      if (!info) break; // not in the shop now: made by the restore
      if (!info.isDirectory()) {
        throw new UsageError(`${above} in ${root} is ${info.isSymbolicLink() ? 'a symlink' : 'not a folder'}, so ${rel} cannot be restored below it; restore ${above} itself, or the path in the folder it points to; nothing was changed`);
      }
    }
  }
}

/**
 * Whether a member is a chosen path or below one; a hard link to a file outside them is refused (its
 * data was skipped, so it cannot be linked to).
 */
function chosenMember(record: BackupRecord, chosen: ChosenPathRules, member: CheckedMember): boolean {
  if (!chosen.covers(member.path)) return false;
  if (member.type === 'hardlink' && member.linkTarget !== undefined && !chosen.covers(member.linkTarget)) {
    throw new UsageError(`${member.path} is a hard link to ${member.linkTarget} in backup ${record.file}: add --path ${member.linkTarget} to restore both; nothing was changed`);
  }
  return true;
}

/** Refuses chosen paths the backup does not hold (only the staging was written: nothing was changed). */
function requireAllFound(record: BackupRecord, chosen: readonly string[], found: Set<string>): void {
  const missing = chosen.find((rel) => !found.has(rel));
  if (missing === undefined) return;
  const folder = path.posix.dirname(missing);
  const list = `lifeboat list ${record.origin === 'lifeboat' ? record.id : record.file} --files${folder === '.' ? '' : ` ${folder}`}`;
  throw new UsageError(`${missing} is not in backup ${record.file}; see what it holds with "${list}"; nothing was changed`);
}

/** The extracted tree's counts, less the dumps, which must be the archive's. */
function checkCounts(record: BackupRecord, extracted: TreeCounts, scan: ArchiveScan): TreeCounts {
  const counts = { ...extracted };
  for (const found of scan.dumps) {
    counts.files--;
    counts.bytes -= found.size;
  }
  const expected = record.manifest?.tree ?? (scan.counts as TreeCounts);
  for (const key of ['files', 'dirs', 'symlinks', 'hardlinks', 'bytes'] as const) {
    if (counts[key] !== expected[key]) refuse(record, `the extracted tree has ${counts[key]} ${key}, the archive says ${expected[key]}`);
  }
  return counts;
}

/** The dump to restore, moved out of the staged tree into its work folder (the other dumps stay in the tree). */
async function takeOutDump(units: SwapUnit[], dump: DumpFound): Promise<string> {
  const unit = unitFor(units, dump.path);
  const stagedDump = path.join(unit.work, `dump-${path.basename(dump.path)}`);
  await rename(stagedPath(units, dump.path), stagedDump);
  return stagedDump;
}

/**
 * Removes from the staged tree what the rollback leaves as it is in the shop; returns the folders that
 * something was taken out of (the dump too), whose metadata is then set again.
 */
async function removeLeftOut(units: SwapUnit[], dump: DumpFound | undefined, leftOut: Set<string>, folders: FolderMetas): Promise<Set<string>> {
  const touched = new Set<string>(dump ? [path.posix.dirname(dump.path)] : []);
  for (const rel of [...leftOut].sort()) {
    if ([...leftOut].some((o) => o !== rel && rel.startsWith(o + '/'))) continue;
    await removeTree(stagedPath(units, rel));
    touched.add(path.posix.dirname(rel));
  }
  // Folders the archive does not list, made only to hold what was just taken out (var/ for the dump
  // of a media archive), are not part of the backup: remove them when empty.
  for (const rel of [...touched].sort((a, b) => b.length - a.length)) {
    for (let dir = rel; dir !== '.' && dir !== '' && !folders.has(dir) && !units.some((u) => u.rel === dir); dir = path.posix.dirname(dir)) {
      if (!(await rmdir(stagedPath(units, dir)).then(() => true, () => false))) break;
    }
  }
  return touched;
}

/** The highest folder of `rel` that the rules leave out (so one removal covers everything below). */
function topmostLeftOut(rules: { leavesOut(rel: string): boolean; isScopeAncestor(rel: string): boolean }, rel: string): string {
  const parts = rel.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('/');
    if (rules.leavesOut(prefix) && !rules.isScopeAncestor(prefix)) return prefix;
  }
  return rel;
}

function stagedPath(units: SwapUnit[], rel: string): string {
  const unit = unitFor(units, rel);
  return rel === unit.rel ? unit.tree : path.join(unit.tree, unit.rel === '' ? rel : rel.slice(unit.rel.length + 1));
}

/** The archive's metadata of the folders in `rels`, at their live paths, deepest first (for the journal). */
function folderMetasOf(units: SwapUnit[], folders: FolderMetas, rels: string[]): StoredFolderMeta[] {
  return rels
    .filter((rel) => folders.has(rel))
    .sort((a, b) => depthOf(b) - depthOf(a))
    .map((rel) => {
      const meta = folders.get(rel)!;
      return { path: livePath(units, rel), uid: meta.uid, gid: meta.gid, mode: meta.mode, mtimeNs: String(meta.mtimeNs) };
    });
}
