// An archive's bytes against its manifest: the size and sha256 the manifest holds are what make a backup
// the one Lifeboat wrote. Whoever reads an archive whole (a rollback extracting it, a fetch from the
// bucket) hashes it on the way and asks here whether it is still that backup.
import type { Manifest } from '../shared/types.js';

/** What is wrong with an archive read as `found` (bytes and sha256) compared with its manifest; undefined when nothing is. */
export function checksumProblem(manifest: Pick<Manifest, 'archive'>, found: { bytes: number; sha256?: string }): string | undefined {
  if (found.bytes !== manifest.archive.size) return `size is ${found.bytes} bytes, the manifest says ${manifest.archive.size}`;
  return found.sha256 === manifest.archive.sha256 ? undefined : `sha256 is ${found.sha256}, the manifest says ${manifest.archive.sha256}`;
}
