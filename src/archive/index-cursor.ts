// A file archive's index read alongside the archive's extraction. The index lists the members in archive
// order, so the line of each file comes up in turn: no map of every path is built (120,000 of them at
// the bench's largest tree). A member the index does not have next (the dump of a System backup, members
// an extraction skips) is looked for a few lines ahead only, and not found moves nothing.
import { parseIndexLine, type FileIndexEntry } from './file-index.js';

/** File lines looked at ahead of the cursor for a member that is not the next. */
const LOOK_AHEAD = 64;
const FILE_TYPE = ',"file",';

export class FileIndexCursor {
  private at = 0;

  /** `text`: the index, decompressed. */
  constructor(private readonly text: string) {}

  /** The inode and ctime the index records for the file member `path`, if it has them. */
  identityOf(path: string): FileIndexEntry['identity'] {
    const { text } = this;
    for (let from = this.at, files = 0; from < text.length && files < LOOK_AHEAD; ) {
      let end = text.indexOf('\n', from);
      if (end < 0) end = text.length;
      const line = text.slice(from, end);
      from = end + 1;
      // Folders, symlinks and hard links are passed over without parsing their lines.
      if (!line.includes(FILE_TYPE)) continue;
      files++;
      const entry = parseOrUndefined(line);
      if (entry?.path === path) {
        this.at = from;
        return entry.identity;
      }
    }
    return undefined;
  }
}

/** An index checked against its manifest parses; should a line not, its file is simply read as usual. */
function parseOrUndefined(line: string): FileIndexEntry | undefined {
  try {
    return parseIndexLine(line, 'not an index line');
  } catch {
    return undefined;
  }
}
