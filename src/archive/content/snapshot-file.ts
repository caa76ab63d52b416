// A snapshot file: the small JSON document that is an incremental backup's file in the backup folder
// (`<time>_<type>[_<name>].incremental.json`), naming the blobs of its tree listing in the content
// store. Its manifest beside it vouches for it (size and sha256) as for any archive; the listing and the
// file contents are checked blob by blob against their ids as they are read.
import { isHexId, STORE_FOLDER } from './store-layout.js';

export const SNAPSHOT_FORMAT = 'lifeboat-incremental-snapshot';

export interface SnapshotDocument {
  format: typeof SNAPSHOT_FORMAT;
  version: 1;
  /** The content store's folder, relative to the backup folder. */
  store: string;
  /** The blobs holding the tree listing (listing.ts), in order. */
  listing: string[];
  /** Lines of the listing: the tree's entries, the dump's included. */
  entries: number;
}

export function snapshotDocument(listing: string[], entries: number): SnapshotDocument {
  return { format: SNAPSHOT_FORMAT, version: 1, store: STORE_FOLDER, listing, entries };
}

/** The snapshot in `text` (the file `file`), checked; a one-line error when it is not one this version reads. */
export function parseSnapshot(text: string, file: string): SnapshotDocument {
  let value: Partial<SnapshotDocument> | undefined;
  try {
    value = JSON.parse(text) as Partial<SnapshotDocument>;
  } catch {
    value = undefined;
  }
  if (value?.format !== SNAPSHOT_FORMAT) throw new Error(`${file} is not a snapshot of an incremental backup`);
  if (value.version !== 1) throw new Error(`${file}: snapshot version ${String(value.version)} is not one this Lifeboat reads`);
  if (value.store !== STORE_FOLDER || !Array.isArray(value.listing) || !value.listing.every(isHexId) || !Number.isSafeInteger(value.entries)) {
    throw new Error(`${file}: the snapshot is malformed (store, listing or entries)`);
  }
  return value as SnapshotDocument;
}
