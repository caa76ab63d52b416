// The previous snapshot's listing, read alongside the walk: both are in walk order, so one pass over
// each finds every path's earlier entry without holding the old listing in memory.

/**
 * Walk order: a folder before its contents, names within a folder in code-unit order (as the walk sorts
 * them). Comparing two paths segment by segment gives exactly that: at the first difference, the path
 * whose segment ends there ('/') comes first.
 */
export function compareWalkOrder(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x === 0x2f) return -1;
    if (y === 0x2f) return 1;
    return x - y;
  }
  return a.length - b.length;
}

/** A line of the previous listing (without its newline) and the path of its entry. */
export interface PreviousLine {
  path: string;
  line: string;
}

const PATH_START = '{"path":"';

/**
 * The path of a listing line. Lines start with the path (ListingWriter writes JSON.stringify of an entry
 * whose first key is the path): one without a backslash, which is most, is taken as it stands, without
 * parsing the line (for a tree of 25,000 entries, JSON.parse of each line took 55 ms of the main thread).
 */
function pathOfLine(line: string): string {
  if (line.startsWith(PATH_START)) {
    const end = line.indexOf('"', PATH_START.length);
    const escape = line.indexOf('\\', PATH_START.length);
    if (end !== -1 && (escape === -1 || escape > end)) return line.slice(PATH_START.length, end);
  }
  const path = (JSON.parse(line) as { path?: unknown }).path;
  if (typeof path !== 'string') throw new Error('a line has no path');
  return path;
}

export class PreviousListing {
  /** The current blob's text, and where its next line starts. */
  private text = '';
  private at = 0;
  private blob = '';
  private head: PreviousLine | undefined;
  private done = false;
  /** Why the listing stopped being read (a blob of it is missing or damaged): the rest of the files are read. */
  problem: string | undefined;
  private readonly iterator: AsyncIterator<{ text: string; blob: string }>;

  /**
   * `texts`: the listing's blobs as text, in walk order (readListingTexts); entries whose path `skip`
   * names (the previous backup's dump) are passed over.
   */
  constructor(
    texts: AsyncIterable<{ text: string; blob: string }>,
    private readonly skip: (path: string) => boolean = () => false,
  ) {
    this.iterator = texts[Symbol.asyncIterator]();
  }

  /** The next line of the current blob, undefined when none is left (or at a problem, noted). */
  private nextLine(): PreviousLine | undefined {
    while (!this.done && this.at < this.text.length) {
      let end = this.text.indexOf('\n', this.at);
      if (end === -1) end = this.text.length;
      const line = this.text.slice(this.at, end);
      this.at = end + 1;
      if (line.length === 0) continue;
      try {
        return { path: pathOfLine(line), line };
      } catch {
        this.problem = `the snapshot's listing (blob ${this.blob}) holds a line that is not an entry: ${line.slice(0, 200)}`;
        this.done = true;
      }
    }
    return undefined;
  }

  /** Reads the next blob's text; false at the listing's end (or at a problem, noted). */
  private async nextBlob(): Promise<boolean> {
    if (this.done) return false;
    try {
      const next = await this.iterator.next();
      if (next.done) this.done = true;
      else ({ text: this.text, blob: this.blob } = next.value);
    } catch (error) {
      this.problem = (error as Error).message;
      this.done = true;
    }
    this.at = 0;
    return !this.done;
  }

  /** The previous line of `path`, if any; paths must be asked for in walk order. */
  async find(path: string): Promise<PreviousLine | undefined> {
    for (;;) {
      if (this.head === undefined) {
        // Within a blob, without waiting: only every 25 lines or so is a blob awaited.
        const next = this.nextLine();
        if (next === undefined) {
          if (await this.nextBlob()) continue;
          return undefined;
        }
        if (this.skip(next.path)) continue;
        this.head = next;
      }
      const order = compareWalkOrder(this.head.path, path);
      if (order > 0) return undefined;
      const head = this.head;
      this.head = undefined;
      if (order === 0) return head;
    }
  }

  async close(): Promise<void> {
    await this.iterator.return?.().catch(() => undefined);
  }
}
