// Reusing the shop's unchanged files in a rollback's staging (on the extraction's writing thread,
// tree-write-worker.ts). A rollback over a live shop finds nearly every file as the backup has it; writing
// each one again, and making it durable before the swap, was most of a tree rollback's time. A live file
// whose type, size, mode, owner, mtime and bytes all equal the member's is hard-linked into the staging
// instead: the staged tree then holds the very same file, and the flush before the swap has only names to
// write. Each reuse is logged with the file's ctime after the link, so that a write into it by the shop
// before the swap is found (reused-files.ts) and refuses the rollback instead of restoring a changed file.
// Not reused: files with other hard links (their other names would share the restored file), files on
// another filesystem than the staging, and anything the link call refuses (protected hard links).
import { closeSync, constants, fstatSync, linkSync, lstatSync, openSync, readSync, unlinkSync } from 'node:fs';
import { utimesSeconds } from './utimes-seconds.js';
import { grown } from './grown-array.js';

/** A staging folder and the live folder whose files it may reuse. */
export interface ReuseTarget {
  dir: string;
  live: string;
}

/** What the extraction would give a new file: its data, mode, owner and mtime (seconds, as for utimes). */
export interface WantedFile {
  data: Buffer;
  at: number;
  length: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
}

/**
 * The files reused so far and their ctimes after the link. Each path is kept as the number of its staging
 * folder in `dirs` (one byte), its path below that folder and a NUL: at a shop's 120,000 files the
 * whole staged paths were 11 MB, and the log is held until the swap.
 */
export interface ReuseLogData {
  count: number;
  bytes: number;
  dirs: string[];
  paths: ArrayBuffer;
  ctimes: ArrayBuffer;
}

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** A ctime as Node's plain (not bigint) stats give it, so that the check before the swap can use those (cheaper). */
export function ctimeMsOf(ns: bigint): number {
  return Number(ns / 1_000_000_000n) * 1e3 + Number(ns % 1_000_000_000n) / 1e6;
}

export class LiveReuse {
  private readonly targets: ReuseTarget[];
  private scratch = Buffer.allocUnsafeSlow(64 * 1024);
  private paths = new Uint8Array(64 * 1024);
  private pathView = Buffer.from(this.paths.buffer);
  private pathBytes = 0;
  private ctimes = new Float64Array(1024);
  private count = 0;
  private bytes = 0;

  /**
   * `owner`: the owner a file compared with a member must have: the member's own (owners are restored),
   * or what a new file gets; undefined when that is not known (then no file is compared, only kept ones linked).
   */
  constructor(
    targets: ReuseTarget[],
    private readonly owner: 'as-archive' | { uid: number; gid: number } | undefined,
  ) {
    // The log keeps a target's number in a byte: a shop has a few (its root, a media folder, mount points).
    this.targets = targets.length > 255 ? [] : [...targets].sort((a, b) => b.dir.length - a.dir.length);
  }

  /** The number of the target a staged path lies in, or -1. */
  private targetOf(staged: string): number {
    return this.targets.findIndex((target) => staged.length > target.dir.length && staged.startsWith(target.dir) && staged[target.dir.length] === '/');
  }

  /** The live path of a staged one in target `t`. */
  private livePathOf(staged: string, t: number): string {
    return this.targets[t].live + staged.slice(this.targets[t].dir.length);
  }

  /** Links the live file to `staged` when it is exactly `wanted`; false (nothing made) otherwise. */
  tryLink(staged: string, wanted: WantedFile): boolean {
    const t = this.targetOf(staged);
    if (t < 0 || this.owner === undefined) return false;
    const live = this.livePathOf(staged, t);
    // Linked first, then compared through the staged name: what is compared is what was linked (the
    // staging is this extraction's own), however the shop renames its files meanwhile.
    try {
      linkSync(live, staged);
    } catch {
      return false; // not there (a new file), a folder, another filesystem, protected hard links: written as usual
    }
    let same = false;
    try {
      same = this.compareAndLog(staged, t, wanted);
    } finally {
      if (!same) unlinkSync(staged);
    }
    return same;
  }

