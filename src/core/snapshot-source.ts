// An incremental backup read as the tar stream a .tgz would hold, for rollback and verify (which then
// treat it as they treat an archive) and, compressed, for a download: the snapshot file checked against
// its manifest, the stream made from its listing and blobs, each blob checked against its sha256 as it
// is read.
import path from 'node:path';
import { finished, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, createZstdCompress } from 'node:zlib';
import { codecNamed } from '../archive/codec/registry.js';
import { openSnapshot } from '../archive/content/open-snapshot.js';
import { snapshotTar } from '../archive/content/snapshot-tar.js';
import { INCREMENTAL_EXTENSION } from '../repository/naming.js';
import type { Repository } from '../repository/repository.js';
import type { BackupRecord, CompressionName } from '../shared/types.js';

export interface SnapshotStream {
  /** The tar stream; each buffer is new (a reader may keep it). */
  chunks: AsyncGenerator<Buffer>;
  close(): Promise<void>;
}

/**
 * The tar stream of the incremental backup `record`, whose snapshot file is in `backupDir`; with
 * `include`, only the entries whose path it accepts (restoring chosen paths reads only their blobs).
 * `reuse`: for a reader that holds on to what it got from the last two chunks only (readTar; not a
 * download's compressor): the stream's buffers are reused (snapshot-tar.ts).
 */
export async function snapshotStream(backupDir: string, record: BackupRecord, include?: (path: string) => boolean, reuse = false): Promise<SnapshotStream> {
  const snapshot = await openSnapshot(path.join(backupDir, record.file), record.manifest?.archive);
  const tar = snapshotTar(snapshot.reader, snapshot.document.listing, include, reuse);
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      yield* tar;
    } finally {
      await snapshot.close();
    }
  }
  return {
    chunks: chunks(),
    close: async () => {
      await tar.return(undefined);
      await snapshot.close();
    },
  };
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
