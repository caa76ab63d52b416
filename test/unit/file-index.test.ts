// The file index's lines with places: entries wait for their frame's offset and are written in archive
// order all the same; folders and symlinks carry no place but their mode, owner and (symlinks) target; a
// line of the older formats (no place; a folder without its mode) still parses, and a place on a line that
// is not a file's, or a folder's or symlink's fields short of what they need, is refused naming the line;
// a file's inode and ctime follow its place; a rollback reads the index line by line alongside the archive (index-cursor.ts).
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { FrameLocation } from '../../src/archive/codec/frame-table.js';
import { FileIndexWriter, parseFileIndex, readFileIndex } from '../../src/archive/file-index.js';
import { FileIndexCursor } from '../../src/archive/index-cursor.js';

describe('the file index with places', () => {
  it('writes every entry in order, each file with its place once its frame is known', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-index-')), 'a.tgz.files.gz');
    /** Positions below `known` are located: frame offset = position * 2, within = 7. */
    let known = 0;
    const writer = await FileIndexWriter.create(file, (position): FrameLocation | undefined => (position < known ? { frame: position * 2, within: 7 } : undefined));
    writer.add({ path: 'app', type: 'dir', size: 0, mtimeNs: 1n, meta: { mode: 0o2750, uid: 3_000_000, gid: 33 } }, 0);
    writer.add({ path: 'app/a.php', type: 'file', size: 3, mtimeNs: 2n, crc32: 11 }, 512);
    writer.add({ path: 'app/link', type: 'symlink', size: 0, mtimeNs: 3n, meta: { mode: 0o777, uid: 0, gid: 0, target: '../"ü"\\x' } }, 2048);
    known = 1000; // a.php's frame is written; b.php's not yet
    writer.add({ path: 'app/b.php', type: 'file', size: 4, mtimeNs: 4n, crc32: 12, identity: { ino: 123456789012n, ctimeNs: 1796659346312000001n } }, 2560);
    writer.add({ path: 'app/c.php', type: 'hardlink', size: 4, mtimeNs: 5n, crc32: 12 }, 4096);
    known = Infinity;
    await writer.commit();
    const entries = await parseFileIndex(file, await readFile(file));
    expect(entries).toEqual([
      { path: 'app', type: 'dir', size: 0, mtimeNs: 1n, meta: { mode: 0o2750, uid: 3_000_000, gid: 33 } },
      { path: 'app/a.php', type: 'file', size: 3, mtimeNs: 2n, crc32: 11, at: { frame: 1024, within: 7 } },
      { path: 'app/link', type: 'symlink', size: 0, mtimeNs: 3n, meta: { mode: 0o777, uid: 0, gid: 0, target: '../"ü"\\x' } },
      { path: 'app/b.php', type: 'file', size: 4, mtimeNs: 4n, crc32: 12, at: { frame: 5120, within: 7 }, identity: { ino: 123456789012n, ctimeNs: 1796659346312000001n } },
      { path: 'app/c.php', type: 'hardlink', size: 4, mtimeNs: 5n, crc32: 12 },
    ]);
  });

  it('reads lines without places, and refuses a place on a folder naming the line', async () => {
    const old = gzipSync('["app/a.php","file",3,"2",11]\n');
    expect(await parseFileIndex('old.files.gz', old)).toEqual([{ path: 'app/a.php', type: 'file', size: 3, mtimeNs: 2n, crc32: 11 }]);
    const folders = gzipSync('["app","dir",0,"1"]\n["app/l","symlink",0,"1"]\n');
    expect(await parseFileIndex('old.files.gz', folders)).toEqual([
      { path: 'app', type: 'dir', size: 0, mtimeNs: 1n },
      { path: 'app/l', type: 'symlink', size: 0, mtimeNs: 1n },
    ]);
    const bad = gzipSync('["app/a.php","file",3,"2",11,0,512]\n["app","dir",0,"1",0,512]\n');
    await expect(parseFileIndex('bad.files.gz', bad)).rejects.toThrow('bad.files.gz: line 2 is not an index entry');
    const noTarget = gzipSync('["app","dir",0,"1",493,0,0]\n["app/l","symlink",0,"1",511,0,0]\n');
    await expect(parseFileIndex('link.files.gz', noTarget)).rejects.toThrow('link.files.gz: line 2 is not an index entry');
    const badMode = gzipSync('["app","dir",0,"1",65535,0,0]\n');
    await expect(parseFileIndex('mode.files.gz', badMode)).rejects.toThrow('mode.files.gz: line 1 is not an index entry');
    const noPlace = gzipSync('["app/a.php","file",3,"2",11,0,512,"5","6"]\n["app/b.php","file",3,"2",11,0,512,5,6]\n');
    await expect(parseFileIndex('ids.files.gz', noPlace)).rejects.toThrow('ids.files.gz: line 2 is not an index entry');
  });

  it('reads an index entry by entry as it inflates, names split across its chunks, as parsing it whole does', async () => {
    // Long multi-byte names and enough lines that lines and characters straddle the inflater's chunks.
    const lines = Array.from({ length: 5000 }, (_, i) => JSON.stringify([`pub/media/Bücher Ärger ${'ü'.repeat(i % 40)}/${i}.jpg`, 'file', i, String(i * 1000), i % 97]));
    const index = gzipSync(lines.join('\n')); // no newline after the last line
    const streamed: unknown[] = [];
    for await (const entry of readFileIndex('x.files.gz', index)) streamed.push(entry);
    expect(streamed).toHaveLength(5000);
    expect(streamed).toEqual(await parseFileIndex('x.files.gz', index));
    const bad = gzipSync('["app/a.php","file",3,"2",11]\n\n["app",7]\n');
    const read = async () => {
      for await (const entry of readFileIndex('bad.files.gz', bad)) void entry;
    };
    await expect(read()).rejects.toThrow('bad.files.gz: line 3 is not an index entry');
  });
});

describe('the file index read alongside the extraction', () => {
  const text = [
    '["app","dir",0,"1"]',
    '["app/a.php","file",3,"2",11,0,512,"100","200"]',
    '["app/b.php","file",3,"2",11,0,1024]',
    '["app/c.php","hardlink",3,"2",11]',
    '["app/\\"d\\",\\"file\\",.php","file",3,"2",11,0,1536,"101","201"]',
    '["var/dump.sql.gz","file",9,"2",11,0,2048,"102","202"]',
    '',
  ].join('\n');

  it('gives each file its identity in archive order, passing over what it was not asked for', () => {
    const cursor = new FileIndexCursor(text);
    expect(cursor.identityOf('app/a.php')).toEqual({ ino: 100n, ctimeNs: 200n });
    expect(cursor.identityOf('app/b.php')).toBeUndefined(); // a line without one
    // A member the index lacks moves nothing; a name that looks like a type inside its quotes is a name.
    expect(cursor.identityOf('app/elsewhere.php')).toBeUndefined();
    expect(cursor.identityOf('app/"d","file",.php')).toEqual({ ino: 101n, ctimeNs: 201n });
    expect(cursor.identityOf('var/dump.sql.gz')).toEqual({ ino: 102n, ctimeNs: 202n });
    expect(cursor.identityOf('app/a.php')).toBeUndefined(); // behind the cursor
  });
});