  /** Whether the file linked at `staged` is `wanted` (logged when it is). */
  private compareAndLog(staged: string, t: number, wanted: WantedFile): boolean {
    let fd: number;
    try {
      fd = openSync(staged, READ_FLAGS);
    } catch {
      return false; // a symlink (O_NOFOLLOW), a file the owner may not read (mode 000): written as usual
    }
    try {
      const info = fstatSync(fd, { bigint: true });
      if (!this.sameMetadata(info, wanted) || !this.sameBytes(fd, wanted)) return false;
      this.log(t, staged, ctimeMsOf(info.ctimeNs), wanted.length);
      return true;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Links the live file that the snapshot's reading thread found to be the backed-up one (inode and ctime
   * as recorded: snapshot-read-worker.ts), and checks through the staged name that the link holds that
   * file: the same inode, size and mtime, and no other name. There is no data to write instead, so a file
   * the shop replaced or wrote into since it was found fails the extraction (nothing changed yet).
   */
  linkKept(staged: string, inode: number, size: number, mtime: number): void {
    const t = this.targetOf(staged);
    if (t < 0) throw new Error(`${staged} is outside the folders whose files may be kept`);
    const live = this.livePathOf(staged, t);
    const changed = () =>
      Object.assign(new Error(`${live} changed while the rollback was staging it, so it could not be kept; nothing was changed; roll back again with --maintenance so that the shop writes nothing meanwhile, or with --rewrite-all`), {
        code: 'ELIVECHANGED',
      });
    try {
      linkSync(live, staged);
    } catch {
      throw changed();
    }
    const info = lstatSync(staged, { bigint: true });
    if (!info.isFile() || info.ino !== BigInt(inode) || info.nlink !== 2n || info.size !== BigInt(size) || utimesSeconds(info.mtimeNs) !== mtime) {
      unlinkSync(staged);
      throw changed();
    }
    this.log(t, staged, ctimeMsOf(info.ctimeNs), size);
  }

  /** The log so far, handed over (the log starts again empty). */
  take(): ReuseLogData {
    const data: ReuseLogData = {
      count: this.count,
      bytes: this.bytes,
      dirs: this.targets.map((target) => target.dir),
      paths: this.paths.slice(0, this.pathBytes).buffer,
      ctimes: this.ctimes.slice(0, this.count).buffer,
    };
    this.paths = new Uint8Array(1024);
    this.pathView = Buffer.from(this.paths.buffer);
    this.ctimes = new Float64Array(16);
    this.pathBytes = this.count = this.bytes = 0;
    return data;
  }

  private sameMetadata(info: import('node:fs').BigIntStats, wanted: WantedFile): boolean {
    // Two names: the shop's and the staged one; a third would share the restored file with another place.
    if (!info.isFile() || info.nlink !== 2n || info.size !== BigInt(wanted.length)) return false;
    if (Number(info.mode & 0o7777n) !== wanted.mode) return false;
    const owner = typeof this.owner === 'object' ? this.owner : wanted;
    if (info.uid !== BigInt(owner.uid) || info.gid !== BigInt(owner.gid)) return false;
    return utimesSeconds(info.mtimeNs) === wanted.mtime;
  }

  private sameBytes(fd: number, wanted: WantedFile): boolean {
    if (this.scratch.length < wanted.length) this.scratch = Buffer.allocUnsafeSlow(Math.max(wanted.length, this.scratch.length * 2));
    let read = 0;
    while (read < wanted.length) {
      const n = readSync(fd, this.scratch, read, wanted.length - read, read);
      if (n === 0) return false; // shorter than it said a moment ago
      read += n;
    }
    return this.scratch.compare(wanted.data, wanted.at, wanted.at + wanted.length, 0, wanted.length) === 0;
  }

  private log(t: number, staged: string, ctime: number, length: number): void {
    const inner = this.targets[t].dir.length + 1;
    // A UTF-8 character is at most 3 bytes per UTF-16 unit: room for the worst case, then written.
    const room = this.pathBytes + 1 + (staged.length - inner) * 3 + 1;
    if (room > this.paths.length) {
      this.paths = grown(this.paths, Math.max(room, this.paths.length * 2));
      this.pathView = Buffer.from(this.paths.buffer);
    }
    this.paths[this.pathBytes++] = t;
    this.pathBytes += this.pathView.write(staged.slice(inner), this.pathBytes);
    this.paths[this.pathBytes++] = 0;
    if (this.count === this.ctimes.length) this.ctimes = grown(this.ctimes, this.count * 2);
    this.ctimes[this.count++] = ctime;
    this.bytes += length;
  }
}
