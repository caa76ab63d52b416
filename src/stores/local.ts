// The local folder as an ObjectStore: a key is a path below the folder. Writes go through AtomicFile
// (`<name>.partial`, flushed, renamed), so an object is visible only when complete and `.partial` files
// are never listed.
import { createReadStream } from 'node:fs';
import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { AtomicFile } from '../archive/atomic-file.js';
import { PARTIAL_SUFFIX } from '../archive/atomic-file.js';
import { checkKey, ObjectExistsError, ObjectNotFoundError, type ByteRange, type ListOptions, type ObjectStore, type PutOptions, type StoredObject } from './store.js';

export class LocalStore implements ObjectStore {
  constructor(readonly dir: string) {}

  get location(): string {
    return this.dir;
  }

  private pathOf(key: string): string {
    return path.join(this.dir, ...checkKey(key).split('/'));
  }

  async put(key: string, source: AsyncIterable<Buffer> | Readable, options: PutOptions = {}): Promise<{ size: number }> {
    const file = this.pathOf(key);
    if (options.ifAbsent && (await this.stat(key))) throw new ObjectExistsError(this.location, key);
    await mkdir(path.dirname(file), { recursive: true });
    const out = await AtomicFile.create(file);
    try {
      for await (const chunk of source) {
        options.signal?.throwIfAborted();
        await out.write(chunk as Buffer);
      }
      options.signal?.throwIfAborted();
      const { size } = await out.commit();
      return { size };
    } catch (error) {
      await out.abort();
      throw error;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const file = this.pathOf(key);
    // Something other than a file under the key (a folder) is there but cannot be read: its read fails
    // (EISDIR), so that it is not taken for a missing object.
    const there = await stat(file).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return false;
        throw error;
      },
    );
    if (!there) throw new ObjectNotFoundError(this.location, key);
    if (range?.length === 0) return Readable.from([]);
    const end = range?.length !== undefined ? range.offset + range.length - 1 : undefined;
    return createReadStream(file, { start: range?.offset ?? 0, end, highWaterMark: 1 << 20 });
  }

  async stat(key: string): Promise<StoredObject | undefined> {
    const info = await stat(this.pathOf(key)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw error;
    });
    return info?.isFile() ? { key, size: info.size, modified: info.mtime } : undefined;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<StoredObject[]> {
    // A shallow listing reads only the folder `prefix` ends in; keys are relative to the store's folder.
    const folder = options.shallow ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
    if (folder) checkKey(folder.slice(0, -1));
    let names: string[];
    try {
      names = await readdir(path.join(this.dir, ...folder.split('/')), { recursive: !options.shallow });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw error;
    }
    const found: StoredObject[] = [];
    for (const name of names) {
      const key = folder + name.split(path.sep).join('/');
      if (!key.startsWith(prefix) || key.endsWith(PARTIAL_SUFFIX)) continue;
      const info = await this.stat(key);
      if (info) found.push(info);
    }
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async remove(key: string): Promise<void> {
    await unlink(this.pathOf(key)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}
