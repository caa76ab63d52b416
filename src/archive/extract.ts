// Extracting checked members into fresh staging folders. Every member passes MemberChecker first, and
// every path is created new (O_EXCL), in folders this extraction made itself, so nothing is ever
// written through a symlink or outside the staging folders. Modes and mtimes are restored always,
// owners when running as root; folders get theirs last, deepest first, once their contents are in.
// Small files and folders are made on a worker thread with synchronous calls (tree-writer.ts): for a
// tree of small files that is several times faster than a promise per open, write, chmod and close,
// and it overlaps with the reading of the archive here.
import { constants } from 'node:fs';
import { chmod, chown, copyFile, lchown, link, lstat, lutimes, open, symlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { createsOwnedBy, makesFolderExactly, probeCreation, type Creation } from './creation-probe.js';
import { FolderMetas, OpenFolders, setFolderMetaSync } from './folder-metas.js';
import type { TreeCounts } from './pack-tree.js';
import { emptyCounts } from './pack-tree.js';
import type { TarHeader } from './tar-header.js';
import type { TarMember } from './tar-reader.js';
import { MemberChecker, UnsafeArchiveError, type CheckedMember, type NameFolding } from './tar-safety.js';
import { TimeSlice } from './time-slice.js';
import { SMALL_FILE, TreeWriterThread } from './tree-writer.js';
import { isUnder } from './tree-rules.js';
import { ReusedFiles, type CtimeStep } from './reused-files.js';
import { keptInode } from './live-identity.js';
import { utimesSeconds } from './utimes-seconds.js';

export { utimesSeconds };

/** Members under `rel` (relative to the archive's root) go into `dir`; the longest `rel` wins. */
export interface ExtractTarget {
  rel: string;
  dir: string;
  /** The live folder `dir` replaces: a small file found there unchanged is hard-linked, not written (live-reuse.ts). */
  live?: string;
}

export interface ExtractOptions {
  targets: ExtractTarget[];
  folding: NameFolding;
  /** chown to the archive's uid/gid (only root may). */
  preserveOwners: boolean;
  /** Extract only the members this accepts, checked and normalised (every member is still checked). */
  only?: (member: CheckedMember) => boolean;
  /** Called for every member that was extracted, with its normalised path. */
  onMember?: (member: CheckedMember, size: number) => void;
  /**
   * The inode and ctime the backup recorded for a file member, asked in archive order (the file index:
   * index-cursor.ts): a live file still that inode with that ctime is kept without reading it.
   */
  identityOf?: (path: string) => { ino: bigint; ctimeNs: bigint } | undefined;
  signal?: AbortSignal;
}

export interface ExtractResult {
  counts: TreeCounts;
  /** The folders the archive lists, with their metadata (for re-applying after a swap). */
  folders: FolderMetas;
  /** Files that are the live folders' own, hard-linked: checked again before a swap. */
  reused: ReusedFiles;
}

const seconds = utimesSeconds;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const NOW = () => Date.now() / 1000;


export async function extractTar(members: AsyncIterable<TarMember>, options: ExtractOptions): Promise<ExtractResult> {
  const extraction = new Extraction(options);
  let reused: ReusedFiles;
  try {
    for await (const member of members) {
      // Most members are made without waiting for anything: no promise for them (see Extraction.add).
      const waiting = extraction.add(member);
      if (waiting) await waiting;
    }
    await extraction.finishFolders();
    reused = await extraction.reused();
  } finally {
    await extraction.close();
  }
  return { counts: extraction.counts, folders: extraction.folders, reused };
}

/** One extraction: where members go, the writing thread, and the folders still to be given their metadata. */
class Extraction {
  readonly counts = emptyCounts();
  readonly folders = new FolderMetas();
  private readonly targets: ExtractTarget[];
  private readonly checker: MemberChecker;
  private readonly creation: Creation | undefined;
  private readonly writer: TreeWriterThread;
  // A folder gets its mode, owner and mtime on the writing thread as soon as the extraction has left
  // it: a pass over every folder after all the writing was a tenth of a big rollback. The final pass
  // keeps the folders still open, read-only ones, and any that an archive out of order came back to.
  private readonly inside = new OpenFolders();
  private readonly reopen = (rel: string) => this.folders.reopen(rel);
  // Only the folder the previous member went into is remembered, not every folder made (that was a
  // string per folder for the whole extraction): an archive lists a folder's members together, and
  // for the others a recursive mkdir finds the folder there without an error. Whatever exists on the
  // way was made by this extraction: the checker lets no member be a file or symlink above another.
  private lastFolder = '';
  private readonly slice = new TimeSlice();
  /** Whether the writing thread may reuse live files; the ctimes the archive's own hard links gave files. */
  private readonly reuses: boolean;
  private readonly linkedOriginals: CtimeStep[] = [];

  constructor(private readonly options: ExtractOptions) {
    this.targets = [...options.targets].sort((a, b) => b.rel.length - a.rel.length);
    this.checker = new MemberChecker(options.folding);
    this.creation = probeCreation(this.targets.map((t) => t.dir));
    const reuse = this.targets.flatMap((t) => (t.live === undefined ? [] : [{ dir: t.dir, live: t.live }]));
    this.reuses = reuse.length > 0;
    this.writer = new TreeWriterThread(options.preserveOwners, this.creation, reuse);
  }

  /**
   * Checks one member and makes it. A folder or a small file whose data is at hand (nearly every member)
   * is checked and queued for the writing thread at once, and undefined returned; a promise only when
   * something has to be waited for: the event loop's turn, the writing thread, a big file's data, a link.
   * A promise per member and per step was a good part of the main thread's garbage.
   */
  add(member: TarMember): Promise<void> | undefined {
    this.options.signal?.throwIfAborted();
    if (this.slice.due || this.writer.mustWait) return this.addAfterWaiting(member);
    const checked = this.checker.check(member.header);
    if (!checked || (this.options.only && !this.options.only(checked))) return undefined;
    for (let left = this.inside.leave(checked.path); left !== undefined; left = this.inside.leave(checked.path)) this.finish(left);
    this.inside.between(checked.path, this.reopen);
    const { header } = member;
    const { abs, target } = this.locate(checked.path);
    let kept: number | undefined;
    if (abs === target.dir && checked.type !== 'dir') {
      throw new UnsafeArchiveError(`${checked.path} is a folder of its own in the shop (a mount point or a symlinked media folder), but a ${checked.type} in the archive`);
    }
    if (abs !== target.dir) {
      const slash = abs.lastIndexOf(path.sep);
      this.ensureFolder(abs, slash === 0 ? 1 : slash); // as path.dirname: the parent of `/a` is `/`
    }
    if (checked.type === 'dir') this.makeFolder(checked, abs, header);
    else if (checked.type === 'file' && header.kept) {
      // The live file itself, unchanged since the backup (an incremental backup's; no data came for it).
      if (!this.reuses) throw new Error(`${checked.path} came without its data to be kept from the shop, but this extraction keeps no files`);
      this.writer.queueKept(abs, header.kept.inode, header.size, seconds(header.mtimeNs));
      this.counts.files++;
      this.counts.bytes += header.size;
    } else if (checked.type === 'file' && (kept = this.keptByIdentity(checked.path, header, target)) !== undefined) {
      // The live file is the one the archive's member was read from (its data is skipped, not read).
      this.writer.queueKept(abs, kept, header.size, seconds(header.mtimeNs));
      this.counts.files++;
      this.counts.bytes += header.size;
    } else if (checked.type === 'file' && member.data && header.size <= SMALL_FILE) {
      if (member.data.length !== header.size) throw new UnsafeArchiveError(`${checked.path}: ${member.data.length} bytes of data, the header says ${header.size}`);
      this.writer.queueFile(abs, member.data, header.mode, header.uid, header.gid, seconds(header.mtimeNs));
      this.counts.files++;
      this.counts.bytes += header.size;
    } else return this.addWaiting(checked, abs, member);
    this.options.onMember?.(checked, header.size);
    return undefined;
  }

  private async addAfterWaiting(member: TarMember): Promise<void> {
    await this.slice.pause();
    await this.writer.room();
    await this.add(member);
  }

  /** The rest of add() for a member that needs waiting for: a file whose data is still to come, a big file, a link. */
  private async addWaiting(checked: CheckedMember, abs: string, member: TarMember): Promise<void> {
    const { header } = member;
    // What is done here rather than on the writing thread needs the folders made and the files written.
    if (checked.type !== 'file' || header.size > SMALL_FILE) await this.writer.drain();
    switch (checked.type) {
      case 'file':
        if (header.size <= SMALL_FILE) await this.writeSmallFile(checked, abs, member);
        else await writeFile(checked.path, abs, header, member.body, this.options.preserveOwners);
        this.counts.files++;
        this.counts.bytes += header.size;
        break;
      case 'symlink':
        await this.makeSymlink(abs, header);
        break;
      case 'hardlink':
        await this.makeHardlink(checked, abs);
        break;
      case 'dir':
        break; // made in add()
    }
    this.options.onMember?.(checked, header.size);
  }

  /** The inode of the live file `rel` when the index's identity of the member finds it unchanged (live-identity.ts). */
  private keptByIdentity(rel: string, header: TarHeader, target: ExtractTarget): number | undefined {
    if (target.live === undefined || !this.options.identityOf) return undefined;
    const identity = this.options.identityOf(rel);
    if (!identity) return undefined;
    const inner = target.rel === '' ? rel : rel.slice(target.rel.length + 1);
    const { size, mtimeNs, mode, uid, gid } = header;
    return keptInode(`${target.live}${path.sep}${inner}`, { ...identity, size, mtimeNs, mode, uid, gid });
  }

  /** Where a member goes: under the target with the longest `rel` that holds it. */
  private locate(rel: string): { abs: string; target: ExtractTarget } {
    const target = this.targets.find((t) => isUnder(rel, t.rel));
    if (!target) throw new UnsafeArchiveError(`member ${JSON.stringify(rel)} has no place to go`);
    const inner = target.rel === '' ? rel : rel.slice(target.rel.length + 1);
    // `rel` is normal (the checker made it so: no empty, `.` or `..` names): joined without path.join's
    // normalising, which was the most garbage of any call per member.
    return { abs: inner === '' ? target.dir : `${target.dir}${path.sep}${inner}`, target };
  }

  /** A folder the extraction has left: its metadata now, on the writing thread. */
  private finish(rel: string): void {
    const meta = this.folders.get(rel);
    // Without write and search permission for its owner a folder could not take a late member: it waits.
    if (!meta || (meta.mode & 0o300) !== 0o300) return;
    this.writer.queueFolderMeta(this.locate(rel).abs, meta.mode, meta.uid, meta.gid, seconds(meta.mtimeNs));
    this.folders.applied(rel);
  }

  /**
   * Makes the folder that is `abs` cut at `end` (its whole length, or a member's last separator: its
   * parent, compared in place before a string is cut for it). `mode`: a folder's own member's, made with
   * it when the umask allows (its chmod is then skipped).
   */
  private ensureFolder(abs: string, end: number, mode?: number): void {
    const last = this.lastFolder;
    if (end === last.length && abs.startsWith(last)) return;
    const folder = end === abs.length ? abs : abs.slice(0, end);
    this.writer.queueMkdir(folder, mode !== undefined && makesFolderExactly(this.creation, mode) ? mode : undefined);
    this.lastFolder = folder;
  }

  private makeFolder(checked: CheckedMember, abs: string, header: TarHeader): void {
    this.ensureFolder(abs, abs.length, header.mode);
    this.folders.set(checked.path, { mode: header.mode, uid: header.uid, gid: header.gid, mtimeNs: header.mtimeNs });
    this.inside.enter(checked.path);
    this.counts.dirs++;
  }

  /** A small file whose data was not all at hand (add() queues the others at once). */
  private async writeSmallFile(checked: CheckedMember, abs: string, member: TarMember): Promise<void> {
    const { header } = member;
    // Inflating goes on on the reading thread meanwhile. The pieces are copied straight into
    // the writing thread's batch buffer (a file across two inflated chunks is not joined into a
    // buffer of its own first: that was one more allocation per image for the collector to find).
    const parts: Buffer[] = [];
    let length = 0;
    for await (const chunk of member.body) {
      parts.push(chunk);
      length += chunk.length;
    }
    if (length !== header.size) throw new UnsafeArchiveError(`${checked.path}: ${length} bytes of data, the header says ${header.size}`);
    await this.writer.writeFile(abs, { mode: header.mode, uid: header.uid, gid: header.gid, mtime: seconds(header.mtimeNs) }, parts, length);
  }

  private async makeSymlink(abs: string, header: TarHeader): Promise<void> {
    await symlink(header.linkname ?? '', abs);
    await this.setOwner(abs, header.uid, header.gid, true);
    await lutimes(abs, NOW(), seconds(header.mtimeNs));
    this.counts.symlinks++;
  }

  private async makeHardlink(checked: CheckedMember, abs: string): Promise<void> {
    const original = this.locate(checked.linkTarget ?? '').abs;
    // The link changes the file's ctime: a reused file (live-reuse.ts) would look written by the shop.
    const before = this.reuses ? (await lstat(original)).ctimeMs : undefined;
    try {
      await link(original, abs);
      if (before !== undefined) this.linkedOriginals.push({ path: original, before, after: (await lstat(original)).ctimeMs });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      // The two names ended up on two filesystems (one under a mount point): a copy is the best there is.
      const info = await lstat(original);
      await copyFile(original, abs, constants.COPYFILE_EXCL);
      await this.setOwner(abs, info.uid, info.gid);
      await chmod(abs, info.mode & 0o7777);
      await utimes(abs, NOW(), info.mtimeMs / 1000);
    }
    this.counts.hardlinks++;
  }

  private async setOwner(abs: string, uid: number, gid: number, isLink = false): Promise<void> {
    if (this.options.preserveOwners) await (isLink ? lchown : chown)(abs, uid, gid);
  }

  /** Once every member is in. */
  async finishFolders(): Promise<void> {
    await this.writer.drain();
    // The folders left, deepest first: adding their contents changed their mtimes, and a read-only
    // folder must still be writable while it is filled.
    for (const [rel, meta] of this.folders.pendingDeepestFirst()) {
      await this.slice.pause();
      const chown = this.options.preserveOwners && !createsOwnedBy(this.creation, meta.uid, meta.gid);
      setFolderMetaSync(this.locate(rel).abs, meta.mode, meta.uid, meta.gid, seconds(meta.mtimeNs), chown);
    }
  }

  /** The files the writing thread reused (none when no target has a live folder). */
  async reused(): Promise<ReusedFiles> {
    return this.reuses ? new ReusedFiles(await this.writer.takeReuseLog(), this.linkedOriginals) : ReusedFiles.none;
  }

  async close(): Promise<void> {
    await this.writer.close();
  }
}

/** A file too big for the writing thread's batches: written here, as it is inflated. `rel` names it in errors, as for small files. */
async function writeFile(rel: string, abs: string, header: TarHeader, body: AsyncIterable<Buffer>, preserveOwners: boolean): Promise<void> {
  const handle = await open(abs, CREATE_FLAGS, 0o600);
  try {
    let written = 0;
    for await (const chunk of body) {
      for (let offset = 0; offset < chunk.length; ) {
        const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
        offset += bytesWritten;
      }
      written += chunk.length;
    }
    if (written !== header.size) throw new UnsafeArchiveError(`${rel}: ${written} bytes of data, the header says ${header.size}`);
    if (preserveOwners) await handle.chown(header.uid, header.gid);
    await handle.chmod(header.mode);
    await handle.utimes(NOW(), seconds(header.mtimeNs));
  } finally {
    await handle.close();
  }
}
