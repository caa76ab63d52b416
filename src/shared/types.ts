// The records Lifeboat keeps about backups. A backup is an archive plus a manifest (JSON) beside it.

/**
 * What a backup holds: db (the database), media (database and media, Magento's "Database and Media"),
 * system (database and the whole tree), nomedia (system without the media folders), code (the tree
 * without media, no database). The one spelling inside Lifeboat; Magento's words appear only in file
 * names (src/repository/naming.ts); manifests written by earlier versions, which spell the types as the
 * file names do, are read back through `backupTypeOf`.
 */
export type BackupType = 'db' | 'media' | 'system' | 'nomedia' | 'code';

export const BACKUP_TYPES: readonly BackupType[] = ['db', 'media', 'system', 'nomedia', 'code'];

/** Types whose backups are file trees. */
export type TreeType = Exclude<BackupType, 'db'>;

/** Magento's words for the types, as in file names and in manifests written by earlier versions. */
const MAGENTO_WORDS: Readonly<Record<string, BackupType>> = { snapshot: 'system', filesystem_code: 'code', filesystem_media: 'media' };

/** The type a stored word names (this version's spelling or Magento's), or undefined. */
export function backupTypeOf(word: unknown): BackupType | undefined {
  if (typeof word !== 'string') return undefined;
  return MAGENTO_WORDS[word] ?? (BACKUP_TYPES.includes(word as BackupType) ? (word as BackupType) : undefined);
}

/** Whether backups of this type hold the database (Magento's media archives do; code ones do not). */
export function holdsDatabase(type: BackupType): boolean {
  return type !== 'code';
}

/**
 * The compressions an archive can be written with: each is a codec (archive/codec/), and the name is what
 * manifests record and settings take. Here, on the ground floor, so that the settings can check a name
 * without loading the codecs.
 */
export const COMPRESSIONS = ['gzip', 'zstd'] as const;

export type CompressionName = (typeof COMPRESSIONS)[number];

/**
 * What an anonymized column's values become (`--anonymize`): each kind is a fake value of its shape,
 * the same for the same original within one backup (so an order's e-mail still matches its customer's).
 */
export const FAKE_KINDS = ['email', 'firstname', 'lastname', 'name', 'street', 'address', 'phone', 'ip', 'company', 'id', 'date', 'text', 'null'] as const;

export type FakeKind = (typeof FAKE_KINDS)[number];

/** Where one table's data sits inside the uncompressed SQL stream and inside the compressed file. */
export interface TableEntry {
  name: string;
  rows: number;
  /** Byte offset of the table's first INSERT in the uncompressed SQL. */
  dataOffset: number;
  /** Length in bytes of the table's INSERT statements in the uncompressed SQL. */
  dataLength: number;
  /**
   * Byte offset in the archive of the codec's frame (for gzip, a member) that starts with this
   * table's data (every table's data starts a new frame), so one table can be read without decompressing
   * what comes before. Named `gzipOffset` whatever the codec: the name manifests have had since gzip was
   * the only one, kept so that every manifest, old or new, reads alike (in code it is the frame offset).
   */
  gzipOffset?: number;
  /** The backup left this table's rows out (`--strip`): it holds the table's structure and triggers only. */
  stripped?: true;
  /** The columns whose values the backup replaced by fake ones (`--anonymize`). */
  anonymized?: string[];
}

export interface EngineInfo {
  kind: 'mysql' | 'sqlite';
  /** e.g. "10.11.19-MariaDB" or "3.46.0" */
  serverVersion: string;
  database: string;
}

export interface ObjectCounts {
  tables: number;
  views: number;
  triggers: number;
  routines: number;
  events: number;
  sequences: number;
}

/** What a file-tree archive (.tgz) holds, as counted while it was written. */
export interface TreeManifest {
  /** all: the whole tree; nomedia: without pub/media and media; media: only those. */
  scope: 'all' | 'nomedia' | 'media';
  files: number;
  dirs: number;
  symlinks: number;
  /** Second and later names of hard-linked files (tar link members). */
  hardlinks: number;
  /** Bytes of file data (the database dump not included). */
  bytes: number;
  /** Symlinks that were followed instead of stored (a symlinked media folder): path and target. */
  followedSymlinks: { path: string; target: string }[];
  /** The rules that left paths out: built-in prefixes, the backup folder, LIFEBOAT_EXCLUDE globs. */
  excluded: string[];
  /** The file index written beside the archive (absent in backups made before it was recorded). */
  index?: FileIndexManifest;
}

/**
 * The file index of a file archive: `<archive>.files.gz` beside it, one JSON array per line,
 * `[path, type, size, mtimeNs, crc32, frame, within, ino, ctimeNs]` for every member (archive/file-index.ts).
 * Its size and sha256 tie it to this manifest; a restore drill compares the restored files with it.
 */
export interface FileIndexManifest {
  file: string;
  size: number;
  sha256: string;
  /** The content hash of each file: zlib's CRC-32 (IEEE), as an unsigned integer. */
  hash: 'crc32';
  entries: number;
}

/** The database dump inside a file-tree archive: byte for byte what `backup db` writes, in the archive's compression. */
export interface DumpEntry {
  /** Path inside the archive, in Magento's layout: var/<time>_db.sql.gz */
  path: string;
  size: number;
  sha256: string;
  compression: CompressionName;
}

