// A snapshot as a standard tar stream, made on the fly from its listing and blobs: what a download sends
// (gzip- or zstd-compressed), what verify reads and a restore takes the dump from (a rollback and a drill
// take the members straight, on a thread of their own: snapshot-read.ts, which shares headerOf and
// placesOf). Members are ustar with pax headers where ustar falls short, as the archives
// Lifeboat writes. Up to READ_AHEAD blobs are read and decompressed at once ahead of the stream, and
// small pieces (headers, small files) go out together in buffers of about 1 MiB.
import { BLOCK, encodeHeader, type TarHeader } from '../tar-header.js';
import type { BlobIndex } from './blob-index.js';
import type { BlobReader } from './blob-reader.js';
import type { BlobPlace } from './store-layout.js';
import { BlobDamagedError } from './blob-codec.js';
import { readListing, type ListingEntry } from './listing.js';

const READ_AHEAD = 16;
const OUT = 1 << 20;
/** GNU tar writes archives in records of 20 blocks. */
const RECORD = 20 * BLOCK;
const ZEROS = Buffer.alloc(RECORD);

/** An entry's tar header, made from its listing line. */
export function headerOf(entry: ListingEntry): TarHeader {
  const base = { path: entry.path, mode: entry.mode, uid: entry.uid, gid: entry.gid, mtimeNs: BigInt(entry.mtimeNs) };
  if (entry.type === 'file') return { ...base, type: 'file', size: entry.size ?? 0 };
  if (entry.type === 'dir') return { ...base, type: 'dir', size: 0 };
  return { ...base, type: entry.type, size: 0, linkname: entry.target ?? '' };
}

/** A blob to read: its pack and place there. */
export interface BlobAt {
  packId: string;
  place: BlobPlace;
}

/** A member to come: its header, and how many blobs (BlobAt, next in the parts) hold its data. */
export interface MemberStart {
  header: TarHeader;
  blobs: number;
}

/**
 * Where the blobs of `entry`'s data are (none but a file's); a blob the index lacks, or blobs that do not
 * add up to the file's size, are a BlobDamagedError.
 */
export function placesOf(index: BlobIndex, entry: ListingEntry): BlobAt[] {
  const chunks = entry.type === 'file' ? (entry.chunks ?? []) : [];
  const places = chunks.map((id) => {
    const found = index.find(id);
    if (!found) throw new BlobDamagedError(`blob ${id} of ${entry.path} is not in the incremental store's index`);
    return found;
  });
  const size = places.reduce((sum, found) => sum + found.place.size, 0);
  if (entry.type === 'file' && size !== entry.size) throw new BlobDamagedError(`${entry.path}: its blobs hold ${size} bytes, the listing says ${entry.size}`);
  return places;
}

/**
 * The snapshot's members in listing order (those `include` accepts), each followed by the places of its
 * blobs; a blob the index lacks, or blobs that do not add up to the file's size, end it with a
 * BlobDamagedError.
 */
export async function* snapshotParts(reader: BlobReader, listing: readonly string[], include?: (path: string) => boolean): AsyncGenerator<MemberStart | BlobAt> {
  for await (const entry of readListing(reader, listing)) {
    if (include && !include(entry.path)) continue;
    const places = placesOf(reader.index, entry);
    yield { header: headerOf(entry), blobs: places.length };
    yield* places; // read at their place: not looked up in the index again
  }
}

const isBlobAt = (part: object): part is BlobAt => 'packId' in part && 'place' in part;

/**
 * `parts` in order, each blob place replaced by the blob's bytes (read, decompressed and checked):
 * up to READ_AHEAD blobs are being read at once ahead of the one the caller takes.
 */
export async function* readingAhead<T extends object>(reader: BlobReader, parts: AsyncGenerator<T | BlobAt>): AsyncGenerator<T | Buffer> {
  const ahead: (T | Promise<Buffer>)[] = [];
  let reading = 0;
  let partsDone = false;
  try {
    for (;;) {
      while (!partsDone && reading < READ_AHEAD) {
        const next = await parts.next();
        if (next.done) partsDone = true;
        else if (!isBlobAt(next.value)) ahead.push(next.value);
        else {
          const read = reader.readSmallAt(next.value.packId, next.value.place);
          read.catch(() => undefined); // awaited in turn below
          ahead.push(read);
          reading++;
        }
      }
      const item = ahead.shift();
      if (item === undefined) return;
      if (item instanceof Promise) {
        reading--;
        yield await item;
      } else yield item;
    }
  } finally {
    await parts.return(undefined);
  }
}

const isMemberStart = (part: MemberStart | BlobAt): part is MemberStart => 'header' in part;

/** The pieces of the tar stream in order: headers and padding as bytes, file contents as blob reads (started later). */
async function* pieces(reader: BlobReader, listing: readonly string[], include?: (path: string) => boolean): AsyncGenerator<Buffer | BlobAt> {
  let offset = 0;
  let padding = 0;
  for await (const part of snapshotParts(reader, listing, include)) {
    if (!isMemberStart(part)) {
      yield part;
      continue;
    }
    if (padding > 0) yield ZEROS.subarray(0, padding);
    const header = encodeHeader(part.header);
    yield header;
    const size = part.header.type === 'file' ? part.header.size : 0;
    padding = (BLOCK - (size % BLOCK)) % BLOCK;
    offset += header.length + size + padding;
  }
  if (padding > 0) yield ZEROS.subarray(0, padding);
  // The end-of-archive marker (two zero blocks), padded to a whole record.
  const end = offset + 2 * BLOCK;
  yield ZEROS.subarray(0, 2 * BLOCK + ((RECORD - (end % RECORD)) % RECORD));
}

/**
 * The tar stream of the snapshot whose listing is in blobs `listing` (only the entries whose path
 * `include` accepts, when given: their blobs alone are read). Every blob is checked against its
 * id as it is read: a damaged or missing one ends the stream with a BlobDamagedError. Each buffer
 * yielded is new (the reader may keep it: a download's compressor does). A rollback and a drill do not
 * read this stream: they take the members straight, read on a thread of their own (snapshot-read.ts).
 */
export async function* snapshotTar(reader: BlobReader, listing: readonly string[], include?: (path: string) => boolean): AsyncGenerator<Buffer> {
  let out = Buffer.allocUnsafe(OUT);
  let used = 0;
  for await (const bytes of readingAhead(reader, pieces(reader, listing, include))) {
    const big = bytes.length >= OUT / 2;
    if (used > 0 && (big || used + bytes.length > OUT)) {
      yield out.subarray(0, used);
      out = Buffer.allocUnsafe(OUT);
      used = 0;
    }
    if (big) yield bytes;
    else used += bytes.copy(out, used);
  }
  if (used > 0) yield out.subarray(0, used);
}
