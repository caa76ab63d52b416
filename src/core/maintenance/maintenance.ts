// Magento's maintenance mode, in Magento's own files: `<root>/var/.maintenance.flag` (the shop answers
// 503 while it exists) and `<root>/var/.maintenance.ip` (comma-separated addresses that still get in).
// Magento only checks that the flag exists; Lifeboat writes who set it into it, so a flag left by a job
// that died can be told apart from one an operator set, and cleared.
import { isIP } from 'node:net';
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../shared/errors.js';
import { currentProcess, isDead, type ProcessIdentity } from '../../shared/process-identity.js';

export interface FlagOwner extends ProcessIdentity {
  setBy: 'lifeboat';
  jobId: string;
  since: string;
}

export interface MaintenanceStatus {
  on: boolean;
  /** Set when a Lifeboat job set the flag; absent for a flag set by hand or by Magento. */
  owner?: FlagOwner;
  allow: string[];
}

export const flagPath = (root: string) => path.join(root, 'var', '.maintenance.flag');
export const allowListPath = (root: string) => path.join(root, 'var', '.maintenance.ip');

async function readOwner(root: string): Promise<{ exists: boolean; owner?: FlagOwner }> {
  let text: string;
  try {
    text = await readFile(flagPath(root), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { exists: false };
    throw error;
  }
  try {
    const owner = JSON.parse(text) as FlagOwner;
    return owner?.setBy === 'lifeboat' ? { exists: true, owner } : { exists: true };
  } catch {
    return { exists: true }; // empty (Magento's own) or anything else: set by a person
  }
}

export async function maintenanceStatus(root: string): Promise<MaintenanceStatus> {
  const { exists, owner } = await readOwner(root);
  let allow: string[] = [];
  try {
    allow = (await readFile(allowListPath(root), 'utf8'))
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean);
  } catch {
    // no allow-list
  }
  return { on: exists, ...(owner ? { owner } : {}), allow };
}

/** Validates addresses and ranges (1.2.3.4, ::1, 10.0.0.0/8) for `.maintenance.ip`. */
export function parseAllowList(value: string): string[] {
  const entries = value
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const version = isIP(address);
    const maxBits = version === 4 ? 32 : 128;
    const bitsOk = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= maxBits);
    if (version === 0 || !bitsOk || extra !== undefined) {
      throw new UsageError(`--allow: "${entry}" is not an IP address or range; use e.g. 203.0.113.7,10.0.0.0/8,::1`);
    }
  }
  return entries;
}

/** Turns maintenance on or off by hand (`lifeboat maintenance on|off`), like `bin/magento maintenance:enable`. */
export async function setMaintenance(root: string, on: boolean, allow?: string[]): Promise<void> {
  await mkdir(path.join(root, 'var'), { recursive: true });
  if (on) await writeFile(flagPath(root), '');
  else await unlink(flagPath(root)).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
  if (allow !== undefined) {
    if (allow.length) await writeFile(allowListPath(root), allow.join(','));
    else await unlink(allowListPath(root)).catch(() => undefined);
  }
}

export interface MaintenanceLease {
  /** Whether the flag was already on before the job: then the job leaves it on. */
  wasOn: boolean;
  /** Restores the state from before the job. */
  release(): Promise<void>;
}

/** Puts the shop into maintenance for a job; `release()` restores what was there before. */
export async function enterMaintenance(root: string, jobId: string): Promise<MaintenanceLease> {
  await mkdir(path.join(root, 'var'), { recursive: true });
  const owner: FlagOwner = { setBy: 'lifeboat', jobId, since: new Date().toISOString(), ...currentProcess() };
  try {
    await writeFile(flagPath(root), JSON.stringify(owner) + '\n', { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { wasOn: true, release: async () => undefined };
    throw error;
  }
  return {
    wasOn: false,
    release: async () => {
      // Remove only our own flag: an operator may have taken over maintenance meanwhile.
      const { owner: current } = await readOwner(root);
      if (current?.jobId === jobId && current.pid === owner.pid) await unlink(flagPath(root)).catch(() => undefined);
    },
  };
}

/**
 * Clears a flag left by a Lifeboat job whose process is gone (kill -9, power loss). Returns a line saying
 * so, or undefined when there was nothing to clear. Flags set by hand are never touched.
 */
export async function clearStaleFlag(root: string): Promise<string | undefined> {
  const { owner } = await readOwner(root);
  if (!owner || !isDead(owner)) return undefined;
  await unlink(flagPath(root)).catch(() => undefined);
  return `cleared the maintenance flag left by job ${owner.jobId} (pid ${owner.pid} on ${owner.host}, set ${owner.since}), whose process is gone`;
}
