// The list of backups: the archives in the backup folder, each vouched for by its manifest when
// Lifeboat made it. Like Magento's grid, the folder is the source of truth, so archives dropped in by
// hand or made by Magento are listed too (without a checksum to verify against). A manifest that is
// there but does not belong to its archive is listed as the archive's problem (manifest-binding.ts).
// The folder is read through the store interface (a shallow listing: work folders inside it are not
// walked); a path is taken as the local folder there.
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { LocalStore } from '../stores/local.js';
import { ObjectNotFoundError, type ObjectStore } from '../stores/store.js';
import { UsageError } from '../shared/errors.js';
import { bindManifest, checksummedManifest, unboundRecord, unreadableManifest } from './manifest-binding.js';
import { MANIFEST_SUFFIX, manifestFileName, parseArchiveFileName } from './naming.js';
import { backupTypeOf, type BackupRecord, type Manifest } from '../shared/types.js';

/** The backup folder as a store: `folder` itself, or the local folder at that path. */
export function folderStore(folder: ObjectStore | string): ObjectStore {
  return typeof folder === 'string' ? new LocalStore(folder) : folder;
}

/** The manifest beside an archive: its own, or why the one there does not vouch for the archive. */
type ManifestFound = { manifest: Manifest } | { problem: string };

/**
 * Reads the manifest beside archive `file`; undefined when there is none (a foreign archive, or one
 * deleted since the folder was read). Something else under its name (a folder) is a problem.
 */
async function readManifest(folder: ObjectStore, file: string): Promise<ManifestFound | undefined> {
  let text: string;
  try {
    text = (await buffer(await folder.get(manifestFileName(file)))).toString('utf8');
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return undefined;
    return { problem: unreadableManifest(file, error) };
  }
  const bound = bindManifest(text, file);
  return 'problem' in bound ? bound : checksummedManifest(bound.fields, file);
}

/** The record a manifest vouches for; `size` is the archive's size where it is stored. */
export function recordOf(manifest: Manifest, size: number): BackupRecord {
  return {
    id: manifest.id,
    file: manifest.file,
    type: backupTypeOf(manifest.type) ?? manifest.type, // earlier versions wrote Magento's words
    name: manifest.name,
    time: manifest.time,
    size,
    sha256: manifest.archive.sha256,
    origin: 'lifeboat',
    manifest,
  };
}

/**
 * Every archive in the folder, newest first; one whose manifest is there but does not belong to it is
 * listed with its `problem`. Partial files and orphan manifests are left out.
 */
export async function listFolderBackups(folder: ObjectStore): Promise<BackupRecord[]> {
  const records: BackupRecord[] = [];
  for (const { key: file, size } of await folder.list('', { shallow: true })) {
    if (file.endsWith(MANIFEST_SUFFIX)) continue;
    const parsed = parseArchiveFileName(file);
    if (!parsed) continue;
    const found = await readManifest(folder, file);
    const named = { file, type: parsed.type, name: parsed.name, time: parsed.time, size };
    if (!found) records.push({ ...named, id: file, origin: 'foreign' });
    else if ('problem' in found) records.push(unboundRecord(named, found.problem));
    else records.push(recordOf(found.manifest, size));
  }
  // Newest first; within one second, the later finish first, then by file name for a stable order.
  return records.sort(
    (a, b) =>
      b.time - a.time ||
      (b.manifest?.finishedAt ?? '').localeCompare(a.manifest?.finishedAt ?? '') ||
      a.file.localeCompare(b.file),
  );
}

/** The backups in the backup folder at `backupDir` (see listFolderBackups). */
export function listBackups(backupDir: string): Promise<BackupRecord[]> {
  return listFolderBackups(folderStore(backupDir));
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
  const prefixed = records.filter((r) => r.origin === 'lifeboat' && r.id.startsWith(idOrFile));
  const MIN_PREFIX = 4;
  if (idOrFile.length >= MIN_PREFIX && prefixed.length === 1) return prefixed[0];
  // Say why a prefix that starts some id was not taken, rather than that no such backup exists.
  const ids = prefixed.slice(0, 3).map((r) => r.id).join(', ') + (prefixed.length > 3 ? ', ...' : '');
  if (prefixed.length > 0 && idOrFile.length < MIN_PREFIX) {
    throw new UsageError(`"${idOrFile}" is too short for an id prefix: give at least ${MIN_PREFIX} characters (ids starting with it: ${ids})`);
  }
  if (prefixed.length > 1) throw new UsageError(`"${idOrFile}" starts ${prefixed.length} backup ids (${ids}); give more characters of the one you mean`);
  const short = idOrFile.length < MIN_PREFIX ? ` (an id prefix needs at least ${MIN_PREFIX} characters)` : '';
  throw new UsageError(`no backup "${idOrFile}" in ${where}${short}; run "lifeboat list" to see the ids and files`);
}
