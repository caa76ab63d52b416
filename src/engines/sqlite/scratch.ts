// The scratch database of a restore drill on SQLite: an empty file in a folder of its own under the
// system's temporary folder, never beside the shop's file. The folder records the process that made it,
// so that a drill killed before it removed its folder (kill -9, a power loss) has it removed by the next
// drill on this machine, as a MySQL drill's scratch schema is.
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ScratchDatabase } from '../engine.js';
import { openSqlite } from '../../sql/sqlite.js';
import { makeOwnedFolder, removeAbandonedFolders } from '../../shared/owned-folder.js';

const PREFIX = 'lifeboat-drill-';
/** A drill's folder: the prefix, its 8-hex-digit label, mkdtemp's suffix; nothing else there is touched. */
const DRILL_FOLDER = /^lifeboat-drill-[0-9a-f]{8}-[A-Za-z0-9]{6}$/;

export async function openSqliteScratch(label: string): Promise<ScratchDatabase> {
  await removeAbandonedFolders(tmpdir(), DRILL_FOLDER);
  const dir = await makeOwnedFolder(tmpdir(), `${PREFIX}${label}-`);
  const file = path.join(dir, 'drill.db');
  openSqlite(file).close();
  return { target: { kind: 'sqlite', path: file }, drop: () => rm(dir, { recursive: true, force: true }) };
}
