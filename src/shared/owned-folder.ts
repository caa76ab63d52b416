// Scratch folders that record the process that made them (`owner.json`), so that one whose process is
// gone (kill -9, a power loss) is removed by the next user of the same place: a restore drill's SQLite
// scratch database and its scratch tree.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { currentProcess, isDead, type ProcessIdentity } from './process-identity.js';

const OWNER = 'owner.json';
/** A folder without its owner (killed between making it and writing the owner) is left this long. */
const UNOWNED_GRACE_MS = 3600_000;

/** Makes `<parent>/<prefix>XXXXXX` owned by this process. */
export async function makeOwnedFolder(parent: string, prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(parent, prefix));
  await writeFile(path.join(dir, OWNER), JSON.stringify(currentProcess()), { mode: 0o600 });
  return dir;
}

const removeFolder = (dir: string) => rm(dir, { recursive: true, force: true });

/**
 * Removes the folders in `parent` whose names `pattern` matches and whose process is gone, with `remove`
 * (a tree restored with read-only folders needs more than rm); nothing else there is touched.
 */
export async function removeAbandonedFolders(parent: string, pattern: RegExp, remove: (dir: string) => Promise<void> = removeFolder): Promise<void> {
  const names = (await readdir(parent).catch(() => [])).filter((name) => pattern.test(name));
  for (const name of names) {
    const dir = path.join(parent, name);
    if (await abandoned(dir)) await remove(dir).catch(() => undefined);
  }
}

async function abandoned(dir: string): Promise<boolean> {
  try {
    return isDead(JSON.parse(await readFile(path.join(dir, OWNER), 'utf8')) as ProcessIdentity);
  } catch {
    const made = await stat(dir).catch(() => undefined);
    return made !== undefined && made.isDirectory() && Date.now() - made.mtimeMs > UNOWNED_GRACE_MS;
  }
}