/** What an incremental backup (its file a snapshot naming blobs of the content store) added and holds. */
export interface IncrementalManifest {
  /** The content store's folder, relative to the backup folder. */
  store: string;
  /** Bytes this backup added to the store: its new packs (with their tables) and its index file. */
  addedBytes: number;
  addedBlobs: number;
  addedPacks: number;
  /** Bytes of file data the snapshot holds, the dump's included: what a rollback writes. */
  treeBytes: number;
  /** Files taken from the previous snapshot without reading them (same size, mtime, ctime and inode). */
  unchangedFiles: number;
  /** The snapshot file those files were compared with, if any. */
  parent?: string;
}

export interface Manifest {
  formatVersion: 1;
  id: string;
  type: BackupType;
  /** The filtered name given by the user ('' when none). */
  name: string;
  /** The archive's file name, e.g. 1732443600_db_before_upgrade.sql.gz */
  file: string;
  /** Unix time (seconds) in the file name. */
  time: number;
  startedAt: string;
  finishedAt: string;
  tool: { name: 'lifeboat'; version: string };
  archive: { size: number; sha256: string; compression: CompressionName };
  /** The database that was dumped; absent for archives without a database (code). */
  engine?: EngineInfo;
  /** Uncompressed size of the SQL dump (0 without one). */
  sqlBytes: number;
  /** Per table; for .tgz archives the offsets are within the embedded dump (see `dump`). */
  tables: TableEntry[];
  /**
   * The sequences of a MariaDB dump, by name (`rollback --table` takes them as it takes tables). Absent in
   * manifests written before it was recorded.
   */
  sequences?: string[];
  objects: ObjectCounts;
  /**
   * MySQL/MariaDB: the owner of each view, trigger, routine and event, `"trigger trg_x": "magento@%"`. The
   * SQL leaves DEFINER clauses out (unless --keep-definers) so that it loads for any user; a rollback gives
   * the objects these owners back where the restoring user may (see engines/mysql/restore-owners.ts).
   */
  definers?: Record<string, string>;
  /**
   * `--strip` patterns the backup was taken with (groups and table globs); the tables they matched have
   * `stripped` set. A rollback of the live shop from such a backup needs a second confirmation.
   */
  strip?: string[];
  /** Taken with `--anonymize`: the columns named by TableEntry.anonymized hold fake values. */
  anonymized?: true;
  /** For .tgz archives with a database: where the dump sits inside the archive. */
  dump?: DumpEntry;
  /** For .tgz archives: what the file tree holds. */
  tree?: TreeManifest;
  /** For incremental backups: what the backup added to the content store and what it holds. */
  incremental?: IncrementalManifest;
  warnings: string[];
  /**
   * Only in the copy of the manifest in off-site storage: how the archive object is stored there when it
   * is encrypted (its size there differs from `archive.size`, which is the plain archive's).
   */
  stored?: { encryption: typeof ENCRYPTION_SCHEME; size: number; sha256?: string };
}

export const ENCRYPTION_SCHEME = 'lifeboat-aes-256-gcm-chunked-v1';

/**
 * The manifest in off-site storage beside an encrypted archive: in plain text only what listing needs
 * (names, times, sizes, how and what is stored); the whole manifest (tables, row counts, database, paths,
 * the plain archive's sha256) is in `sealed`, encrypted with the archive's key (see repository/offsite-manifest.ts).
 */
export interface SealedManifest extends Pick<Manifest, 'formatVersion' | 'id' | 'type' | 'name' | 'file' | 'time' | 'finishedAt'> {
  /** The plain archive's size (what `list` shows). */
  archive: { size: number };
  /** The encrypted object in the store: its size and the sha256 of its bytes. */
  stored: { encryption: typeof ENCRYPTION_SCHEME; size: number; sha256: string };
  /** The whole Manifest as JSON, encrypted (LBOATENC format), base64. */
  sealed: string;
  /** An incremental backup's sizes and counts, for `list` (`+1.6 MiB of 3.2 GiB`): no names, no paths. */
  incremental?: IncrementalManifest;
}

/** One line of `lifeboat list`: a Lifeboat backup (with manifest) or an archive found in the folder. */
export interface BackupRecord {
  id: string;
  file: string;
  type: BackupType;
  name: string;
  /** Unix time (seconds) from the file name. */
  time: number;
  size: number;
  /** From the manifest; absent for archives Lifeboat did not make. */
  sha256?: string;
  /**
   * 'lifeboat' when a manifest vouches for it; 'foreign' when none does: Magento-made or hand-dropped
   * archives, and archives whose manifest does not belong to them (then `problem` says why).
   */
  origin: 'lifeboat' | 'foreign';
  /**
   * Set when a manifest is beside the archive but does not vouch for it (it names another archive,
   * cannot be read, or is of an unknown format): the archive is listed, and verify, rollback, download
   * and upload refuse it (manifest-binding.ts). Absent for an archive with its own manifest or none.
   */
  problem?: string;
  manifest?: Manifest;
  /**
   * Where the backup is, when off-site storage is configured: 'local' (the backup folder) and/or 's3'.
   * Absent when only the backup folder is used.
   */
  locations?: BackupLocation[];
  /**
   * Off-site storage is configured but this Lifeboat backup has no complete copy there (only in the
   * backup folder): `lifeboat upload` copies it.
   */
  copyMissing?: boolean;
  /**
   * A backup only in off-site storage whose manifest there is sealed: `manifest` is absent until it is
   * opened with the key (offsite-manifest.ts: openSealedRecord).
   */
  sealedManifest?: SealedManifest;
}

export type BackupLocation = 'local' | 's3';
