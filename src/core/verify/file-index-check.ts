// Whether a file backup's file index (`<archive>.files.gz`) is the one its manifest names: there, of its
// size and sha256. `lifeboat verify` reports it; a drill refuses to compare files with another index.
// A rollback of chosen files reads it to find where they are in the archive (falling back to reading
// the archive from its start when it is not the manifest's).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FileIndexManifest } from '../../shared/types.js';

/** The index's bytes when it is the manifest's, else what is wrong with it. */
export async function readCheckedIndex(backupDir: string, index: FileIndexManifest): Promise<{ bytes: Buffer } | { problem: string }> {
  return checkIndexBytes(await readFile(path.join(backupDir, index.file)).catch(() => undefined), index);
}

/** The index's bytes (undefined: it is missing) when they are the manifest's, else what is wrong with them. */
export function checkIndexBytes(bytes: Buffer | undefined, index: FileIndexManifest): { bytes: Buffer } | { problem: string } {
  if (!bytes) return { problem: `its file index ${index.file} is missing` };
  if (bytes.length !== index.size || createHash('sha256').update(bytes).digest('hex') !== index.sha256) {
    return { problem: `its file index ${index.file} is not the one its manifest names (size or sha256 differ)` };
  }
  return { bytes };
}
