// Taking the removal of a committed rollback's work folders off the critical path: once the shop is
// wholly the backup's, what is left is deleting the replaced files (the old tree, often as big as the
// shop, and as slow to delete as to write), which a detached process does while the command ends and the
// next job starts. The journal names that process from then on, so no job waits for it, and when it dies
// half-way the next job's recovery (or `lifeboat recover`) finishes the removal from the journal.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { processIdentity } from '../../shared/process-identity.js';
import { inExecutable } from '../../shared/shipped-files.js';
import type { FilesJournal, RollbackJournal } from './journal.js';

/** What the detached process is told once the journal names it; anything else (the pipe closing) stops it. */
export const GO = 'go';

/**
 * Whether removing the work folders leaves the shop's folders as they are: not when a work folder is
 * inside a folder the rollback swapped (a symlinked media folder or a mount point is staged inside
 * itself), whose mtime the removal would change after the rollback set it.
 */
export function removalLeavesShopAlone(files: FilesJournal): boolean {
  return files.units.every((unit) => files.units.every((other) => !unit.work.startsWith(other.live + '/')));
}

/**
 * Starts the detached removal of the journal's work folders and hands the journal over to it. false
 * when it could not be started (the caller then removes them itself), or in the single executable,
 * which has no separate module to run.
 */
export async function removeInBackground(journal: RollbackJournal): Promise<boolean> {
  if (inExecutable) return false;
  const fromSources = import.meta.url.endsWith('.ts');
  const script = fileURLToPath(new URL(fromSources ? '../../../dist/core/rollback/work-folder-removal.js' : './work-folder-removal.js', import.meta.url));
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [script, journal.file], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    await once(child, 'spawn');
  } catch {
    return false;
  }
  try {
    await journal.update({ process: processIdentity(child.pid as number), removingWorkFolders: true, step: 'committed: removing the replaced files' });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  child.stdin?.end(GO);
  child.unref();
  return true;
}
