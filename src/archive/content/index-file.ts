// An index file of a content store (`index/<id>.json`, and the bucket's copies): `{"packs": [...]}`,
// one pack record per line, so that a reader can take it a pack at a time instead of parsing the whole
// file at once (a backup of a million new small files names a million blobs: about 130 MB of JSON).
// Still one JSON document, so every reader of whole files reads it too; files written before, on one
// line, are read whole. The file's id is the sha256 of its bytes.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { syncDirectory } from '../atomic-file.js';
import { indexDirOf, indexPathOf, isHexId, type BlobPlace, type IndexFile, type PackRecord } from './store-layout.js';

const FIRST_LINE = '{"packs":[';
const LAST_LINE = ']}';

/** A pack's record as the index file has it: its line, after the comma and line end that end the one before. */
const packText = (pack: PackRecord, first: boolean) => (first ? '' : ',\n') + JSON.stringify(pack);
const OPENING = `${FIRST_LINE}\n`;
const CLOSING = `\n${LAST_LINE}\n`;

/** The text of an index file naming `packs`. */
export function indexFileText(packs: readonly PackRecord[]): string {
  return packs.length === 0 ? `${FIRST_LINE}${LAST_LINE}\n` : [OPENING, ...packs.map((pack, i) => packText(pack, i === 0)), CLOSING].join('');
}

/** A pack as its own file holds it: id, size, and its blob table's bytes (JSON.stringify of its blobs, as written). */
export interface PackTable {
  id: string;
  size: number;
  table: Buffer;
}

/**
 * The same text a pack at a time, as the packs come, from their tables' bytes as they are (neither
 * parsed nor made again: the table is the JSON of the record's blobs), so only one table is held.
 */
export async function* indexFilePieces(packs: AsyncIterable<PackTable>): AsyncGenerator<Buffer> {
  let first = true;
  for await (const pack of packs) {
    const head = `${first ? OPENING : ',\n'}{"id":${JSON.stringify(pack.id)},"size":${pack.size},"blobs":`;
    yield Buffer.concat([Buffer.from(head, 'utf8'), pack.table, Buffer.from('}', 'utf8')]);
    first = false;
  }
  yield Buffer.from(first ? `${FIRST_LINE}${LAST_LINE}\n` : CLOSING, 'utf8');
}

const damaged = (name: string, why: string) => new Error(`index file ${name} of the incremental store is damaged (${why})`);

/** A pack record of the index file `name`, checked. */
function checkPack(pack: PackRecord | undefined, name: string): PackRecord {
  if (!isHexId(pack?.id) || !Number.isSafeInteger(pack.size) || !Array.isArray(pack.blobs)) throw damaged(name, 'a pack without id, size or blobs');
  for (const blob of pack.blobs as BlobPlace[]) {
    const numbers = [blob?.offset, blob?.length, blob?.size];
    if (!isHexId(blob?.id) || !numbers.every((n) => Number.isSafeInteger(n) && n >= 0) || typeof blob.zstd !== 'boolean') throw damaged(name, `a malformed blob in pack ${pack.id}`);
    if (blob.offset + blob.length > pack.size) throw damaged(name, `blob ${blob.id} reaches past the end of pack ${pack.id}`);
  }
  return pack;
}

/** An index file's contents, checked: a malformed one is an error that names it. */
export function parseIndexFile(text: string, name: string): IndexFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw damaged(name, 'not JSON');
  }
  const packs = (parsed as IndexFile | null)?.packs;
  if (!Array.isArray(packs)) throw damaged(name, 'no "packs" list');
  for (const pack of packs) checkPack(pack, name);
  return { packs };
}

/** The packs of the index file at `file` (named `name` in errors), checked, a line at a time when written so. */
export async function* readIndexFile(file: string, name: string): AsyncGenerator<PackRecord> {
  yield* readIndexStream(createReadStream(file), name);
}

/**
 * The lines of `input` (UTF-8), without their line ends. Iterating the stream itself, not through
 * readline: an error of the stream (a bucket's object cut off, not decrypted) ends the loop with it.
 */
