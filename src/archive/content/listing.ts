// A snapshot's tree listing: one JSON object per line (UTF-8), one line per entry, in the order of the
// walk (a folder, then its entries sorted by name, each folder's contents right after it), stored as
// blobs like file contents. The listing is cut into blobs at line ends chosen by the lines' paths, so two
// listings of mostly the same tree share most of their blobs. A file's line holds the ids of the blobs
// of its contents, in order.
//
// The blobs are small (about 6 KiB, 25 lines): a change to one file (and to its folder's mtime)
// makes the next listing store again only the blob or two around those lines. With blobs of 256 KiB and
// more, 1 % of the files changed evenly over the tree changed every blob of the listing, and ten such
// rounds stored the whole listing ten times over: on the bench's tree 4.5 MB where restic's trees took
// 2.6 MB. Smaller blobs cost each a record in their pack's table (about 45 bytes, compressed) and in an
// index file (130) and a line of the snapshot file (70), and compress less well alone: blobs of 20 to
// 30 lines stored the least.
import type { BlobReader } from './blob-reader.js';
import type { BlobWriter } from './blob-writer.js';

export type ListingType = 'file' | 'dir' | 'symlink' | 'hardlink';

export interface ListingEntry {
  /** Relative to the tree's root, '/'-separated, no leading or trailing slash. */
  path: string;
  type: ListingType;
  /** Permission bits with setuid, setgid and sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Modification time in nanoseconds since 1970, as a decimal string (it exceeds a double's precision). */
  mtimeNs: string;
  /** Files: bytes of content (the sum of the chunks' sizes). */
  size?: number;
  /** Files: the blob ids of the content, in order. */
  chunks?: string[];
  /** Symlinks: the target, verbatim. Hard links: the path of the first name of the file (a file entry before it). */
  target?: string;
  /** Files: inode number and ctime (ns) when read, so the next backup knows an unchanged file without reading it. */
  inode?: string;
  ctimeNs?: string;
  /** A folder that is a followed symlink (a symlinked media folder): where the symlink pointed. */
  followed?: string;
}

/** A listing blob ends at a line end once it holds this much and the line's path hashes to a cut (one in LISTING_CUT)... */
export const LISTING_MIN = 4 << 10;
const LISTING_CUT = 8;
/** ...or once it holds this much, whatever the line. */
export const LISTING_MAX = 4 << 20;

/** FNV-1a over a path's UTF-16 code units: cheap, and the same for the same path in every listing. */
function pathHash(path: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) hash = Math.imul(hash ^ path.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

export class ListingWriter {
  private lines: string[] = [];
  private buffered = 0;
  private readonly stored: Promise<string>[] = [];
  entries = 0;

  constructor(private readonly writer: BlobWriter) {}

  add(entry: ListingEntry): void {
    this.addLine(entry.path, JSON.stringify(entry));
  }

  /** An entry given as its line (without the newline), JSON.stringify of the entry of `path`. */
  addLine(path: string, line: string): void {
    this.lines.push(line);
    this.buffered += line.length + 1;
    this.entries++;
    if (this.buffered >= LISTING_MAX || (this.buffered >= LISTING_MIN && pathHash(path) % LISTING_CUT === 0)) this.cut();
  }

  private cut(): void {
    if (this.lines.length === 0) return;
    this.lines.push('');
    const blob = Buffer.from(this.lines.join('\n'), 'utf8');
    this.lines = [];
    this.buffered = 0;
    const id = this.writer.store(blob, false);
    id.catch(() => undefined); // awaited in finish()
    this.stored.push(id);
  }

  /** The ids of the listing's blobs, in order, once all are stored. */
  async finish(): Promise<string[]> {
    this.cut();
    return Promise.all(this.stored);
  }
}

/** Listing blobs read ahead of the one whose entries are being used. */
const READ_AHEAD = 8;

/** The entries of the listing stored in blobs `ids`, in order. */
export async function* readListing(reader: BlobReader, ids: readonly string[]): AsyncGenerator<ListingEntry> {
  for await (const { text, blob } of readListingTexts(reader, ids)) yield* listingEntries(text, blob);
}

/** The entries of one listing blob's text (`blob`: its id, for messages), each checked. */
export function* listingEntries(text: string, blob: string): Generator<ListingEntry> {
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    if (end > start) yield checkEntry(parseLine(text.slice(start, end), blob), blob);
    start = end + 1;
  }
}

/** The listing stored in blobs `ids` as text, a blob at a time (`blob`: its id, for messages); lines end in '\n'. */
export async function* readListingTexts(reader: BlobReader, ids: readonly string[]): AsyncGenerator<{ text: string; blob: string }> {
  // The next blobs are read while this one is used: a few at a time, the blobs being small.
  const ahead: Promise<Buffer>[] = [];
  let asked = 0;
  const askMore = () => {
    while (asked < ids.length && ahead.length < READ_AHEAD) {
      const read = reader.readSmall(ids[asked++]);
      read.catch(() => undefined); // awaited in turn below
      ahead.push(read);
    }
  };
  for (let i = 0; i < ids.length; i++) {
    askMore();
    const blob = await (ahead.shift() as Promise<Buffer>);
    askMore();
    yield { text: blob.toString('utf8'), blob: ids[i] };
  }
}

function parseLine(line: string, blob: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`the snapshot's listing (blob ${blob}) holds a line that is not JSON: ${line.slice(0, 200)}`);
  }
}

const TYPES = new Set<string>(['file', 'dir', 'symlink', 'hardlink']);

/** A listing line that is not an entry is a damaged listing, said in one line. */
function checkEntry(value: unknown, blob: string): ListingEntry {
  const entry = value as ListingEntry;
  const ok =
    typeof entry?.path === 'string' &&
    TYPES.has(entry.type) &&
    [entry.mode, entry.uid, entry.gid].every((n) => Number.isSafeInteger(n) && n >= 0) &&
    typeof entry.mtimeNs === 'string' &&
    /^-?\d+$/.test(entry.mtimeNs) &&
    (entry.type !== 'file' || (Number.isSafeInteger(entry.size) && Array.isArray(entry.chunks))) &&
    (entry.type === 'file' || entry.type === 'dir' || typeof entry.target === 'string');
  if (!ok) throw new Error(`the snapshot's listing (blob ${blob}) holds a malformed entry: ${JSON.stringify(value).slice(0, 200)}`);
  return entry;
}
