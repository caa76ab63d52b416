// A snapshot as the members a tar reader would give (TarMember), made straight from its listing and
// blobs: what a rollback extracts, through the same checks and extraction as a .tgz's members, without
// encoding tar headers only to parse them again and copying every small file into a stream and out of
// it (on the bench's tree at scale 0.15 that round trip was most of the extra CPU an incremental
// rollback had over a .tgz one). Up to READ_AHEAD blobs are read and decompressed at once ahead of the
// extraction; each is checked against its id as it is read (a damaged or missing one ends the members
// with a BlobDamagedError), also those of members the extraction leaves unread.
import type { TarMember } from '../tar-reader.js';
import type { BlobReader } from './blob-reader.js';
import { snapshotParts, type BlobAt, type MemberStart } from './snapshot-tar.js';

const READ_AHEAD = 16;

const EMPTY = Buffer.alloc(0);
const NO_DATA: AsyncIterable<Buffer> = { async *[Symbol.asyncIterator]() {} };
const dataOf = (data: Buffer): AsyncIterable<Buffer> => ({
  async *[Symbol.asyncIterator]() {
    yield data;
  },
});

/** The members of the snapshot whose listing is in blobs `listing` (only the paths `include` accepts). */
export async function* snapshotMembers(reader: BlobReader, listing: readonly string[], include?: (path: string) => boolean): AsyncGenerator<TarMember> {
  const parts = snapshotParts(reader, listing, include);
  /** Member starts, and the blob reads of the members' data, started in order up to READ_AHEAD ahead. */
  const ahead: (MemberStart | Promise<Buffer>)[] = [];
  let reading = 0;
  let partsDone = false;
  const fill = async () => {
    while (!partsDone && reading < READ_AHEAD) {
      const next = await parts.next();
      if (next.done) {
        partsDone = true;
        break;
      }
      const part = next.value;
      if ('header' in part) ahead.push(part);
      else {
        const read = reader.readSmallAt((part as BlobAt).packId, (part as BlobAt).place);
        read.catch(() => undefined); // awaited in turn
        ahead.push(read);
        reading++;
      }
    }
  };
  /** The next blob of the member being given out (they follow its start in `ahead`). */
  const nextBlob = async (): Promise<Buffer> => {
    await fill();
    const read = ahead.shift() as Promise<Buffer>;
    reading--;
    return read;
  };
  let offset = 0;
  try {
    for (;;) {
      await fill();
      const start = ahead.shift() as MemberStart | undefined;
      if (start === undefined) break;
      const { header } = start;
      let left = start.blobs;
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
