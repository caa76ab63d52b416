// What a backup holds, for browsing it (the page's Browse, `lifeboat list ID`): a database backup's
// tables from its manifest, and a tree backup's files one folder at a time. A backup with a file index
// (archive/file-index.ts) is listed from it. Otherwise (older backups, Magento's archives) a .tgz or
// .tar.zst is one compressed stream, so a folder's entries are found by reading the archive's headers
// from its start (the data is inflated and skipped, never written anywhere); an incremental backup's
// listing is read from its snapshot without touching any file's content. The README gives the times measured.
import path from 'node:path';
import { readArchive } from '../../archive/archive-read.js';
import { DEFAULT_CODEC } from '../../archive/codec/registry.js';
import { openSnapshot } from '../../archive/content/open-snapshot.js';
import { readListing } from '../../archive/content/listing.js';
import { readTar } from '../../archive/tar-reader.js';
import { normaliseMemberPath } from '../../archive/tar-safety.js';
import { UsageError } from '../../shared/errors.js';
import type { Repository } from '../../repository/repository.js';
import type { BackupRecord } from '../../shared/types.js';
import { archivePath, codecOf } from '../archive-reader.js';
import { parseFileIndex } from '../../archive/file-index.js';
import { readCheckedIndex } from '../verify/file-index-check.js';
import { isUnder, normaliseChosenPaths } from '../rollback/chosen-paths.js';

export interface TableSummary {
  name: string;
  rows: number;
  /** Bytes of the table's rows in the dump (its INSERT statements, uncompressed). */
  bytes: number;
  /** The backup left its rows out (--strip). */
  stripped?: true;
}

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink';

export interface FolderEntry {
  name: string;
  type: EntryType;
  /** A file's bytes; a folder's: the bytes of every file below it. */
  size: number;
  /** Modification time (ISO 8601); absent for a folder the archive holds no entry of its own for. */
  mtime?: string;
}

export interface FolderPage {
  /** The folder listed, relative to the shop root ('' for the root). */
  folder: string;
  /** Folders first, then by name; `limit` of them from `offset`. */
  entries: FolderEntry[];
  /** How many entries the folder holds in all. */
  total: number;
  offset: number;
}

/** The tables of a backup with a database, from its manifest ([] for an archive without one). */
export function tablesOf(record: BackupRecord): TableSummary[] {
  return (record.manifest?.tables ?? []).map((t) => ({ name: t.name, rows: t.rows, bytes: t.dataLength, ...(t.stripped ? { stripped: true as const } : {}) }));
}

interface Member {
  path: string;
  type: EntryType;
  size: number;
  mtimeNs: bigint;
}

const KNOWN_TYPES = new Set<string>(['file', 'dir', 'symlink', 'hardlink']);

/** Every member of a tree backup, in archive order (its path normalised as a rollback would). */
async function* membersOf(archiveDir: string, record: BackupRecord): AsyncGenerator<Member> {
  if (record.manifest?.incremental) {
    const snapshot = await openSnapshot(path.join(archiveDir, record.file), record.manifest.archive);
    try {
      for await (const entry of readListing(snapshot.reader, snapshot.document.listing)) {
        yield { path: entry.path, type: entry.type, size: entry.size ?? 0, mtimeNs: BigInt(entry.mtimeNs) };
      }
    } finally {
      await snapshot.close();
    }
    return;
  }
  const indexed = await indexedMembers(archiveDir, record);
  if (indexed) {
    yield* indexed;
    return;
  }
  // Not hashed: nothing is restored from this read.
  const read = readArchive(archivePath(archiveDir, record), { decompress: codecOf(record) ?? DEFAULT_CODEC, hash: false });
  try {
    for await (const member of readTar(read.chunks)) {
      const { header } = member;
      if (!KNOWN_TYPES.has(header.type)) continue;
      const rel = normaliseMemberPath(header.path);
      if (rel !== '') yield { path: rel, type: header.type as EntryType, size: header.size, mtimeNs: header.mtimeNs };
    }
  } finally {
    await read.close();
  }
}

/**
 * The members from the backup's file index, when it has one that its manifest vouches for: a folder is
 * listed without inflating the archive. A hard link is a member without data, as in the archive.
 */
async function indexedMembers(archiveDir: string, record: BackupRecord): Promise<Member[] | undefined> {
  const index = record.manifest?.tree?.index;
  if (!index) return undefined;
  const checked = await readCheckedIndex(archiveDir, index);
  if ('problem' in checked) return undefined; // the archive itself is read instead
  const entries = await parseFileIndex(index.file, checked.bytes).catch(() => undefined);
  return entries?.map((e) => ({ path: e.path, type: e.type, size: e.type === 'hardlink' ? 0 : e.size, mtimeNs: e.mtimeNs }));
}

const isoTime = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString();

/**
 * The entries of `folder` in a tree backup whose archive is in `archiveDir`: `limit` of them from
 * `offset`, and how many there are. A folder the backup does not hold is a UsageError naming it.
 */
export async function listFolder(archiveDir: string, record: BackupRecord, folder: string, page: { offset?: number; limit?: number } = {}): Promise<FolderPage> {
  if (record.type === 'db') throw new UsageError(`${record.file} is a database backup: it holds tables, not files`);
  const entries = new Map<string, FolderEntry>();
  let seen = folder === '';
  for await (const member of membersOf(archiveDir, record)) {
    if (!isUnder(member.path, folder)) continue;
    if (member.path === folder) {
      if (member.type !== 'dir') throw new UsageError(`${folder} is a ${member.type} in backup ${record.file}, not a folder`);
      seen = true;
      continue;
    }
    seen = true;
    const rest = folder === '' ? member.path : member.path.slice(folder.length + 1);
    const slash = rest.indexOf('/');
    const name = slash === -1 ? rest : rest.slice(0, slash);
    const known = entries.get(name);
    if (slash === -1) {
      // The folder's own entry may come after what is below it (in archives made by other tools).
      const size = member.type === 'dir' ? (known?.size ?? 0) : member.size;
      entries.set(name, { name, type: member.type, size, mtime: isoTime(member.mtimeNs) });
    } else if (known) {
      if (member.type === 'file') known.size += member.size;
    } else {
      entries.set(name, { name, type: 'dir', size: member.type === 'file' ? member.size : 0 });
    }
  }
  if (!seen) throw new UsageError(`${folder} is not in backup ${record.file}`);
  const sorted = [...entries.values()].sort((a, b) => Number(b.type === 'dir') - Number(a.type === 'dir') || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const offset = Math.max(0, page.offset ?? 0);
  return { folder, entries: sorted.slice(offset, offset + (page.limit ?? sorted.length)), total: sorted.length, offset };
}

/** A folder as given (`app/etc/`, `/`, ''), relative to the shop root; refuses `..` and absolute paths as --path does. */
export function normaliseFolder(given: string, what = 'folder'): string {
  return given.replace(/^\/+$/, '') === '' ? '' : normaliseChosenPaths([given.replace(/^\/+/, '')], what)[0];
}

/** listFolder for a backup wherever it is (one only in off-site storage is fetched first, as a rollback does). */
export function listBackupFolder(repository: Repository, record: BackupRecord, folder: string, page: { offset?: number; limit?: number } = {}): Promise<FolderPage> {
  return repository.withLocalCopy(record, (archiveDir, whole) => listFolder(archiveDir, whole, folder, page));
}
