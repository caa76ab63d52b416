// Taking the cleanup of a committed rollback off the critical path: once the shop is wholly the
// backup's, what is left is deleting what the rollback replaced, the old tree in the work folders (often
// as big as the shop, and as slow to delete as to write) and the shop's old tables (MySQL's
// previous-tables schema). A detached process does that while the command ends and the next job starts.
// The journal names that process from then on, so no job waits for it, and when it dies half-way the
// next job's recovery (or `lifeboat recover`) finishes the cleanup from the journal.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { DatabaseTarget } from '../../engines/target.js';
import { processIdentity } from '../../shared/process-identity.js';
import { inExecutable } from '../../shared/shipped-files.js';
import type { FilesJournal, RollbackJournal } from './journal.js';

/**
 * The first line the detached process is sent once the journal names it, before the database target
 * (JSON, on the next line: a pipe, where no other user can read the password); anything else (the pipe
 * closing early) stops it.
 */
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
 * Starts the detached cleanup of the journal's rollback and hands the journal over to it. false when it
 * could not be started (the caller then cleans up itself), or in the single executable, which has no
 * separate module to run.
 */
export async function cleanUpInBackground(journal: RollbackJournal, target: DatabaseTarget | undefined): Promise<boolean> {
  if (inExecutable) return false;
  const fromSources = import.meta.url.endsWith('.ts');
  const script = fileURLToPath(new URL(fromSources ? '../../../dist/core/rollback/cleanup-process.js' : './cleanup-process.js', import.meta.url));
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [script, journal.file], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    await once(child, 'spawn');
  } catch {
    return false;
  }
  try {
    await journal.update({ process: processIdentity(child.pid as number), cleaningUp: true, step: 'committed: removing what the rollback replaced' });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  child.stdin?.end(`${GO}\n${JSON.stringify(target ?? null)}`);
  child.unref();
  return true;
}
