// Checking a Lifeboat .tgz while it is extracted, instead of in a read of its own first. A rollback used
// to read the whole archive twice: once to check it (size, sha256, gzip, tar, the safety rules), once to
// extract it. When the archive has Lifeboat's manifest and goes into one staging folder, the manifest
// already gives what the first read was for (sizes for the free-space check, the dump, the counts), and
// extraction applies the same safety rules to every member; the size and sha256 are checked on the
// bytes as they are extracted. Either way nothing in the shop changes before the archive has passed
// every check: extraction writes only into the staging folder, which a failed rollback removes.
import type { Writable } from 'node:stream';
import type { Codec } from '../archive/codec/codec.js';
import { feedFileHashed, type FileDigest } from '../archive/archive-read.js';
import { TarFormatError } from '../archive/tar-reader.js';
import { BlobDamagedError } from '../archive/content/blob-codec.js';
import { SnapshotMismatchError } from '../archive/content/open-snapshot.js';
import { UnsafeArchiveError } from '../archive/tar-safety.js';
import { checksumProblem } from '../repository/checksum.js';
import type { Manifest } from '../shared/types.js';
import { describeFailure, type DumpFound } from './verify/tree.js';

/** The archive file as read for extraction, hashed on the way. */
export interface CheckedRead {
  /** After `into` has ended: what is wrong with the file compared with its manifest, if anything. */
  problem(): Promise<string | undefined>;
}

/** Feeds the archive into `into` (the decompressor in front of the restore), counting and hashing it. */
export function readChecked(file: string, manifest: Manifest, into: Writable): CheckedRead {
  return checkedAgainst(manifest, feedFileHashed(file, into));
}

/** What is wrong with a file as read (`digest`) compared with its manifest. */
export function checkedAgainst(manifest: Manifest, digest: Promise<FileDigest>): CheckedRead {
  return {
    async problem() {
      let found: FileDigest;
      try {
        found = await digest;
      } catch (error) {
        return `it cannot be read (${(error as Error).message})`;
      }
      return checksumProblem(manifest, found);
    },
  };
}

/** What the separate read would have found, from the manifest. */
export function fromManifest(manifest: Manifest): { dumps: DumpFound[]; dataBytes: number; entries: number } {
  const tree = manifest.tree ?? { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, bytes: 0 };
  const dumps = manifest.dump ? [{ path: manifest.dump.path, size: manifest.dump.size, sha256: manifest.dump.sha256 }] : [];
  return { dumps, dataBytes: tree.bytes + (manifest.dump?.size ?? 0), entries: tree.files + tree.dirs + tree.symlinks + tree.hardlinks + dumps.length };
}

/** The message for an extraction that failed because of the archive (not the disk), or undefined. */
export function archiveProblem(error: unknown, codec: Codec): string | undefined {
  const damaged = error instanceof UnsafeArchiveError || error instanceof TarFormatError || error instanceof BlobDamagedError || error instanceof SnapshotMismatchError;
  return damaged || codec.isDataError(error) ? describeFailure(error, codec) : undefined;
}
