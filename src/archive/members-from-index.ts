// A tree rollback's members made from the archive's file index, for a rollback that keeps most of the
// shop's files (the very files the backup read, unchanged since: live-identity.ts). Folders and symlinks
// are made from their index lines, a kept file is handed over as the live file (no data: the extraction
// hard-links it), and only the files written anew are read from the archive, inflated from the frame
// their header starts in (indexed-members.ts). Frames that hold only kept files are not inflated at all:
// inflating the whole archive was most of a small shop's tree rollback, though 15 of its 6,000 files had
// changed (the bench's tree at scale 0.05: they sat in 14 of 187 frames). The archive is still checked
// whole, its raw bytes against the manifest's sha256 (archive-read.ts digestArchive), and the index is
// used only when it is the one the manifest names: the members are then the archive's.
// Lines are parsed and live files looked at as the extraction asks for members, so that this work runs
// while the extraction's writing thread makes what came before. Whether to read this way at all is
// decided from a sample of the index's files: when nearly all of them are kept. Files to read that lie close
// together are read in one pass of the archive (the members between them inflated and passed over), so a
// sample that misjudged costs about one read of the archive, not one per file.
import type { Codec } from './codec/codec.js';
import type { FrameLocation } from './codec/frame-table.js';
import { parseIndexLine, type FileIndexEntry } from './file-index.js';
import { isLocatedFile, openMembersAt, takeIndexedMember, type ArchiveOpener, type IndexedReadCount, type LocatedFile } from './indexed-members.js';
import { keptFile } from './live-identity.js';
import { TarFormatError, type TarHeader } from './tar-header.js';
import type { TarMember } from './tar-reader.js';

/** Where the archive's frames are read from, and what reading them cost. */
export interface FrameSource {
  open: ArchiveOpener;
  codec: Codec;
  count: IndexedReadCount;
}

/** Where the shop has a member's path now (undefined: nothing of the shop is kept there). */
export type LiveOf = (rel: string) => string | undefined;

/**
 * File lines looked at to decide, and the share of them that must be kept. A file read from its place
 * costs an open and part of a frame inflated on the main thread (1-3 ms), where the whole archive is
 * inflated on a thread of its own alongside the writing: with 600 of 6,600 files to read (empty ones,
 * which are never kept) the rollback took 1.8-2.1 s against 1.3-1.6 s reading everything; with 16 it saves
 * the whole inflating. 512 lines (about 10 ms of lstat) tell 2 % apart.
 */
const SAMPLE = 512;
const KEPT_SHARE = 0.98;
/**
 * Compressed bytes between a file read and the next one to read, up to which the stream already open is
 * read on rather than opened again at the next one's frame (an open and a frame's start inflated cost
 * about as much as inflating this much).
 */
const READ_ON = 1 << 20;

const NO_DATA: AsyncIterable<Buffer> = { async *[Symbol.asyncIterator]() {} };
const FILE_TYPE = ',"file",';

/**
 * The archive's members as above, or undefined when the index cannot describe them (a folder or symlink
 * without its metadata, a file without its place, a hard link) or a sample of its files finds fewer than
 * KEPT_SHARE of them kept: the whole archive is then read as usual.
 */
export function membersFromIndex(text: string, liveOf: LiveOf, source: FrameSource): AsyncGenerator<TarMember> | undefined {
  const lines = text.split('\n').filter((line) => line !== '');
  return mostlyKept(lines, liveOf) ? members(lines, liveOf, source) : undefined;
}

/** Whether evenly spaced lines all describe their members and most of their files are kept. */
function mostlyKept(lines: readonly string[], liveOf: LiveOf): boolean {
  const files = lines.filter((line) => line.includes(FILE_TYPE));
  let kept = 0;
  let looked = 0;
  const step = Math.max(1, Math.floor(files.length / SAMPLE));
  for (let i = 0; i < files.length; i += step, looked++) if (keptHeader(parsed(files[i]), liveOf)) kept++;
  const others = lines.find((line) => !line.includes(FILE_TYPE));
  if (others !== undefined && headerOf(parsed(others)) === undefined) return false;
  return looked > 0 && kept >= looked * KEPT_SHARE;
}

