// A rollback of one of Lifeboat's file archives keeps the shop's files that are still the very files the
// backup read: the archive's index records the inode and ctime of each (archive/file-index.ts), and a
// live file with both unchanged is hard-linked into the staging without being read or compared
// (archive/live-identity.ts). The index must be the one the manifest names; without it (older backups,
// Magento's archives, an index gone missing) every file is compared with its member as before.
import { indexText } from '../../archive/file-index.js';
import { FileIndexCursor } from '../../archive/index-cursor.js';
import type { BackupRecord } from '../../shared/types.js';
import { readCheckedIndex } from '../verify/file-index-check.js';

/** The archive's index, to be read alongside its extraction; undefined when there is none to trust. */
export async function indexCursorOf(archiveDir: string, record: BackupRecord): Promise<FileIndexCursor | undefined> {
  const index = record.manifest?.tree?.index;
  if (!index || record.manifest?.incremental) return undefined;
  const checked = await readCheckedIndex(archiveDir, index);
  if ('problem' in checked) return undefined;
  const text = await indexText(checked.bytes).catch(() => undefined);
  return text === undefined ? undefined : new FileIndexCursor(text);
}
