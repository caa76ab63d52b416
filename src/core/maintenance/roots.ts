// Maintenance mode on several app servers: each web node reads Magento's flag from its own copy (or
// mount) of the shop root, so the flag is written to every root in LIFEBOAT_MAINTENANCE_ROOTS as well as
// LIFEBOAT_ROOT. All or nothing: when one root cannot be changed, the roots already changed are put back
// as they were, so no node is left serving while the others are in maintenance (or the reverse).
import { readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Settings } from '../../config/settings.js';
import { OperationError, UsageError } from '../../shared/errors.js';
import { allowListPath, clearStaleFlag, enterMaintenance, flagPath, maintenanceStatus, setMaintenance, type MaintenanceLease } from './maintenance.js';

/** LIFEBOAT_ROOT first, then the other roots, each once. */
export function maintenanceRootsOf(settings: Pick<Settings, 'root' | 'maintenanceRoots'>): string[] {
  return [...new Set([settings.root, ...(settings.maintenanceRoots ?? [])].map((root) => path.resolve(root)))];
}

/** Refuses before changing anything when a root is missing (an unmounted share would get a local flag). */
async function checkRoots(roots: string[]): Promise<void> {
  if (roots.length < 2) return;
  for (const root of roots) {
    const info = await stat(root).catch(() => undefined);
    if (!info?.isDirectory()) {
      throw new UsageError(`maintenance root ${root} does not exist or is not a folder; mount it, or remove it from LIFEBOAT_MAINTENANCE_ROOTS`);
    }
  }
}

/** What a root's flag and allow-list files held, to put them back (null: the file did not exist). */
interface RootSnapshot {
  root: string;
  flag: string | null;
  allow: string | null;
}

async function contentOrNull(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

async function putBack(file: string, content: string | null): Promise<void> {
  if (content === null) await unlink(file).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
  else await writeFile(file, content);
}

/** Puts the snapshots back; returns a phrase for the roots that could not be restored ('' when all were). */
async function restore(snapshots: RootSnapshot[]): Promise<string> {
  const failed: string[] = [];
  for (const { root, flag, allow } of snapshots) {
    try {
      await putBack(flagPath(root), flag);
      await putBack(allowListPath(root), allow);
    } catch (error) {
      failed.push(`${root} (${(error as Error).message})`);
    }
  }
  return failed.join(', ');
}

function undoneMessage(failedRoot: string, action: string, error: unknown, others: number, notRestored: string): string {
  const message = `could not turn maintenance ${action} on ${failedRoot}: ${(error as Error).message}`;
  if (notRestored) return `${message}; could not put back ${notRestored}: check them by hand`;
  return others ? `${message}; the other roots were put back as they were` : `${message}; nothing was changed`;
}

/** `lifeboat maintenance on|off` on every root, all or nothing. */
export async function setMaintenanceOnAll(roots: string[], on: boolean, allow?: string[]): Promise<void> {
  await checkRoots(roots);
  const snapshots: RootSnapshot[] = [];
  for (const root of roots) {
    try {
      snapshots.push({ root, flag: await contentOrNull(flagPath(root)), allow: await contentOrNull(allowListPath(root)) });
      await setMaintenance(root, on, allow);
    } catch (error) {
      const notRestored = await restore(snapshots);
      throw new OperationError(undoneMessage(root, on ? 'on' : 'off', error, snapshots.filter((s) => s.root !== root).length, notRestored));
    }
  }
}

/** A job's maintenance window on every root: on everywhere or nowhere; `release()` restores each root. */
export async function enterMaintenanceOnAll(roots: string[], jobId: string): Promise<MaintenanceLease> {
  await checkRoots(roots);
  const leases: MaintenanceLease[] = [];
  const releaseAll = async () => {
    for (const lease of leases) await lease.release();
  };
  for (const root of roots) {
    try {
      leases.push(await enterMaintenance(root, jobId));
    } catch (error) {
      await releaseAll();
      throw new OperationError(undoneMessage(root, 'on', error, leases.length, ''));
    }
  }
  // Leases of roots that were already on release nothing: an operator's flag stays.
  return { wasOn: leases.every((lease) => lease.wasOn), release: releaseAll };
}

/**
 * Clears flags left by dead Lifeboat jobs on every root; a line for each, and for each root that could
 * not be checked (a job without maintenance mode must not fail for a broken web node's mount).
 */
export async function clearStaleFlagsOnAll(roots: string[]): Promise<string[]> {
  const lines: string[] = [];
  for (const root of roots) {
    const line = await clearStaleFlag(root).catch((error: Error) => `could not check the maintenance flag: ${error.message}`);
    if (line) lines.push(roots.length > 1 ? `${root}: ${line}` : line);
  }
  return lines;
}

/** Whether the flag is on, root by root. */
export async function maintenanceOnByRoot(roots: string[]): Promise<{ root: string; on: boolean }[]> {
  return Promise.all(roots.map(async (root) => ({ root, on: (await maintenanceStatus(root)).on })));
}
