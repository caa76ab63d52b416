// What a database restore will write on the server, told before it writes anything (the engine finds it,
// RestoreOptions.beforeWrite): with the binary log on, the whole load goes into it and every replica
// replays it, which the user should hear before it starts; and when the server runs on this machine, its
// disks are checked for the room the staging copy and the binary log need. A remote server's disks are
// not here: nothing is checked or claimed about them.
import { stat } from 'node:fs/promises';
import { RestoreRefusedError, type RestoreFootprint } from '../../engines/engine.js';
import { OperationError } from '../../shared/errors.js';
import { requireFreeSpace } from '../backup/free-space.js';
import { humanBytes } from '../../shared/units.js';

/** One folder the restore writes into, and about how much. */
interface SpaceNeed {
  dir: string;
  bytes: number;
  what: string;
}

export function binaryLogNotice(footprint: RestoreFootprint): string {
  const size = footprint.loadBytes !== undefined ? `about ${humanBytes(footprint.loadBytes)}` : 'about the size of the uncompressed dump';
  return `the binary log is on: this rollback writes ${size} to it (the uncompressed dump), and replicas will lag behind by about the time the load takes`;
}

function spaceNeeds(footprint: RestoreFootprint): SpaceNeed[] {
  const { local } = footprint;
  if (!local) return [];
  const needs: SpaceNeed[] = [{ dir: local.dataDir, bytes: footprint.stagingBytes, what: 'the staging copy of the tables' }];
  if (local.binaryLogDir !== undefined) {
    needs.push({ dir: local.binaryLogDir, bytes: footprint.loadBytes ?? footprint.stagingBytes, what: 'the binary log' });
  }
  return needs;
}

/**
 * Needs on one filesystem add up (the binary log usually sits in the data folder). A folder that cannot be
 * found here (a server in a container, whose paths are its own) is left out: its disk is not known here.
 */
async function byFilesystem(needs: SpaceNeed[]): Promise<SpaceNeed[]> {
  const merged = new Map<number, SpaceNeed>();
  for (const need of needs) {
    const device = await stat(need.dir).then(
      (info) => info.dev,
      () => undefined,
    );
    if (device === undefined) continue;
    const same = merged.get(device);
    merged.set(device, same ? { dir: same.dir, bytes: same.bytes + need.bytes, what: `${same.what} with ${need.what}` } : need);
  }
  return [...merged.values()];
}

/** Prints the binary log notice and refuses a restore the server's disks here have no room for. */
export async function checkRestoreFootprint(footprint: RestoreFootprint, onNotice?: (line: string) => void): Promise<void> {
  if (footprint.binaryLog) onNotice?.(binaryLogNotice(footprint));
  for (const need of await byFilesystem(spaceNeeds(footprint))) {
    try {
      await requireFreeSpace(need.dir, need.bytes, need.what, 'free some space there; nothing was changed');
    } catch (error) {
      // Refused before writing: not an archive fault, so the rollback reports it without verifying the archive.
      if (error instanceof OperationError) throw new RestoreRefusedError(error.message, { cause: error });
      throw error;
    }
  }
}
