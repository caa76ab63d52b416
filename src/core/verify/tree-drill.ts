// A restore drill of a file backup (System, Database and Media, code): proves that the tree and the
// database restore, without touching the shop. The archive is extracted into a scratch folder in
// Lifeboat's home (which backups and rollbacks leave alone), by the same checked extraction a rollback
// uses (size and sha256 against the manifest, every member against the safety rules, the counts); every
// restored file is then compared with the file index the backup recorded (its size and CRC-32, see
// archive/file-index.ts), or, for an incremental backup, every restored entry with the listing it recorded
// (type, size, the sha256 of each piece, mode, mtime, link targets: listing-compare.ts). The embedded dump is then drilled as a database backup is (drill.ts), into a
// scratch schema. The scratch folder records its process, so that one a killed drill left is removed
// by the next drill; it is removed afterwards whatever happened.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { readArchive, type FileDigest } from '../../archive/archive-read.js';
import { readListing } from '../../archive/content/listing.js';
import { openSnapshot, type OpenedSnapshot } from '../../archive/content/open-snapshot.js';
import { readSnapshot } from '../../archive/snapshot-read.js';
import { DEFAULT_CODEC } from '../../archive/codec/registry.js';
import { extractTar } from '../../archive/extract.js';
import { readFileIndex } from '../../archive/file-index.js';
import type { TreeCounts } from '../../archive/pack-tree.js';
import { readTar, type TarMember } from '../../archive/tar-reader.js';
import { probeNameFolding } from '../../archive/tar-safety.js';
import { removeTree } from '../../archive/tree-swap.js';
import type { DatabaseTarget } from '../../engines/target.js';
import { UsageError } from '../../shared/errors.js';
import { makeOwnedFolder, removeAbandonedFolders } from '../../shared/owned-folder.js';
import type { BackupRecord, DumpEntry, Manifest } from '../../shared/types.js';
import { archiveProblem, checkedAgainst } from '../archive-check.js';
import { archivePath, codecOf } from '../archive-reader.js';
import { requireFreeSpace } from '../backup/free-space.js';
import { drillDatabase, type DrillOptions, type DrillResult } from './drill.js';
import { reachedStep } from '../rollback/step-pause.js';
import { compareWithIndex } from './file-compare.js';
import { compareWithListing } from './listing-compare.js';
import type { FileDifference } from './file-difference.js';
import { readCheckedIndex } from './file-index-check.js';

export interface TreeDrillResult {
  /** The scratch folder the tree was extracted into, already removed. */
  scratch: string;
  /** What was extracted (the dump not counted). */
  counts: TreeCounts;
  /** Files compared with the backup's file index (0 when it has none). */
  compared: number;
  /** Why the files could not be compared with what the backup recorded, when they could not. */
  notCompared?: string;
  /** The entries that are not as the backup recorded them (the first 1000, in path order). */
  differing: FileDifference[];
  /** How many more entries differ than `differing` names (0 when it names them all). */
  moreDiffering: number;
  /** Set when the archive (or its index) did not read or check: nothing was compared, the database not drilled. */
  damaged?: string;
}

const SCRATCH_PREFIX = 'lifeboat-drill-tree-';
const SCRATCH_FOLDER = /^lifeboat-drill-tree-[A-Za-z0-9]{6}$/;

/** Drills the file backup `record` (in `backupDir`); its database part against `target`, when it has one. */
export async function drillTreeBackup(target: DatabaseTarget | undefined, backupDir: string, home: string, record: BackupRecord, options: DrillOptions = {}): Promise<DrillResult> {
  const manifest = record.manifest;
  if (record.origin !== 'lifeboat' || !manifest?.tree) throw new UsageError(`${record.file} has no Lifeboat manifest to compare a restore with; lifeboat verify checks what it can`);
  if (manifest.dump && !target) throw new UsageError(`${record.file} holds the database: set LIFEBOAT_DATABASE_URL so that it can be drilled`);
  const started = performance.now();
  await mkdir(home, { recursive: true });
  await removeAbandonedFolders(home, SCRATCH_FOLDER, removeTree);
  const entries = manifest.tree.files + manifest.tree.dirs + manifest.tree.symlinks + manifest.tree.hardlinks;
  await requireFreeSpace(home, manifest.tree.bytes + (manifest.dump?.size ?? 0) + entries * 4096, 'the drill\'s scratch copy of the tree', 'free some space; nothing was changed');
  const dir = await makeOwnedFolder(home, SCRATCH_PREFIX);
  try {
    const root = path.join(dir, 'tree');
    await mkdir(root);
    const tree = await restoreAndCompare(root, backupDir, record, manifest, options);
    tree.scratch = `folder ${dir}`;
    const treeOk = !tree.damaged && tree.differing.length === 0;
    const dump = manifest.dump;
    if (!dump || tree.damaged || !target) {
      const seconds = (performance.now() - started) / 1000;
      return { file: record.file, scratch: tree.scratch, tables: [], missing: [], extra: [], ok: treeOk, seconds, tree };
    }
    const database = await drillDatabase(target, path.join(root, path.posix.dirname(dump.path)), dumpRecord(record, manifest, dump), options);
    const seconds = (performance.now() - started) / 1000;
    return { ...database, file: record.file, scratch: `${database.scratch} and ${tree.scratch}`, ok: database.ok && treeOk, seconds, tree };
  } finally {
    // removeTree, not rm: a restored folder may be read-only (its mode as backed up).
    await removeTree(dir);
  }
}

/**
 * Extracts the archive into `root` with the rollback's checks, then compares the files with what the
 * backup recorded: the file index of an archive, the listing of an incremental backup (whose snapshot is
 * opened here for that once the extraction, which reads it on a thread of its own, is done: the store's
 * index is not held twice at once).
 */
