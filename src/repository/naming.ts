// Archive file names, in Magento's scheme so that archives stay recognisable to people and to Magento:
//   <unix time>_<type>[_<name>].<ext>      e.g. 1732443600_db_before_upgrade.sql.gz
import { INPUT_LIMITS, requireMaxLength } from '../shared/text-limits.js';
import { backupTypeOf, type BackupType } from '../shared/types.js';
import { PARTIAL_SUFFIX } from '../archive/atomic-file.js';

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

export function extensionFor(type: BackupType): string {
  return type === 'db' ? 'sql.gz' : 'tgz';
}

/** Magento's word for each type in a file name (its "System Backup" is a snapshot). */
const FILE_WORDS: Readonly<Record<BackupType, string>> = { db: 'db', media: 'media', system: 'snapshot', nomedia: 'nomedia', code: 'filesystem_code' };

export function archiveFileName(time: number, type: BackupType, name: string): string {
  return `${time}_${FILE_WORDS[type]}${name ? `_${name}` : ''}.${extensionFor(type)}`;
}

export interface ParsedArchiveName {
  time: number;
  type: BackupType;
  name: string;
  /** 'gzip' for .gz/.tgz, 'none' for the plain .sql that Magento writes despite its documentation. */
  compression: 'gzip' | 'none';
}

// Magento: <time>_<type>[_<name>].(sql|sql.gz|gz|tgz); `filesystem` archives carry `_code`/`_media`.
const ARCHIVE_NAME = /^(\d{9,11})_(db|snapshot|nomedia|media|filesystem_code|filesystem_media)(?:_([0-9A-Za-z_]+))?\.(sql\.gz|sql|gz|tgz)$/;

/** Parses an archive file name, or returns undefined for anything that is not one. */
export function parseArchiveFileName(file: string): ParsedArchiveName | undefined {
  const match = ARCHIVE_NAME.exec(file);
  if (!match) return undefined;
  const [, time, rawType, name, ext] = match;
  const isSql = ext === 'sql' || ext === 'sql.gz' || ext === 'gz';
  if (rawType === 'db' ? !isSql : isSql) return undefined;
  // Magento's media-only filesystem archives have no database: they are listed with the media type.
  const type = backupTypeOf(rawType);
  if (!type) return undefined;
  return { time: Number(time), type, name: name ?? '', compression: ext === 'sql' ? 'none' : 'gzip' };
}

export const MANIFEST_SUFFIX = '.manifest.json';

export function manifestFileName(archiveFile: string): string {
  return archiveFile + MANIFEST_SUFFIX;
}
