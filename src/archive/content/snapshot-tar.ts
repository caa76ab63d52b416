// A snapshot as a standard tar stream, made on the fly from its listing and blobs: what a rollback
// extracts (through the same reader, checks and extraction as a .tgz) and what a download sends (gzip-
// or zstd-compressed). Members are ustar with pax headers where ustar falls short, as the archives
// Lifeboat writes. Up to READ_AHEAD blobs are read and decompressed at once ahead of the stream, and
// small pieces (headers, small files) go out together in buffers of about 1 MiB.
import { BLOCK, encodeHeader, type TarHeader } from '../tar-header.js';
import type { BlobReader } from './blob-reader.js';
import type { BlobPlace } from './store-layout.js';
import { BlobDamagedError } from './blob-codec.js';
import { readListing, type ListingEntry } from './listing.js';

const READ_AHEAD = 16;
const OUT = 1 << 20;
/** GNU tar writes archives in records of 20 blocks. */
const RECORD = 20 * BLOCK;
const ZEROS = Buffer.alloc(RECORD);

function headerOf(entry: ListingEntry): TarHeader {
  const base = { path: entry.path, mode: entry.mode, uid: entry.uid, gid: entry.gid, mtimeNs: BigInt(entry.mtimeNs) };
  if (entry.type === 'file') return { ...base, type: 'file', size: entry.size ?? 0 };
  if (entry.type === 'dir') return { ...base, type: 'dir', size: 0 };
  return { ...base, type: entry.type, size: 0, linkname: entry.target ?? '' };
}

/** A piece of the stream: bytes at hand, or a blob being read. */
type Piece = Buffer | Promise<Buffer>;

/** The pieces of the tar stream in order: headers and padding as bytes, file contents as blob reads (started later). */
async function* pieces(reader: BlobReader, listing: readonly string[], include?: (path: string) => boolean): AsyncGenerator<Buffer | { packId: string; place: BlobPlace }> {
  let offset = 0;
  for await (const entry of readListing(reader, listing)) {
    if (include && !include(entry.path)) continue;
    const header = encodeHeader(headerOf(entry));
    yield header;
    offset += header.length;
    if (entry.type !== 'file') continue;
    let size = 0;
    for (const id of entry.chunks ?? []) {
      const found = reader.index.find(id);
      if (!found) throw new BlobDamagedError(`blob ${id} of ${entry.path} is not in the incremental store's index`);
      size += found.place.size;
      yield found; // read at its place: not looked up in the index again
    }
    if (size !== entry.size) throw new BlobDamagedError(`${entry.path}: its blobs hold ${size} bytes, the listing says ${entry.size}`);
    const padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (padding > 0) yield ZEROS.subarray(0, padding);
    offset += size + padding;
  }
  // The end-of-archive marker (two zero blocks), padded to a whole record.
  const end = offset + 2 * BLOCK;
  yield ZEROS.subarray(0, 2 * BLOCK + ((RECORD - (end % RECORD)) % RECORD));
}

/**
 * The tar stream of the snapshot whose listing is in blobs `listing` (only the entries whose path
 * `include` accepts, when given: their blobs alone are read). Every blob is checked against its
 * id as it is read: a damaged or missing one ends the stream with a BlobDamagedError. Each buffer
 * yielded is new (the reader may keep it), unless `reuse`: then small pieces are gathered in three
 * buffers in turn, one filled again once two more were yielded, for a reader that holds on to what it
 * got from the last two chunks only (readTar, as for an archive read on a thread: archive-read.ts). A
 * rollback's stream then spares the collector a fresh MiB per MiB of small files: V8 counts each as
 * external memory, and every 64 MiB or so of them started a full collection (about 34 in a rollback of
 * the bench's tree at scale 0.15).
 */
export async function* snapshotTar(reader: BlobReader, listing: readonly string[], include?: (path: string) => boolean, reuse = false): AsyncGenerator<Buffer> {
  const source = pieces(reader, listing, include);
  const ahead: Piece[] = [];
  let started = 0;
  let sourceDone = false;
  const ring = reuse ? [Buffer.allocUnsafe(OUT), Buffer.allocUnsafe(OUT), Buffer.allocUnsafe(OUT)] : undefined;
  let turn = 0;
  let out = ring ? ring[0] : Buffer.allocUnsafe(OUT);
  let used = 0;
  const fill = async () => {
    while (!sourceDone && started < READ_AHEAD) {
      const next = await source.next();
      if (next.done) {
        sourceDone = true;
        break;
      }
      const value = next.value;
      if (Buffer.isBuffer(value)) ahead.push(value);
      else {
        const read = reader.readAt(value.packId, value.place);
        read.catch(() => undefined); // awaited in turn below
        ahead.push(read);
        started++;
      }
    }
  };
  try {
    for (;;) {
      await fill();
      const piece = ahead.shift();
      if (piece === undefined) break;
      let bytes: Buffer;
      if (Buffer.isBuffer(piece)) bytes = piece;
      else {
        bytes = await piece;
        started--;
      }
      const big = bytes.length >= OUT / 2;
      if (used > 0 && (big || used + bytes.length > OUT)) {
        yield out.subarray(0, used);
        out = ring ? ring[++turn % ring.length] : Buffer.allocUnsafe(OUT);
        used = 0;
      }
      if (big) yield bytes;
      else used += bytes.copy(out, used);
    }
    if (used > 0) yield out.subarray(0, used);
  } finally {
    await source.return(undefined);
  }
}
