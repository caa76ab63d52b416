// `verify --read-data-subset N%` of an incremental backup (as restic's check): everything but the file
// contents is checked as in a full verify (the snapshot file against its manifest, the store's
// structure, the whole listing, which every blob it names must be in the index, and the tree's counts),
// and of the contents' blobs only those whose id falls in the first N% of the id space are read and
// checked against their sha256. Ids are hashes, so that is an even sample (the same one each time; a
// full verify reads everything).
import path from 'node:path';
import { BlobIndex } from '../../archive/content/blob-index.js';
import { readListing } from '../../archive/content/listing.js';
import { openSnapshot } from '../../archive/content/open-snapshot.js';
import { checkStoreStructure } from '../../archive/content/store-check.js';
import { emptyCounts } from '../../archive/pack-tree.js';
import type { BackupRecord } from '../../shared/types.js';
import type { VerifyReport } from './database.js';

/** Blob reads in flight at once. */
const READS = 16;

/** Whether blob `id` is in the sample of `percent` % of the id space. */
export const inSample = (id: string, percent: number) => parseInt(id.slice(0, 8), 16) < (percent / 100) * 2 ** 32;

export async function verifySnapshotSubset(backupDir: string, record: BackupRecord, percent: number, signal?: AbortSignal): Promise<VerifyReport> {
  const report: VerifyReport = { ok: true, id: record.id, file: record.file, checked: [], problems: [] };
  const problem = (text: string) => {
    report.ok = false;
    report.problems.push(text);
  };
  const manifest = record.manifest;
  if (!manifest?.incremental) throw new Error(`${record.file} is not an incremental backup`);
  report.checked.push('size', 'sha256', 'store structure');
  for (const found of await checkStoreStructure(path.join(backupDir, manifest.incremental.store))) problem(found);
  let snapshot;
  try {
    snapshot = await openSnapshot(path.join(backupDir, record.file), manifest.archive);
  } catch (error) {
    problem((error as Error).message);
    return report;
  }
  report.checked.push('listing', `${percent}% of the blobs against their sha256`, 'tree counts');
  const index: BlobIndex = snapshot.reader.index;
  const counts = emptyCounts();
  const reads: Promise<void>[] = [];
  const check = (id: string, where: string) => {
    if (!index.has(id)) return problem(`blob ${id} of ${where} is not in the incremental store's index`);
    // A blob read already is marked in the index (no set of id strings is held).
    if (!inSample(id, percent) || !index.mark(id)) return;
    reads.push(snapshot.reader.read(id).then(() => undefined, (error: Error) => problem(error.message)));
  };
  try {
    for await (const entry of readListing(snapshot.reader, snapshot.document.listing)) {
      signal?.throwIfAborted();
      for (const id of entry.chunks ?? []) check(id, entry.path);
      while (reads.length >= READS) await reads.shift();
      if (entry.path === manifest.dump?.path) continue; // the dump is not part of the tree's counts
      if (entry.type === 'file') {
        counts.files++;
        counts.bytes += entry.size ?? 0;
      } else if (entry.type === 'dir') counts.dirs++;
      else if (entry.type === 'symlink') counts.symlinks++;
      else counts.hardlinks++;
    }
    await Promise.all(reads);
  } catch (error) {
    if (signal?.aborted) throw error;
    problem(`the snapshot's listing cannot be read: ${(error as Error).message}`);
    return report; // its counts would only repeat that
  } finally {
    await snapshot.close();
  }
  const tree = manifest.tree;
  for (const key of ['files', 'dirs', 'symlinks', 'hardlinks', 'bytes'] as const) {
    if (tree && counts[key] !== tree[key]) problem(`holds ${counts[key]} ${key}, the manifest says ${tree[key]}`);
  }
  return report;
}