async function restoreAndCompare(root: string, backupDir: string, record: BackupRecord, manifest: Manifest, options: DrillOptions): Promise<TreeDrillResult> {
  const result: TreeDrillResult = { scratch: '', counts: { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, bytes: 0 }, compared: 0, differing: [], moreDiffering: 0 };
  const incremental = manifest.incremental !== undefined;
  const extracted = await extractChecked(root, backupDir, record, manifest, incremental, options);
  if (typeof extracted === 'string') return { ...result, damaged: extracted };
  result.counts = withoutDump(extracted, manifest);
  const counted = countsProblem(result.counts, manifest);
  if (counted) return { ...result, damaged: counted };
  // For the tests: a restored file changed here must be found.
  await reachedStep('drill-restored');
  if (incremental) {
    const snapshot = await openChecked(backupDir, record);
    if (typeof snapshot === 'string') return { ...result, damaged: snapshot };
    try {
      const { reader, document } = snapshot;
      const pieceSize = (id: string) => reader.index.find(id)?.place.size;
      const compared = await compareWithListing(root, readListing(reader, document.listing), { pieceSize, dumpPath: manifest.dump?.path, signal: options.signal });
      return { ...result, ...compared };
    } finally {
      await snapshot.close();
    }
  }
  const index = manifest.tree?.index;
  if (!index) return { ...result, notCompared: 'its files could not be compared with what the backup recorded: the backup was made before Lifeboat recorded a file index' };
  const checked = await readCheckedIndex(backupDir, index);
  if ('problem' in checked) return { ...result, damaged: checked.problem };
  const recorded = readFileIndex(index.file, checked.bytes);
  const compared = await compareWithIndex(root, recorded, { dumpPath: manifest.dump?.path, signal: options.signal });
  return { ...result, ...compared };
}

/** The incremental backup's snapshot, checked against its manifest; or what is wrong with it. */
async function openChecked(backupDir: string, record: BackupRecord): Promise<OpenedSnapshot | string> {
  try {
    return await openSnapshot(path.join(backupDir, record.file), record.manifest?.archive);
  } catch (error) {
    const problem = archiveProblem(error, codecOf(record) ?? DEFAULT_CODEC);
    if (problem) return problem;
    throw error;
  }
}

/** The rollback's checked extraction into `root` (of the snapshot's members, for an incremental backup): the extracted counts, or what is wrong with the archive. */
async function extractChecked(root: string, backupDir: string, record: BackupRecord, manifest: Manifest, incremental: boolean, options: DrillOptions): Promise<TreeCounts | string> {
  const codec = codecOf(record) ?? DEFAULT_CODEC;
  let source: { members: AsyncIterable<TarMember>; close(): Promise<void>; digest?: Promise<FileDigest> };
  try {
    if (incremental) {
      // Read on a thread of its own, as a rollback reads it (snapshot-read.ts).
      const read = await readSnapshot({ file: path.join(backupDir, record.file), expected: manifest.archive });
      source = { members: read.members, close: read.close };
    } else {
      const read = readArchive(archivePath(backupDir, record), { decompress: codec, hash: true });
      source = { members: readTar(read.chunks), close: read.close, digest: read.digest };
    }
  } catch (error) {
    const problem = archiveProblem(error, codec);
    if (problem) return problem;
    throw error;
  }
  const checked = source.digest ? checkedAgainst(manifest, source.digest) : undefined;
  const total = manifest.tree!.bytes + (manifest.dump?.size ?? 0);
  let bytes = 0;
  let lastWhole: string | undefined;
  try {
    const { counts } = await extractTar(source.members, {
      targets: [{ rel: '', dir: root }],
      folding: await probeNameFolding(root),
      preserveOwners: false,
      signal: options.signal,
      onMember: (member, size) => {
        lastWhole = member.path;
        options.onProgress?.({ phase: 'extract', rows: 0, bytes: (bytes += size), totalBytes: total });
      },
    });
    return (await checked?.problem()) ?? counts;
  } catch (error) {
    await source.close();
    if (options.signal?.aborted) throw error;
    // Where the archive stopped reading places the damage: after the last member that came out whole.
    const problem = archiveProblem(error, codec);
    const place = lastWhole === undefined ? 'before its first member' : `after ${lastWhole}, the last member restored whole`;
    if (problem) return `${problem}, ${place}`;
    const unchecked = await checked?.problem();
    if (unchecked) return unchecked;
    throw error;
  }
}

/** The extracted tree's counts without the embedded dump, which the manifest's tree does not count. */
function withoutDump(extracted: TreeCounts, manifest: Manifest): TreeCounts {
  return { ...extracted, files: extracted.files - (manifest.dump ? 1 : 0), bytes: extracted.bytes - (manifest.dump?.size ?? 0) };
}

/** What differs between the tree's counts and the manifest's, as the rollback checks them. */
function countsProblem(counts: TreeCounts, manifest: Manifest): string | undefined {
  for (const key of ['files', 'dirs', 'symlinks', 'hardlinks', 'bytes'] as const) {
    if (counts[key] !== manifest.tree![key]) return `the extracted tree has ${counts[key]} ${key}, the manifest says ${manifest.tree![key]}`;
  }
  return undefined;
}

/** The embedded dump as a database backup of its own: its manifest is the backup's, with the dump as its archive. */
function dumpRecord(record: BackupRecord, manifest: Manifest, dump: DumpEntry): BackupRecord {
  const file = path.posix.basename(dump.path);
  const { tree: _tree, dump: _dump, incremental: _incremental, ...database } = manifest;
  const archive = { size: dump.size, sha256: dump.sha256, compression: dump.compression };
  return { ...record, file, type: 'db', size: dump.size, sha256: dump.sha256, manifest: { ...database, type: 'db', file, archive } };
}
