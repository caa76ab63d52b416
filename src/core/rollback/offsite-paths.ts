// `rollback --path FILE` of a file backup that is only in off-site storage: instead of fetching the whole
// archive, the file index is read from the bucket (decrypted, checked against the manifest's size and
// sha256) and each chosen file is read by a ranged read of the bucket's copy from the frame that holds
// it (archive/indexed-members.ts); an encrypted copy is decrypted from the 1 MiB chunk holding that
// offset on, each chunk authenticated. Undefined when the files cannot be read that way (a folder among
// the paths, no index or one without places, an incremental backup): the caller then fetches it whole.
import type { ArchiveOpener } from '../../archive/indexed-members.js';
import type { DatabaseTarget } from '../../engines/target.js';
import type { Repository } from '../../repository/repository.js';
import type { BackupRecord } from '../../shared/types.js';
import type { ShopLayout } from '../tree-scope.js';
import { checkIndexBytes } from '../verify/file-index-check.js';
import { locatedIn } from './indexed-paths.js';
import { rollbackTree, type TreeRollbackOptions, type TreeRollbackResult } from './tree.js';

export async function rollbackPathsFromStore(
  repository: Repository,
  found: BackupRecord,
  shop: ShopLayout,
  target: DatabaseTarget | undefined,
  paths: string[],
  options: TreeRollbackOptions,
): Promise<TreeRollbackResult | undefined> {
  const { record, size, open } = await repository.openArchive(found);
  const index = record.manifest?.tree?.index;
  if (!index || record.manifest?.incremental) return undefined;
  const files = await locatedIn(record, checkIndexBytes(await repository.offsiteFileIndex(record), index), paths);
  if (!files) return undefined;
  const fromOffset: ArchiveOpener = (offset) => open({ start: offset, end: size - 1 });
  return rollbackTree(record, shop, target, { ...options, paths, indexed: { files, open: fromOffset } });
}
