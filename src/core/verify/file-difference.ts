// What a drill found different about one file, and its words: apart from the comparisons (file-compare.ts,
// listing-compare.ts) so that the CLI's drill command can be registered without loading the archive code
// (`--help` loads none).

export interface FileDifference {
  path: string;
  /**
   * missing: recorded, not restored; extra: restored, not recorded; size or content: both, not equal.
   * An incremental backup's listing records more (listing-compare.ts): type (a file restored as a folder,
   * say), mode, mtime, target (a symlink's), link (a hard link that is not the same file as its first name).
   */
  problem: 'missing' | 'extra' | 'size' | 'content' | 'type' | 'mode' | 'mtime' | 'target' | 'link';
  recordedSize?: number;
  restoredSize?: number;
  /** For type, mode, mtime (ns since 1970), target and link (the first name): what was recorded and what was restored. */
  recorded?: string;
  restored?: string;
  /** For content: the hash that differs (CRC-32 of a file index when absent; sha256 of each piece for an incremental backup). */
  hash?: 'sha256';
  /** What the backup recorded at the path when it is not a file (dir, symlink, hardlink); an extra entry's type is `restored`. */
  entry?: 'dir' | 'symlink' | 'hardlink';
}

/** The word a report puts before a difference's path: file, folder, symlink or hard link. */
export function entryWord(d: FileDifference): string {
  const type = d.problem === 'extra' ? d.restored : d.entry;
  const words: Record<string, string> = { dir: 'folder', symlink: 'symlink', hardlink: 'hard link', other: 'entry' };
  return words[type ?? ''] ?? 'file';
}

/** A difference in words, for the drill's report. */
export function describeDifference(d: FileDifference): string {
  switch (d.problem) {
    case 'missing':
      return `in the backup${d.recordedSize === undefined ? '' : ` (${d.recordedSize} bytes)`}, missing after the restore`;
    case 'extra':
      return d.restored ? `restored (${typeWords(d.restored)}), but not in the backup's listing` : `restored, but not in the backup's file index`;
    case 'size':
      return `${d.recordedSize} bytes in the backup, ${d.restoredSize} restored`;
    case 'content':
      return `${d.recordedSize} bytes, but their content differs from the backup's (${d.hash ?? 'CRC-32'})`;
    case 'type':
      return `${typeWords(d.recorded)} in the backup, ${typeWords(d.restored)} restored`;
    case 'mode':
      return `mode ${d.recorded} in the backup, ${d.restored} restored`;
    case 'mtime':
      return `modified at ${nsTime(d.recorded)} in the backup, ${nsTime(d.restored)} restored`;
    case 'target':
      return `a symlink to ${d.recorded} in the backup, to ${d.restored} restored`;
    case 'link':
      return `a hard link of ${d.recorded} in the backup, another file restored`;
  }
}

/** An entry's type (as --json gives it: file, dir, symlink, hardlink, other) in words. */
function typeWords(type: string | undefined): string {
  const words: Record<string, string> = { file: 'a file', dir: 'a folder', symlink: 'a symlink', hardlink: 'a hard link', other: 'neither a file, a folder nor a symlink' };
  return words[type ?? ''] ?? String(type);
}

/** A time in ns since 1970 as UTC with its nanoseconds (a drill tells apart what differs below a second). */
function nsTime(ns: string | undefined): string {
  if (ns === undefined || !/^-?\d+$/.test(ns)) return String(ns);
  const value = BigInt(ns);
  const seconds = value / 1_000_000_000n - (value < 0n && value % 1_000_000_000n !== 0n ? 1n : 0n);
  const fraction = String(value - seconds * 1_000_000_000n).padStart(9, '0');
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction}Z`;
}
