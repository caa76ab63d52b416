// Reading single files of a tree archive from where its file index says they are (file-index.ts): the
// archive is opened at the compressed offset of the frame that holds the file's tar header and inflated
// from there, the header's position in that frame is skipped, and the member is read to its end (a big
// file goes on through the frames after it); nothing before the frame is read. Each file's bytes are
// checked against the CRC-32 the index holds for it (the index is checked against the manifest's
// sha256 before it is trusted), and the codec checks each frame it inflates whole: a one-file restore
// cannot check the whole archive's sha256 without reading all of it. The archive is opened by the caller
// from an offset on: a local file, or a ranged read of the bucket's copy (decrypted from the encryption
// chunk that holds the offset: archive/encrypt.ts chunks are independent).
import { createReadStream } from 'node:fs';
import { pipeline, type Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import type { Codec } from './codec/codec.js';
import type { FrameLocation } from './codec/frame-table.js';
import { withCrc32, type FileIndexEntry } from './file-index.js';
import { TarFormatError } from './tar-header.js';
import { readTar, type TarMember } from './tar-reader.js';
import { normaliseMemberPath } from './tar-safety.js';

/** An index entry of a file whose place in the archive is recorded. */
export type LocatedFile = FileIndexEntry & { type: 'file'; crc32: number; at: FrameLocation };

export const isLocatedFile = (entry: FileIndexEntry): entry is LocatedFile => entry.type === 'file' && entry.at !== undefined && entry.crc32 !== undefined;

/** What the reading cost: compressed bytes read from the archive file. */
export interface IndexedReadCount {
  compressedBytes: number;
}

/** The archive's compressed bytes from `offset` to its end, read as the stream is consumed (and stopped by destroying it). */
export type ArchiveOpener = (offset: number) => Promise<Readable>;

/** Compressed bytes asked of the file per read. */
const READ_CHUNK = 256 << 10;

/** An archive file of the local disk, opened at an offset. */
export const localArchive =
  (file: string): ArchiveOpener =>
  (offset) =>
    Promise.resolve(createReadStream(file, { start: offset, highWaterMark: READ_CHUNK }));

/**
 * The members of `files` (in the archive's order), each read from its own frame on. A member that is
 * not the file the index names there, or whose bytes do not match its CRC-32, is a TarFormatError (the
 * archive or the index is damaged). The caller reads each member's data (or `data`) before the next.
 */
export async function* readIndexedMembers(open: ArchiveOpener, codec: Codec, files: readonly LocatedFile[], count: IndexedReadCount): AsyncGenerator<TarMember> {
  for (const entry of files) yield* readIndexedMember(open, codec, entry, count);
}

/** The member of one file, read from its frame on (see readIndexedMembers); its CRC-32 is checked when the caller asks for more. */
export async function* readIndexedMember(open: ArchiveOpener, codec: Codec, entry: LocatedFile, count: IndexedReadCount): AsyncGenerator<TarMember> {
  const opened = await openMembersAt(open, codec, entry.at, count);
  try {
    const first = await opened.members.next();
    const taken = takeIndexedMember(entry, first.done ? undefined : first.value);
    yield taken.member;
    taken.check();
  } finally {
    opened.close();
  }
}

/** The members of the archive's tar stream from `at` on: its frame opened and inflated, the bytes before `within` skipped. */
export async function openMembersAt(open: ArchiveOpener, codec: Codec, at: FrameLocation, count: IndexedReadCount): Promise<{ members: AsyncGenerator<TarMember>; close(): void }> {
  const raw = await open(at.frame);
  raw.on('data', (chunk) => (count.compressedBytes += chunk.length));
  const inflated = pipeline(raw, codec.createDecompressor(), () => undefined) as Readable;
  return {
    members: readTar(fromPosition(inflated, at.within)),
    close: () => {
      inflated.destroy();
      raw.destroy();
    },
  };
}

/**
 * `member` as the file the index names there, to be handed on, and the check of its CRC-32 to run once
 * its data was read (a small file's came with its header; a big one's is checked as the consumer reads it).
 */
export function takeIndexedMember(entry: LocatedFile, member: TarMember | undefined): { member: TarMember; check(): void } {
  if (!member) throw mismatch(entry, 'no member');
  const found = normaliseMemberPath(member.header.path);
  if (found !== entry.path || member.header.type !== 'file' || member.header.size !== entry.size) throw mismatch(entry, `${found} (${member.header.type}, ${member.header.size} bytes)`);
  const crc = { value: member.data ? crc32(member.data) : 0 };
  return {
    member: member.data ? member : { ...member, body: withCrc32(member.body, entry.size, crc) },
    check: () => {
      if (crc.value !== entry.crc32) throw new TarFormatError(`${entry.path} does not match the CRC-32 its file index holds`);
    },
  };
}

function mismatch(entry: LocatedFile, found: string): TarFormatError {
  return new TarFormatError(`the file index places ${entry.path} at byte ${entry.at.frame} (+${entry.at.within}), but the archive holds ${found} there`);
}

/** The stream's bytes from `position` on. */
async function* fromPosition(stream: AsyncIterable<Buffer>, position: number): AsyncGenerator<Buffer> {
  let skip = position;
  for await (const chunk of stream) {
    if (skip >= chunk.length) {
      skip -= chunk.length;
      continue;
    }
    yield skip > 0 ? chunk.subarray(skip) : chunk;
    skip = 0;
  }
}
