// Opening an incremental backup's snapshot for reading: the snapshot file checked against the size and
// sha256 its manifest recorded, the store's index loaded, a blob reader on it.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BlobReader } from './blob-reader.js';
import { openStore } from './blob-writer.js';
import { parseSnapshot, type SnapshotDocument } from './snapshot-file.js';

export interface OpenedSnapshot {
  document: SnapshotDocument;
  /** The store's folder. */
  storeDir: string;
  reader: BlobReader;
  close(): Promise<void>;
}

/** The snapshot file at `file` (in its backup folder), checked against `expected` when given. */
export async function openSnapshot(file: string, expected?: { size: number; sha256: string }): Promise<OpenedSnapshot> {
  const bytes = await readFile(file);
  const name = path.basename(file);
  if (expected) {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (bytes.length !== expected.size || sha256 !== expected.sha256) {
      throw new SnapshotMismatchError(`${name} is ${bytes.length} bytes with sha256 ${sha256}; the manifest says ${expected.size} bytes, ${expected.sha256}`);
    }
  }
  const document = parseSnapshot(bytes.toString('utf8'), name);
  const storeDir = path.join(path.dirname(file), document.store);
  const reader = new BlobReader(storeDir, await openStore(storeDir, 'read'));
  return { document, storeDir, reader, close: () => reader.close() };
}

/** A snapshot file that is not the one its manifest describes. */
export class SnapshotMismatchError extends Error {
  override name = 'SnapshotMismatchError';
}
