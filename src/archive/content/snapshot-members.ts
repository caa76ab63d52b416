// A snapshot as the members a tar reader would give (TarMember), made straight from its listing and
// blobs: what a rollback extracts, through the same checks and extraction as a .tgz's members, without
// encoding tar headers only to parse them again and copying every small file into a stream and out of
// it (on the bench's tree at scale 0.15 that round trip was most of the extra CPU an incremental
// rollback had over a .tgz one). Blobs are read ahead of the extraction (readingAhead); each is checked
// against its id as it is read (a damaged or missing one ends the members with a BlobDamagedError), also
// those of members the extraction leaves unread.
import type { TarMember } from '../tar-reader.js';
import type { BlobReader } from './blob-reader.js';
import { readingAhead, snapshotParts, type MemberStart } from './snapshot-tar.js';

const EMPTY = Buffer.alloc(0);
const NO_DATA: AsyncIterable<Buffer> = { async *[Symbol.asyncIterator]() {} };
const dataOf = (data: Buffer): AsyncIterable<Buffer> => ({
  async *[Symbol.asyncIterator]() {
    yield data;
  },
});

/** The members of the snapshot whose listing is in blobs `listing` (only the paths `include` accepts). */
export async function* snapshotMembers(reader: BlobReader, listing: readonly string[], include?: (path: string) => boolean): AsyncGenerator<TarMember> {
  // Member starts, each followed by its blobs' bytes.
  const parts = readingAhead(reader, snapshotParts(reader, listing, include));
  const nextBlob = async () => (await parts.next()).value as Buffer;
  let offset = 0;
  try {
    for (;;) {
      const next = await parts.next();
      if (next.done) break;
      const { header, blobs } = next.value as MemberStart;
      let left = blobs;
      if (left === 0) yield { header, body: NO_DATA, offset, ...(header.type === 'file' ? { data: EMPTY } : {}) };
      else if (left === 1) {
        const data = await nextBlob();
        left = 0;
        yield { header, body: dataOf(data), offset, data };
      } else {
        const body = async function* () {
          while (left > 0) {
            left--;
            yield await nextBlob();
          }
        };
        yield { header, body: body(), offset };
      }
      // What the extraction left unread is still read, and so checked.
      while (left > 0) {
        left--;
        await nextBlob();
      }
      offset++; // no tar stream is made, so no byte offset: the member's number, for order alone
    }
  } finally {
    await parts.return(undefined);
  }
}
