// Verifying an incremental backup: its snapshot file against the manifest (size and sha256), then the
// tar stream made from it read to its end as an archive's is (verify/tree.ts): every blob it uses is read
// and checked against its sha256, every member against the safety rules, the counts and the dump.
import { emptyCounts } from '../../archive/pack-tree.js';
import type { BackupRecord } from '../../shared/types.js';
import { snapshotStream } from '../snapshot-source.js';
import { describeFailure, scanMembers, type ScanOptions, type TreeScan } from './tree.js';
import { codecNamed } from '../../archive/codec/registry.js';
import { BlobDamagedError } from '../../archive/content/blob-codec.js';
import { SnapshotMismatchError } from '../../archive/content/open-snapshot.js';
import { TarFormatError } from '../../archive/tar-reader.js';
import { UnsafeArchiveError } from '../../archive/tar-safety.js';

export async function scanSnapshot(backupDir: string, record: BackupRecord, options: Omit<ScanOptions, 'codec'>): Promise<TreeScan> {
  const archive = record.manifest?.archive;
  const scan: TreeScan = { size: archive?.size ?? 0, counts: emptyCounts(), dumps: [], dataBytes: 0, members: 0 };
  let bytes = 0;
  const total = record.manifest?.incremental?.treeBytes ?? 0;
  try {
    const stream = await snapshotStream(backupDir, record);
    scan.sha256 = archive?.sha256; // openSnapshot checked the file against it
    async function* counted(): AsyncGenerator<Buffer> {
      for await (const chunk of stream.chunks) {
        bytes += chunk.length;
        options.onBytes?.(bytes, total);
        yield chunk;
      }
    }
    await scanMembers(counted(), scan, options).finally(() => stream.close());
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const known = error instanceof BlobDamagedError || error instanceof SnapshotMismatchError || error instanceof TarFormatError || error instanceof UnsafeArchiveError;
    scan.problem = known ? describeFailure(error, codecNamed('zstd')) : `the incremental store cannot be read: ${(error as Error).message}`;
  }
  return scan;
}
