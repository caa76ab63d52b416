// Counting what a tree will put in an archive, as the backup's own walk would meet it (for the
// free-space check of a backup and its progress total): run on the tree reader's thread beside its
// reading (tree-read-worker.ts), or on a thread of its own (tree-estimate.ts).
import { compressionLevelFor, type TreeRules } from './tree-rules.js';
import { walkTree, type FileIdentity } from './walk.js';

export interface TreeEstimate {
  /** Bytes of file data. */
  bytes: number;
  /** Of which already compressed (stored as they are). */
  storedBytes: number;
  entries: number;
}

export interface TreeCountOptions {
  rules: TreeRules;
  skip?: FileIdentity[];
  followMediaRoots?: boolean;
}

/** Walks the tree as a backup would, counting only. */
export async function countTree(root: string, options: TreeCountOptions): Promise<TreeEstimate> {
  const estimate: TreeEstimate = { bytes: 0, storedBytes: 0, entries: 0 };
  await walkTree(root, { ...options, onWarning: () => undefined }, async (entry) => {
    estimate.entries++;
    if (entry.kind !== 'file') return;
    const size = Number(entry.stats?.size ?? 0n); // files are lstat'ed: fileStats is not turned off here
    estimate.bytes += size;
    if (compressionLevelFor(entry.rel) === 0) estimate.storedBytes += size;
  });
  return estimate;
}
