// An index file of a content store: written a pack at a time, one pack per line, still one JSON
// document; read back a pack at a time (from a file, or a stream in chunks of any size), and a file
// written on one line (before) read whole; a damaged or cut-off file is an error that names it.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IndexFileWriter, indexFilePieces, indexFileText, parseIndexFile, readIndexFile, readIndexStream } from '../../src/archive/content/index-file.js';
import { indexDirOf, type PackRecord } from '../../src/archive/content/store-layout.js';

const id = (n: number) => createHash('sha256').update(String(n)).digest('hex');
const pack = (n: number, blobs: number): PackRecord => ({
  id: id(-n),
  size: blobs * 10,
  blobs: Array.from({ length: blobs }, (_, i) => ({ id: id(n * 1000 + i), offset: i * 10, length: 10, size: 12, zstd: i % 2 === 1 })),
});

async function readAll(file: string): Promise<PackRecord[]> {
  const packs: PackRecord[] = [];
  for await (const p of readIndexFile(file, path.basename(file))) packs.push(p);
  return packs;
}

describe('index file', () => {
  let storeDir: string;
  beforeEach(async () => {
    storeDir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-index-file-'));
  });
  afterEach(async () => {
    await rm(storeDir, { recursive: true, force: true });
  });

  it('is written a pack at a time, named by its sha256, one pack a line, and read back the same', async () => {
    const packs = [pack(1, 3), pack(2, 1), pack(3, 5)];
    const writer = new IndexFileWriter(storeDir);
    for (const p of packs) await writer.add(p);
    const indexId = await writer.commit();
    expect(await readdir(indexDirOf(storeDir))).toEqual([`${indexId}.json`]);
    const file = path.join(indexDirOf(storeDir), `${indexId}.json`);
    const bytes = await readFile(file);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(indexId);
    expect(writer.bytes).toBe(bytes.length);
    expect(bytes.toString('utf8')).toBe(indexFileText(packs));
    expect(bytes.toString('utf8').split('\n')).toHaveLength(packs.length + 3);
    expect(parseIndexFile(bytes.toString('utf8'), 'x').packs).toEqual(packs);
    expect(await readAll(file)).toEqual(packs);
  });

  it("is the same text when made a pack at a time from the packs' tables (as an upload sends it)", async () => {
    for (const packs of [[], [pack(1, 3)], [pack(1, 3), pack(2, 1), pack(3, 5)]]) {
      const pieces: Buffer[] = [];
      for await (const piece of indexFilePieces((async function* () {
        for (const p of packs) yield { id: p.id, size: p.size, table: Buffer.from(JSON.stringify(p.blobs), 'utf8') };
      })())) pieces.push(piece);
      expect(Buffer.concat(pieces).toString('utf8')).toBe(indexFileText(packs));
      expect(parseIndexFile(indexFileText(packs), 'x').packs).toEqual(packs);
    }
  });

  it('writes no file for no pack, and leaves nothing after an abort', async () => {
    expect(await new IndexFileWriter(storeDir).commit()).toBeUndefined();
    const aborted = new IndexFileWriter(storeDir);
    await aborted.add(pack(1, 2)); // the file is made with its first pack
    expect((await readdir(indexDirOf(storeDir))).filter((n) => n.endsWith('.partial'))).toHaveLength(1);
    await aborted.abort();
    expect(await readdir(indexDirOf(storeDir))).toEqual([]);
    await aborted.add(pack(2, 2)); // a pack sealed after the abort does not make the file again
    expect(await readdir(indexDirOf(storeDir))).toEqual([]);
  });

  it('reads a file written on one line whole, and names a damaged or cut-off file', async () => {
    const packs = [pack(1, 2), pack(2, 2)];
    const oneLine = path.join(storeDir, 'one-line.json');
    await writeFile(oneLine, JSON.stringify({ packs }) + '\n');
    expect(await readAll(oneLine)).toEqual(packs);

    const lines = indexFileText(packs).split('\n');
    const cut = path.join(storeDir, 'cut.json');
    await writeFile(cut, lines.slice(0, 2).join('\n') + '\n');
    await expect(readAll(cut)).rejects.toThrow('index file cut.json of the incremental store is damaged (cut off before the end of its pack list)');
    const garbled = path.join(storeDir, 'garbled.json');
    await writeFile(garbled, [lines[0], lines[1].slice(0, 40), ...lines.slice(2)].join('\n'));
    await expect(readAll(garbled)).rejects.toThrow('index file garbled.json of the incremental store is damaged (not JSON)');
    const malformed = path.join(storeDir, 'malformed.json');
    await writeFile(malformed, indexFileText([{ ...packs[0], size: 5 }]));
    await expect(readAll(malformed)).rejects.toThrow(/damaged \(blob [0-9a-f]{64} reaches past the end of pack/);
  });

  it('is read from a stream whose chunks end anywhere (inside a line, at a line end), and a stream error ends the read', async () => {
    const packs = [pack(1, 40), pack(2, 1), pack(3, 25)];
    const bytes = Buffer.from(indexFileText(packs), 'utf8');
    const chunked = (size: number) => Readable.from(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)));
    for (const size of [1, 7, 64, 4096]) {
      const read: PackRecord[] = [];
      for await (const p of readIndexStream(chunked(size), 'chunked.json')) read.push(p);
      expect(read).toEqual(packs);
    }
    const failing = new Readable({ read() {} });
    failing.push(bytes.subarray(0, 100));
    setImmediate(() => failing.destroy(new Error('the object was cut off')));
    await expect(async () => {
      for await (const p of readIndexStream(failing, 'failing.json')) void p;
    }).rejects.toThrow('the object was cut off');
  });
});
