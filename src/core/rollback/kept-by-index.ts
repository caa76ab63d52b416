// A rollback of one of Lifeboat's file archives keeps the shop's files that are still the very files the
// backup read: the archive's index records the inode and ctime of each (archive/file-index.ts), and a
// live file with both unchanged is hard-linked into the staging without being read or compared
// (archive/live-identity.ts). The index must be the one the manifest names; without it (older backups,
// Magento's archives, an index gone missing) every file is compared with its member as before. An index
// that also describes every folder and symlink lets the rollback make the tree from it and read only the
// changed files from the archive (archive/members-from-index.ts).
import { indexText, parseIndexLine, type FileIndexEntry } from '../../archive/file-index.js';
import { FileIndexCursor } from '../../archive/index-cursor.js';
import type { BackupRecord } from '../../shared/types.js';
import { readCheckedIndex } from '../verify/file-index-check.js';

/** The archive's index, decompressed; undefined when there is none to trust. */
export async function checkedIndexText(archiveDir: string, record: BackupRecord): Promise<string | undefined> {
  const index = record.manifest?.tree?.index;
  if (!index || record.manifest?.incremental) return undefined;
  const checked = await readCheckedIndex(archiveDir, index);
  if ('problem' in checked) return undefined;
  return await indexText(checked.bytes).catch(() => undefined);
}

/** The index, to be read alongside the archive's extraction. */
export const indexCursorOf = (text: string) => new FileIndexCursor(text);

/** The index's entries, in archive order (its lines checked against the manifest parse). */
export function* indexEntries(text: string): Generator<FileIndexEntry> {
  for (const line of text.split('\n')) if (line !== '') yield parseIndexLine(line, 'a line of the file index is not an index entry');
}
