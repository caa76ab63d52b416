// Whether a rollback of chosen paths can read them from where the backup's file index places them
// (archive/indexed-members.ts) instead of reading the archive from its start: every chosen path must be
// a regular file whose line in the index records its place, and the index must be the one the manifest
// names. Folders (their members are found by a full read), hard links, symlinks, indexes written before
// places were recorded and Magento's archives (no index) are read from the start as before.
import { parseFileIndex } from '../../archive/file-index.js';
import { isLocatedFile, type LocatedFile } from '../../archive/indexed-members.js';
import type { BackupRecord } from '../../shared/types.js';
import { readCheckedIndex } from '../verify/file-index-check.js';

/** The index entries of the chosen paths, in archive order, when all of them can be read from their place; else undefined. */
export async function locatedChosenFiles(archiveDir: string, record: BackupRecord, chosen: readonly string[]): Promise<LocatedFile[] | undefined> {
  const index = record.manifest?.tree?.index;
  if (!index) return undefined;
  return locatedIn(record, await readCheckedIndex(archiveDir, index), chosen);
}

/** As locatedChosenFiles, from the index's bytes as checked (checkIndexBytes) wherever they came from. */
export async function locatedIn(record: BackupRecord, checked: { bytes: Buffer } | { problem: string }, chosen: readonly string[]): Promise<LocatedFile[] | undefined> {
  const index = record.manifest?.tree?.index;
  if (!index || record.manifest?.incremental) return undefined;
  if ('problem' in checked) return undefined; // the full read then checks the archive itself
  const entries = await parseFileIndex(index.file, checked.bytes).catch(() => undefined);
  if (!entries) return undefined;
  const wanted = new Set(chosen);
  const located: LocatedFile[] = [];
  for (const entry of entries) {
    if (!wanted.has(entry.path)) continue;
    if (!isLocatedFile(entry)) return undefined;
    located.push(entry);
  }
  // A path the index lacks is reported by the full read, as it is for a backup without an index.
  return located.length === wanted.size ? located : undefined;
}
