// The list of backups: the archives in the backup folder, each vouched for by its manifest when
// Lifeboat made it. Like Magento's grid, the folder is the source of truth, so archives dropped in by
// hand or made by Magento are listed too (without a checksum to verify against).
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from './errors.js';
import { MANIFEST_SUFFIX, manifestFileName, parseArchiveFileName, PARTIAL_SUFFIX } from './naming.js';
import type { BackupRecord, Manifest } from './types.js';

async function readManifest(file: string): Promise<Manifest | undefined> {
  try {
    const manifest = JSON.parse(await readFile(file, 'utf8')) as Manifest;
    return manifest.formatVersion === 1 && typeof manifest.id === 'string' ? manifest : undefined;
  } catch {
    return undefined; // unreadable or half-written by a foreign tool: the archive is treated as foreign
  }
}

/** The record a manifest vouches for; `size` is the archive's size where it is stored. */
export function recordOf(manifest: Manifest, size: number): BackupRecord {
  return {
    id: manifest.id,
    file: manifest.file,
    type: manifest.type,
    name: manifest.name,
    time: manifest.time,
    size,
    sha256: manifest.archive.sha256,
    origin: 'lifeboat',
    manifest,
  };
}

/** Every usable backup in the folder, newest first. Partial files and orphan manifests are left out. */
export async function listBackups(backupDir: string): Promise<BackupRecord[]> {
  let entries: string[];
  try {
    entries = await readdir(backupDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const names = new Set(entries);
  const records: BackupRecord[] = [];
  for (const file of entries) {
    if (file.endsWith(PARTIAL_SUFFIX) || file.endsWith(MANIFEST_SUFFIX)) continue;
    const parsed = parseArchiveFileName(file);
    if (!parsed) continue;
    const info = await stat(path.join(backupDir, file)).catch(() => undefined);
    if (!info?.isFile()) continue;
    const manifest = names.has(manifestFileName(file)) ? await readManifest(path.join(backupDir, manifestFileName(file))) : undefined;
    if (manifest && manifest.file === file) {
      records.push(recordOf(manifest, info.size));
    } else {
      records.push({ id: file, file, type: parsed.type, name: parsed.name, time: parsed.time, size: info.size, origin: 'foreign' });
    }
  }
  // Newest first; within one second, the later finish first, then by file name for a stable order.
  return records.sort(
    (a, b) =>
      b.time - a.time ||
      (b.manifest?.finishedAt ?? '').localeCompare(a.manifest?.finishedAt ?? '') ||
      a.file.localeCompare(b.file),
  );
}

/** Finds a backup by its id or its archive's file name (a path to it in the folder works too). */
export async function findBackup(backupDir: string, idOrFile: string): Promise<BackupRecord> {
  return pickBackup(await listBackups(backupDir), idOrFile, backupDir);
}

/** The record among `records` that `idOrFile` names (id, unique id prefix of 4+, or file name). */
export function pickBackup(records: BackupRecord[], idOrFile: string, where: string): BackupRecord {
  const wanted = path.basename(idOrFile);
  const found = records.find((r) => r.id === idOrFile || r.file === wanted);
  if (found) return found;
  const prefixed = records.filter((r) => r.origin === 'lifeboat' && r.id.startsWith(idOrFile) && idOrFile.length >= 4);
  if (prefixed.length === 1) return prefixed[0];
  throw new UsageError(`no backup "${idOrFile}" in ${where}; run "lifeboat list" to see the ids and files`);
}