async function* linesOf(input: Readable): AsyncGenerator<string> {
  let pieces: string[] = []; // of the line not ended yet (a pack's line may be a few MB)
  for await (const chunk of input.setEncoding('utf8') as AsyncIterable<string>) {
    let start = 0;
    for (let end = chunk.indexOf('\n'); end !== -1; end = chunk.indexOf('\n', start)) {
      pieces.push(chunk.slice(start, end));
      yield pieces.join('');
      pieces = [];
      start = end + 1;
    }
    if (start < chunk.length) pieces.push(chunk.slice(start));
  }
  if (pieces.length > 0) yield pieces.join('');
}

/** The same from the bytes of an index file as they come (a bucket's object, decrypted on the way). */
export async function* readIndexStream(input: Readable, name: string): AsyncGenerator<PackRecord> {
  const lines = linesOf(input);
  try {
    let first = true;
    let ended = false;
    let whole: string[] | undefined; // a file of another shape, read whole
    for await (const line of lines) {
      if (whole) whole.push(line);
      else if (first && line !== FIRST_LINE) whole = [line];
      else if (first) first = false;
      else if (ended) {
        if (line !== '') throw damaged(name, 'text after the end of its pack list');
      } else if (line === LAST_LINE) ended = true;
      else {
        let pack: PackRecord | undefined;
        try {
          pack = JSON.parse(line.endsWith(',') ? line.slice(0, -1) : line) as PackRecord;
        } catch {
          throw damaged(name, 'not JSON');
        }
        yield checkPack(pack, name);
      }
    }
    if (whole) yield* parseIndexFile(whole.join('\n'), name).packs;
    else if (!ended) throw damaged(name, first ? 'empty' : 'cut off before the end of its pack list');
  } finally {
    await lines.return(undefined);
    input.destroy();
  }
}

/**
 * Writes an index file a pack at a time (the file's id, its sha256, is known only at its end): into a
 * partial file of the index folder, flushed and renamed to `<id>.json` by `commit`. A partial file left
 * by a crash does not end in `.json`, so no reader takes it for an index.
 */
export class IndexFileWriter {
  private readonly hash = createHash('sha256');
  private readonly partialPath: string;
  private handle: FileHandle | undefined;
  private packs = 0;
  private aborted = false;
  bytes = 0;

  constructor(private readonly storeDir: string) {
    this.partialPath = path.join(indexDirOf(storeDir), `.${randomBytes(8).toString('hex')}.partial`);
  }

  private async write(text: string): Promise<void> {
    if (!this.handle) {
      await mkdir(indexDirOf(this.storeDir), { recursive: true });
      this.handle = await open(this.partialPath, 'wx', 0o640);
      await this.write(OPENING);
    }
    const buffer = Buffer.from(text, 'utf8');
    this.hash.update(buffer);
    for (let at = 0; at < buffer.length; ) at += (await this.handle.write(buffer, at, buffer.length - at)).bytesWritten;
    this.bytes += buffer.length;
  }

  /** Packs are added as they are sealed, several at once: one after the other here. */
  private queue: Promise<void> = Promise.resolve();

  add(pack: PackRecord): Promise<void> {
    // After abort() a late pack must not make the file again.
    const added = this.queue.then(() => (this.aborted ? undefined : this.write(packText(pack, this.packs++ === 0))));
    this.queue = added.catch(() => undefined);
    return added;
  }

  /** Ends the file and puts it in place; its id, or undefined when no pack was added (no file then). */
  async commit(): Promise<string | undefined> {
    await this.queue;
    if (this.packs === 0) return undefined;
    await this.write(CLOSING);
    const handle = this.handle as FileHandle;
    await handle.sync();
    await handle.close();
    this.handle = undefined;
    const id = this.hash.digest('hex');
    await rename(this.partialPath, indexPathOf(this.storeDir, id));
    await syncDirectory(indexDirOf(this.storeDir));
    return id;
  }

  /** Removes the partial file (after a failure). */
  async abort(): Promise<void> {
    this.aborted = true;
    await this.queue;
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    await unlink(this.partialPath).catch(() => undefined);
  }
}
