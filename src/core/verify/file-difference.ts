// What a drill found different about one file, and its words: apart from the comparison (file-compare.ts)
// so that the CLI's drill command can be registered without loading the archive code (`--help` loads none).

export interface FileDifference {
  path: string;
  /** missing: in the index, not restored; extra: restored, not in the index; size or content: both, not equal. */
  problem: 'missing' | 'extra' | 'size' | 'content';
  recordedSize?: number;
  restoredSize?: number;
}

/** A difference in words, for the drill's report. */
export function describeDifference(d: FileDifference): string {
  switch (d.problem) {
    case 'missing':
      return `in the backup (${d.recordedSize} bytes), missing after the restore`;
    case 'extra':
      return `restored, but not in the backup's file index`;
    case 'size':
      return `${d.recordedSize} bytes in the backup, ${d.restoredSize} restored`;
    case 'content':
      return `${d.recordedSize} bytes, but their content differs from the backup's (CRC-32)`;
  }
}
