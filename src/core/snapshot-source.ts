// An incremental backup read as the tar stream a .tgz would hold, for verify (which then treats it as it
// treats an archive) and, compressed, for a download, or as the members of that stream, for a rollback
// (read on a thread of their own: snapshot-read.ts): the snapshot file checked against its manifest, the
// stream made from its listing and blobs, each blob checked against its sha256 as it is read.
import path from 'node:path';
import { finished, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, createZstdCompress } from 'node:zlib';
import { codecNamed } from '../archive/codec/registry.js';
import { openSnapshot, type OpenedSnapshot } from '../archive/content/open-snapshot.js';
import { snapshotTar } from '../archive/content/snapshot-tar.js';
import { readSnapshot } from '../archive/snapshot-read.js';
import type { TarMember } from '../archive/tar-reader.js';
import { INCREMENTAL_EXTENSION } from '../repository/naming.js';
import type { Repository } from '../repository/repository.js';
import type { BackupRecord, CompressionName } from '../shared/types.js';

export interface SnapshotStream {
  /** The tar stream; each buffer is new (a reader may keep it). */
  chunks: AsyncGenerator<Buffer>;
  close(): Promise<void>;
}

/**
 * What `make` makes of the snapshot of the incremental backup `record` (its file in `backupDir`, checked
 * against its manifest); the snapshot is closed when the items end, or by `close`.
 */
async function fromSnapshot<T>(backupDir: string, record: BackupRecord, make: (snapshot: OpenedSnapshot) => AsyncGenerator<T>): Promise<{ items: AsyncGenerator<T>; close(): Promise<void> }> {
  const snapshot = await openSnapshot(path.join(backupDir, record.file), record.manifest?.archive);
  const made = make(snapshot);
  async function* items(): AsyncGenerator<T> {
    try {
      yield* made;
    } finally {
      await snapshot.close();
    }
  }
  return {
    items: items(),
    close: async () => {
      await made.return(undefined);
      await snapshot.close();
    },
  };
}

/**
 * The tar stream of the incremental backup `record`, whose snapshot file is in `backupDir`; with
 * `include`, only the entries whose path it accepts (restoring chosen paths reads only their blobs).
 */
export async function snapshotStream(backupDir: string, record: BackupRecord, include?: (path: string) => boolean): Promise<SnapshotStream> {
  const { items, close } = await fromSnapshot(backupDir, record, (snapshot) => snapshotTar(snapshot.reader, snapshot.document.listing, include));
  return { chunks: items, close };
}

export interface SnapshotMembers {
  /** The members, as readTar would give them from the tar stream (snapshot-read.ts). */
  members: AsyncGenerator<TarMember>;
  close(): Promise<void>;
}

/**
 * The members of the incremental backup `record` for an extraction (a rollback), read on a worker thread
 * (snapshot-read.ts); with `only`, those at or below these paths (normalised, relative to the tree): only
 * their blobs are read. With `liveRoot`, a file the tree there still has as the very one backed up comes
 * as kept (TarHeader.kept), its blobs not read.
 */
export async function snapshotMemberStream(backupDir: string, record: BackupRecord, only?: readonly string[], liveRoot?: string): Promise<SnapshotMembers> {
  const read = await readSnapshot({
    file: path.join(backupDir, record.file),
    ...(record.manifest?.archive ? { expected: record.manifest.archive } : {}),
    ...(only ? { only: [...only] } : {}),
    ...(liveRoot !== undefined ? { liveRoot } : {}),
  });
  return { members: read.members, close: read.close };
}

/** An incremental backup as a download: a standard compressed tar, made on the fly. */
export interface SnapshotArchive {
  body: Readable;
  /** The name a .tgz (or .tar.zst) of the same backup would have. */
  fileName: string;
  mediaType: string;
}

/**
 * The incremental backup `record` as the archive a full backup would be (`tar -xzf` or `tar --zstd -xf`
 * extracts it to the backed-up tree, the dump included), compressed with `compression` (default gzip).
 * Its size is not known before the end: no Content-Length, no ranges.
 */
export async function snapshotArchive(backupDir: string, record: BackupRecord, compression: CompressionName = 'gzip'): Promise<SnapshotArchive> {
  const stream = await snapshotStream(backupDir, record);
  const codec = codecNamed(compression);
  const compressor = compression === 'zstd' ? createZstdCompress() : createGzip({ level: codec.levels.text });
  const body = Readable.from(stream.chunks, { objectMode: false });
  pipeline(body, compressor).catch(() => undefined); // a failure destroys `compressor`, which the reader sees
  const base = record.file.slice(0, -`.${INCREMENTAL_EXTENSION}`.length);
  return { body: compressor, fileName: `${base}.${codec.extensions.tree}`, mediaType: codec.mediaType };
}

/**
 * The download of the incremental backup `record` wherever it is: a backup only in the bucket is
 * fetched first (its snapshot file and packs, into a work folder that is removed when the body ends).
 */
export async function snapshotDownload(repository: Repository, record: BackupRecord): Promise<SnapshotArchive> {
  const copy = await repository.openLocalCopy(record);
  try {
    const made = await snapshotArchive(copy.archiveDir, copy.record);
    finished(made.body, () => void copy.release().catch(() => undefined));
    return made;
  } catch (error) {
    await copy.release();
    throw error;
  }
}
