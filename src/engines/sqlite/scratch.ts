// The scratch database of a restore drill on SQLite: an empty file in a folder of its own under the
// system's temporary folder, never beside the shop's file. The folder records the process that made it,
// so that a drill killed before it removed its folder (kill -9, a power loss) has it removed by the next
// drill on this machine, as a MySQL drill's scratch schema is.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ScratchDatabase } from '../engine.js';
import { openSqlite } from '../../sql/sqlite.js';
import { currentProcess, isDead, type ProcessIdentity } from '../../shared/process-identity.js';

const PREFIX = 'lifeboat-drill-';
/** A drill's folder: the prefix, its 8-hex-digit label, mkdtemp's suffix; nothing else there is touched. */
const DRILL_FOLDER = /^lifeboat-drill-[0-9a-f]{8}-[A-Za-z0-9]{6}$/;
const OWNER = 'owner.json';
/** A folder without its owner (killed between making it and writing the owner) is left this long. */
const UNOWNED_GRACE_MS = 3600_000;

export async function openSqliteScratch(label: string): Promise<ScratchDatabase> {
  await removeAbandoned(tmpdir());
  const dir = await mkdtemp(path.join(tmpdir(), `${PREFIX}${label}-`));
  await writeFile(path.join(dir, OWNER), JSON.stringify(currentProcess()), { mode: 0o600 });
  const file = path.join(dir, 'drill.db');
  openSqlite(file).close();
  return { target: { kind: 'sqlite', path: file }, drop: () => rm(dir, { recursive: true, force: true }) };
}

/** Removes the scratch folders of drills whose process is gone. */
async function removeAbandoned(parent: string): Promise<void> {
  const names = (await readdir(parent).catch(() => [])).filter((name) => DRILL_FOLDER.test(name));
  for (const name of names) {
    const dir = path.join(parent, name);
    if (await abandoned(dir)) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
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
