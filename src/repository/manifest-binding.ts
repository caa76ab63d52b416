// A manifest is bound to its archive: it names the archive (`file`) and its checksum (`archive.sha256`,
// `archive.size`). Only a manifest that names the archive beside it vouches for it. One that is there
// but does not (it names another archive, cannot be read, or is of a format this version does not know)
// must not be taken for "no manifest": an archive without one is foreign and gets only the checks it
// can, so two swapped manifests would turn two checked backups into unchecked ones that verify passes
// and rollback restores. Such an archive is listed with its problem instead, and nothing uses it.
import { OperationError } from '../shared/errors.js';
import { manifestFileName } from './naming.js';
import type { BackupRecord, Manifest } from '../shared/types.js';

/** The fields of a manifest this version reads, when its JSON names the archive; else what is wrong. */
export type ManifestBinding = { fields: Record<string, unknown> } | { problem: string };

/** The format this version of Lifeboat writes and reads. */
const FORMAT_VERSION = 1;

/** A value from the manifest in a one-line message: a plain name as it is, anything else as JSON. */
function shown(value: unknown): string {
  return typeof value === 'string' && /^[\w.-]+$/.test(value) ? value : JSON.stringify(value);
}

/**
 * Whether the manifest `text`, found beside archive `file`, belongs to it: JSON of the known format,
 * with an id, naming `file`. What else it must hold (the checksum) depends on where it is stored.
 */
export function bindManifest(text: string, file: string): ManifestBinding {
  const name = manifestFileName(file);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: `its manifest ${name} cannot be parsed as JSON` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { problem: `its manifest ${name} is not a JSON object` };
  const fields = value as Record<string, unknown>;
  if (fields.formatVersion === undefined) return { problem: `its manifest ${name} has no formatVersion` };
  if (fields.formatVersion !== FORMAT_VERSION) {
    return { problem: `its manifest ${name} has formatVersion ${shown(fields.formatVersion)}, which this version of Lifeboat does not know` };
  }
  if (typeof fields.file !== 'string') return { problem: `its manifest ${name} names no archive` };
  if (fields.file !== file) return { problem: `its manifest ${name} names another archive (${shown(fields.file)})` };
  if (typeof fields.id !== 'string') return { problem: `its manifest ${name} has no id` };
  return { fields };
}

/** The manifest whose `fields` bindManifest accepted, when they hold the checksum to check the archive against. */
export function checksummedManifest(fields: Record<string, unknown>, file: string): { manifest: Manifest } | { problem: string } {
  const archive = fields.archive as Record<string, unknown> | undefined;
  if (typeof archive?.sha256 !== 'string' || typeof archive.size !== 'number') {
    return { problem: `its manifest ${manifestFileName(file)} has no archive.sha256 and archive.size` };
  }
  return { manifest: fields as unknown as Manifest };
}

/** The problem of a manifest that is there but cannot be read (permissions, a folder of that name). */
export function unreadableManifest(file: string, error: unknown): string {
  const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return `its manifest ${manifestFileName(file)} cannot be read (${reason})`;
}

/** A record for an archive whose manifest does not vouch for it: named by its file, as a foreign one. */
export function unboundRecord(record: Omit<BackupRecord, 'id' | 'origin' | 'problem'>, problem: string): BackupRecord {
  return { ...record, id: record.file, origin: 'foreign', problem };
}

/** What the user can do about a manifest that does not belong to its archive. */
export function manifestRemedy(record: BackupRecord): string {
  // In the bucket an archive object without a manifest is never listed, so deleting the manifest there
  // would hide the archive rather than make it a foreign one.
  const inStore = record.locations !== undefined && !record.locations.includes('local');
  return inStore
    ? `put the archive's own manifest back in off-site storage, or remove the backup with "lifeboat delete ${record.file}"`
    : `put the archive's own manifest back, or delete that manifest to use the archive as a foreign one (without a checksum)`;
}

/**
 * Refuses, before anything is read or changed, to `action` (e.g. "roll it back") an archive its
 * manifest does not vouch for: one line saying what is wrong and what to do.
 */
export function requireBoundManifest(record: BackupRecord, action: string): void {
  if (!record.problem) return;
  throw new OperationError(`${record.file}: ${record.problem}; refusing to ${action}, nothing was changed; ${manifestRemedy(record)}`);
}
