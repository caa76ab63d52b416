// What a file created in a folder comes out as: its owner (the process's, or the folder's group where
// the folder is setgid or the filesystem says so) and the permission bits the umask or a default ACL
// take away. Known that, the extraction creates most files with their final mode and owner at once and
// skips a chmod and a chown (or the fstat that decides on it) per file: a tenth of a rollback's writing.
// The folders an extraction creates inherit what their staging folder has, so one probe per staging
// folder answers for everything below it.
import { closeSync, constants, fstatSync, openSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';

export interface Creation {
  uid: number;
  gid: number;
  /** Permission bits (of 0o777) that a new file does not get although asked for. */
  removedBits: number;
  /** The folder is setgid: a folder made in it is setgid too, whatever mode it was asked for. */
  setgid: boolean;
}

function probeOne(dir: string): Creation {
  const probe = path.join(dir, `.lifeboat-probe-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const fd = openSync(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o777);
  try {
    const info = fstatSync(fd);
    const setgid = (statSync(dir).mode & 0o2000) !== 0; // S_ISGID
    return { uid: info.uid, gid: info.gid, removedBits: 0o777 & ~info.mode, setgid };
  } finally {
    closeSync(fd);
    unlinkSync(probe);
  }
}

/** The creation all `dirs` agree on; undefined when they differ (every file then gets its chmod and chown check). */
export function probeCreation(dirs: string[]): Creation | undefined {
  const [first, ...rest] = dirs.map(probeOne);
  return first && rest.every((c) => c.uid === first.uid && c.gid === first.gid && c.removedBits === first.removedBits && c.setgid === first.setgid) ? first : undefined;
}

/** Whether a file created with `mode` gets exactly that mode. */
export function createsExactly(creation: Creation | undefined, mode: number): boolean {
  return creation !== undefined && (mode & ~0o777) === 0 && (mode & creation.removedBits) === 0;
}

/**
 * Whether a folder made with `mode` gets exactly that mode and can still be filled: the extraction
 * then skips its chmod when it sets the folder's metadata.
 */
export function makesFolderExactly(creation: Creation | undefined, mode: number): boolean {
  return createsExactly(creation, mode) && creation?.setgid === false && (mode & 0o700) === 0o700;
}

/** Whether a file or folder created there already has the owner `uid`:`gid`. */
export function createsOwnedBy(creation: Creation | undefined, uid: number, gid: number): boolean {
  return creation !== undefined && creation.uid === uid && creation.gid === gid;
}
