// The backup a command names by id or file name, for the commands that act on one (restore, rollback,
// drill): looked up in the backup folder and off-site storage (a store that cannot be reached is a
// warning: the folder's backups stay reachable), and refused in one line when its manifest is not its
// own, before the command asks anything (the answer would not matter). The core refuses it again before
// its job: this check only spares the question.
import type { Settings } from '../config/settings.js';
import type { BackupRecord } from '../shared/types.js';
import { log } from '../shared/log.js';

/** The backup `id` names, refused when its manifest is not its own (`action`: what it would do, e.g. "roll it back"). */
export async function findBoundBackup(config: Settings, id: string, action: string): Promise<BackupRecord> {
  const [{ Repository }, { requireBoundManifest }] = await Promise.all([import('../repository/repository.js'), import('../repository/manifest-binding.js')]);
  const repository = Repository.open(config);
  const record = await repository.find(id, { onStoreUnreachable: log.warning }).finally(() => repository.close());
  requireBoundManifest(record, action);
  return record;
}

/** The newest backup that `accept` takes among those whose manifest is their own; undefined when there is none. */
export async function newestBoundBackup(config: Settings, accept: (record: BackupRecord) => boolean): Promise<BackupRecord | undefined> {
  const { Repository } = await import('../repository/repository.js');
  const repository = Repository.open(config);
  const records = await repository.list({ onStoreUnreachable: log.warning }).finally(() => repository.close());
  return records.find((record) => !record.problem && accept(record));
}
