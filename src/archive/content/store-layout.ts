// Where the parts of a content store are, inside its folder (`<backup dir>/incremental`):
//   config.json               what the folder is, and the format's version
//   data/<2 hex>/<pack id>    pack files: blobs back to back, then the pack's blob table
//   index/<index id>.json     which blob is in which pack, where (one file per backup that added packs)
// The snapshots that use the store are the `*.incremental.json` files of the backup folder itself.
import path from 'node:path';

/** The store's folder inside the backup folder. */
export const STORE_FOLDER = 'incremental';

export const STORE_FORMAT = 'lifeboat-content-store';
/**
 * The format version this Lifeboat writes. Version 2 stores may hold packs whose blob table is a zstd
 * frame (`LBPACK02`), which Lifeboat before it cannot read; version 1 stores hold only `LBPACK01` packs.
 * Both are read; the first write into a version 1 store makes it version 2 before any new pack lands,
 * so that an older Lifeboat refuses the store in one line instead of failing on a pack it cannot read.
 */
export const STORE_VERSION = 2;
/** The versions this Lifeboat reads. */
export const READABLE_STORE_VERSIONS: readonly unknown[] = [1, 2];

/** What is wrong with a store's config (parsed JSON, or undefined when it was not JSON), if anything: words after its name. */
export function storeConfigProblem(config: { format?: unknown; version?: unknown } | undefined): string | undefined {
  if (config?.format !== STORE_FORMAT) return 'is not the config of a Lifeboat incremental store';
  if (!READABLE_STORE_VERSIONS.includes(config.version)) {
    return `has format version ${String(config.version)}, which this Lifeboat does not read (it reads ${READABLE_STORE_VERSIONS.join(' and ')}): a newer Lifeboat wrote it; upgrade Lifeboat`;
  }
  return undefined;
}

export const storeDirOf = (backupDir: string) => path.join(backupDir, STORE_FOLDER);
export const configPathOf = (storeDir: string) => path.join(storeDir, 'config.json');
export const dataDirOf = (storeDir: string) => path.join(storeDir, 'data');
export const indexDirOf = (storeDir: string) => path.join(storeDir, 'index');
export const packPathOf = (storeDir: string, packId: string) => path.join(storeDir, 'data', packId.slice(0, 2), packId);
export const indexPathOf = (storeDir: string, indexId: string) => path.join(storeDir, 'index', `${indexId}.json`);

/** A blob's place: in which pack, at which offset, how many stored bytes, how many plain ones, and how. */
export interface BlobPlace {
  id: string;
  offset: number;
  length: number;
  size: number;
  zstd: boolean;
}

/** One pack as the index (and the pack's own table) lists it. */
export interface PackRecord {
  id: string;
  /** The pack file's size in bytes, its table included. */
  size: number;
  blobs: BlobPlace[];
}

/** The contents of an index file. */
export interface IndexFile {
  packs: PackRecord[];
}

/** Blob and pack ids are sha256 values in lower-case hex. */
export const isHexId = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
