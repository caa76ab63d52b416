// Whether a file of the live shop is the very file a backup read, unchanged since, found without reading
// it: the same inode and ctime as the backup recorded (any write, chmod, chown or utimes moves the ctime,
// which no one can set back), a single name, and the size, mode, owner and mtime the backup holds. The
// path is followed as the shop has it (a symlinked media folder too): whatever leads there, an inode with
// that ctime is the backed-up file. A rollback hard-links such a file into its staging instead of
// writing it (the writing thread checks through the staged name that it linked that inode, and the
// rollback checks its ctime again before the swap: live-reuse.ts, reused-files.ts). An incremental
// backup's listing records inode and ctime (snapshot-read-worker.ts), a file archive's index too
// (file-index.ts).
import { lstatSync, type Stats } from 'node:fs';

/** What the backup recorded of a file. */
export interface BackedUpFile {
  ino: bigint;
  ctimeNs: bigint;
  size: number;
  mtimeNs: bigint;
  /** Permission bits with setuid, setgid and sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
}

/** The inode of the file at `livePath` when it is `file` as backed up (see above); undefined otherwise. */
export function keptInode(livePath: string, file: BackedUpFile): number | undefined {
  const info = keptFile(livePath, file);
  if (!info || (info.mode & 0o7777) !== file.mode) return undefined;
  return info.uid === file.uid && info.gid === file.gid ? info.ino : undefined;
}

/**
 * The live file at `livePath` when it is the inode the backup read, unchanged since (its stats, whose
 * mode and owner are then the backup's: a chmod or chown moves the ctime); undefined otherwise.
 */
export function keptFile(livePath: string, file: Omit<BackedUpFile, 'mode' | 'uid' | 'gid'>): Stats | undefined {
  const inode = Number(file.ino);
  if (!Number.isSafeInteger(inode) || file.size === 0) return undefined;
  // Plain stats (a bigint lstat costs a third more, and garbage). Their times in ms are compared with
  // the recorded ones computed as Node computes them: equal to within the float's quarter microsecond. A
  // ctime cannot be set, and one moved by any change since the backup read the file is far further off.
  let info: Stats | undefined;
  try {
    info = lstatSync(livePath, { throwIfNoEntry: false });
  } catch {
    return undefined; // below a folder the rollback's user may not search: written from the backup
  }
  if (!info?.isFile() || info.nlink !== 1 || info.ino !== inode || info.ctimeMs !== msOf(file.ctimeNs)) return undefined;
  return info.size === file.size && info.mtimeMs === msOf(file.mtimeNs) ? info : undefined;
}

/** A time in ns as plain stats give it in ms (Node: seconds * 1e3 + nanoseconds / 1e6). */
function msOf(ns: bigint): number {
  const seconds = ns / 1_000_000_000n;
  return Number(seconds) * 1e3 + Number(ns - seconds * 1_000_000_000n) / 1e6;
}
