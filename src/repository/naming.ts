// Archive file names, in Magento's scheme so that archives stay recognisable to people and to Magento:
//   <unix time>_<type>[_<name>].<ext>      e.g. 1732443600_db_before_upgrade.sql.gz
import { INPUT_LIMITS, requireMaxLength } from '../shared/text-limits.js';
import { backupTypeOf, type BackupType, type CompressionName } from '../shared/types.js';
import { PARTIAL_SUFFIX } from '../archive/atomic-file.js';
import type { Codec } from '../archive/codec/codec.js';
import { codecOfExtension, DEFAULT_CODEC, extensionPattern } from '../archive/codec/registry.js';

export { PARTIAL_SUFFIX };

/** Magento keeps letters, digits and spaces, turns spaces into `_`, and cuts at 50 characters. */
export function filterBackupName(raw: string): string {
  return raw
    .replace(/[^0-9a-zA-Z ]/g, '')
    .trim()
    .replace(/ +/g, '_')
    .slice(0, INPUT_LIMITS.backupName);
}

/**
 * A name a user gave (CLI --name, the API's name): refused beyond Magento's 50 characters rather than cut
 * silently, so what the user typed is what the archive is called (less what the filter drops).
 */
export function requireBackupName(name: string | undefined): void {
  if (name) requireMaxLength('name', name, INPUT_LIMITS.backupName);
}

/** The extension of an archive of `type` written with `codec`: the codec's for a dump or for a tree. */
export function extensionFor(type: BackupType, codec: Codec = DEFAULT_CODEC): string {
  return type === 'db' ? codec.extensions.db : codec.extensions.tree;
}

/** Magento's word for each type in a file name (its "System Backup" is a snapshot). */
const FILE_WORDS: Readonly<Record<BackupType, string>> = { db: 'db', media: 'media', system: 'snapshot', nomedia: 'nomedia', code: 'filesystem_code' };

/**
 * The extension of an incremental backup's file: its snapshot (a small JSON document naming the tree's
 * listing in the content store), where a full backup has its archive.
 */
export const INCREMENTAL_EXTENSION = 'incremental.json';

/** Whether `file` is an incremental backup's snapshot file (its data is in the content store). */
export const isIncrementalFile = (file: string): boolean => file.endsWith(`.${INCREMENTAL_EXTENSION}`);

export function archiveFileName(time: number, type: BackupType, name: string, codec: Codec = DEFAULT_CODEC, incremental = false): string {
  return `${time}_${FILE_WORDS[type]}${name ? `_${name}` : ''}.${incremental ? INCREMENTAL_EXTENSION : extensionFor(type, codec)}`;
}

export interface ParsedArchiveName {
  time: number;
  type: BackupType;
  name: string;
  /** The codec's name by the extension (gzip for .gz/.tgz), 'none' for the plain .sql that Magento writes despite its documentation. */
  compression: CompressionName | 'none';
  /** An incremental backup's snapshot file (its blobs are zstd-compressed). */
  incremental?: true;
}

const DB_EXTENSION = new RegExp(`^(?:${extensionPattern('db')})$`);

// Magento: <time>_<type>[_<name>].(sql|sql.gz|gz|tgz), and the extensions of the other codecs;
// `filesystem` archives carry `_code`/`_media`.
const ARCHIVE_NAME = new RegExp(
  `^(\\d{9,11})_(db|snapshot|nomedia|media|filesystem_code|filesystem_media)(?:_([0-9A-Za-z_]+))?\\.(${extensionPattern('db')}|${extensionPattern('tree')}|incremental\\.json)$`,
);

/** Parses an archive file name, or returns undefined for anything that is not one. */
export function parseArchiveFileName(file: string): ParsedArchiveName | undefined {
  const match = ARCHIVE_NAME.exec(file);
  if (!match) return undefined;
  const [, time, rawType, name, ext] = match;
  if (ext === INCREMENTAL_EXTENSION) {
    const type = backupTypeOf(rawType);
    return type && type !== 'db' ? { time: Number(time), type, name: name ?? '', compression: 'zstd', incremental: true } : undefined;
  }
  const isSql = DB_EXTENSION.test(ext);
  if (rawType === 'db' ? !isSql : isSql) return undefined;
  // Magento's media-only filesystem archives have no database: they are listed with the media type.
  const type = backupTypeOf(rawType);
  if (!type) return undefined;
  return { time: Number(time), type, name: name ?? '', compression: codecOfExtension(ext)?.name ?? 'none' };
}

export const MANIFEST_SUFFIX = '.manifest.json';

/** The file index beside a file archive (its manifest's `tree.index` names it and holds its sha256). */
export const FILE_INDEX_SUFFIX = '.files.gz';

export function fileIndexName(archiveFile: string): string {
  return archiveFile + FILE_INDEX_SUFFIX;
}

export function manifestFileName(archiveFile: string): string {
  return archiveFile + MANIFEST_SUFFIX;
}
