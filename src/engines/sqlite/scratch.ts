// The scratch database of a restore drill on SQLite: an empty file in a folder of its own under the
// system's temporary folder, never beside the shop's file.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ScratchDatabase } from '../engine.js';
import { openSqlite } from '../../sql/sqlite.js';

export async function openSqliteScratch(label: string): Promise<ScratchDatabase> {
  const dir = await mkdtemp(path.join(tmpdir(), `lifeboat-drill-${label}-`));
  const file = path.join(dir, 'drill.db');
  openSqlite(file).close();
  return { target: { kind: 'sqlite', path: file }, drop: () => rm(dir, { recursive: true, force: true }) };
}
