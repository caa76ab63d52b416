// The list of backups when off-site storage is configured: the backup folder's and the store's, merged
// by archive file name, each with where it is (`locations`). In the store a backup counts only when its
// manifest is there and its archive object has the size the manifest says: an upload that failed
// half-way is never listed.
import type { Readable } from 'node:stream';
import type { ObjectStore } from '../stores/store.js';
import { listBackups, pickBackup, recordOf } from './catalog.js';
import { MANIFEST_SUFFIX, parseArchiveFileName } from './naming.js';
import type { BackupRecord, Manifest } from './types.js';

async function readText(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The complete backups in the store, newest first. */
export async function listOffsiteBackups(store: ObjectStore): Promise<BackupRecord[]> {
  const objects = await store.list('');
  const sizes = new Map(objects.map((o) => [o.key, o.size]));
  const records: BackupRecord[] = [];
  for (const object of objects) {
    if (!object.key.endsWith(MANIFEST_SUFFIX)) continue;
    const file = object.key.slice(0, -MANIFEST_SUFFIX.length);
    if (!parseArchiveFileName(file)) continue;
    let manifest: Manifest;
    try {
      manifest = JSON.parse(await readText(await store.get(object.key))) as Manifest;
    } catch {
      continue; // unreadable: not a backup we can vouch for
    }
    const storedSize = manifest.stored?.size ?? manifest.archive?.size;
    if (manifest.formatVersion !== 1 || manifest.file !== file || sizes.get(file) !== storedSize) continue;
    records.push({ ...recordOf(manifest, manifest.archive.size), locations: ['s3'] });
  }
  return records;
}

/** The backup folder's backups and, when a store is given, the store's, merged and newest first. */
export async function listAllBackups(backupDir: string, store: ObjectStore | undefined): Promise<BackupRecord[]> {
  const local = await listBackups(backupDir);
  if (!store) return local;
  const remote = new Map((await listOffsiteBackups(store)).map((r) => [r.file, r]));
  const merged: BackupRecord[] = local.map((record) => {
    const copy = remote.get(record.file);
    remote.delete(record.file);
    // The same backup in both places (same id), or a local archive only.
    const both = copy && copy.id === record.id;
    return { ...record, locations: both ? ['local', 's3'] : ['local'] };
  });
  merged.push(...remote.values());
  return merged.sort(
    (a, b) => b.time - a.time || (b.manifest?.finishedAt ?? '').localeCompare(a.manifest?.finishedAt ?? '') || a.file.localeCompare(b.file),
  );
}

/** Finds a backup by id, id prefix or file name, in the backup folder and the store. */
export async function findAnyBackup(backupDir: string, store: ObjectStore | undefined, idOrFile: string): Promise<BackupRecord> {
  const where = store ? `${backupDir} or ${store.location}` : backupDir;
  return pickBackup(await listAllBackups(backupDir, store), idOrFile, where);
}