function parsed(line: string): FileIndexEntry {
  return parseIndexLine(line, `a line of the file index is not an index entry: ${line.slice(0, 200)}`);
}

/** A kept file's header, from its live stats (the backup's mode and owner: a chmod or chown would have moved the ctime). */
function keptHeader(entry: FileIndexEntry, liveOf: LiveOf): TarHeader | undefined {
  if (entry.type !== 'file' || !entry.identity || !isLocatedFile(entry)) return undefined;
  const live = liveOf(entry.path);
  const info = live === undefined ? undefined : keptFile(live, { ...entry.identity, size: entry.size, mtimeNs: entry.mtimeNs });
  if (!info) return undefined;
  return { path: entry.path, type: 'file', mode: info.mode & 0o7777, uid: info.uid, gid: info.gid, size: entry.size, mtimeNs: entry.mtimeNs, kept: { inode: info.ino } };
}

/** A folder's or symlink's header, from its index line; undefined when the line lacks what it needs. */
function headerOf(entry: FileIndexEntry): TarHeader | undefined {
  const { meta } = entry;
  if (!meta || (entry.type !== 'dir' && entry.type !== 'symlink') || (entry.type === 'symlink' && meta.target === undefined)) return undefined;
  const header: TarHeader = { path: entry.path, type: entry.type, mode: meta.mode, uid: meta.uid, gid: meta.gid, size: 0, mtimeNs: entry.mtimeNs };
  if (meta.target !== undefined) header.linkname = meta.target;
  return header;
}

async function* members(lines: readonly string[], liveOf: LiveOf, source: FrameSource): AsyncGenerator<TarMember> {
  const reader = new FileReader(source);
  try {
    for (const line of lines) {
      const entry = parsed(line);
      const header = entry.type === 'file' ? keptHeader(entry, liveOf) : headerOf(entry);
      if (header) {
        reader.passed();
        yield { header, body: NO_DATA, offset: 0 };
      } else if (isLocatedFile(entry)) yield await reader.read(entry);
      else throw new TarFormatError(`the file index cannot describe ${entry.path} (a ${entry.type}${entry.type === 'file' ? ' without its place' : ' without its metadata'}), though it said it could`);
    }
    reader.finish();
  } finally {
    reader.close();
  }
}

/** Reads the files to be written from the archive, one pass for those close together (see READ_ON). */
class FileReader {
  private stream: { members: AsyncGenerator<TarMember>; close(): void } | undefined;
  /** The frame of the last file read from the open stream. */
  private frame = 0;
  /** Members the index listed since the last file read, each one the open stream holds before the next file. */
  private between = 0;
  /** The CRC-32 check of the last file read, run once its data was taken. */
  private check: (() => void) | undefined;

  constructor(private readonly source: FrameSource) {}

  passed(): void {
    this.between++;
  }

  async read(entry: LocatedFile): Promise<TarMember> {
    this.finish();
    if (this.stream && entry.at.frame - this.frame <= READ_ON) {
      for (; this.between > 0; this.between--) await this.stream.members.next();
    } else await this.reopen(entry.at);
    const next = await this.stream!.members.next();
    const taken = takeIndexedMember(entry, next.done ? undefined : next.value);
    this.frame = entry.at.frame;
    this.between = 0;
    this.check = taken.check;
    return taken.member;
  }

  /** Checks the last file read (its data was taken by now). */
  finish(): void {
    const check = this.check;
    this.check = undefined;
    check?.();
  }

  private async reopen(at: FrameLocation): Promise<void> {
    this.close();
    this.stream = await openMembersAt(this.source.open, this.source.codec, at, this.source.count);
  }

  close(): void {
    this.stream?.close();
    this.stream = undefined;
  }
}
