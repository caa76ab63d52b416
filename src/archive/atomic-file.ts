// A file that becomes visible under its final name only when complete: written as `<name>.partial`,
// flushed to disk, then renamed. Its size and sha256 are computed on the way, not by a second read.
// Every FLUSH_EVERY bytes a flush to disk starts in the background, so that the final one (which
// the caller waits for) has little left to write: the disk works while the archive is still made.
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { BackgroundHash, HashHere, type ArchiveHash } from './background-hash.js';

/** The suffix of a file still being written; listings and the catalog skip it, recovery removes it. */
export const PARTIAL_SUFFIX = '.partial';

const FLUSH_EVERY = 64 << 20;

const ARCHIVE_MODE = 0o640;

export interface AtomicFileOptions {
  /** Hash on the calling thread (HashHere) instead of a thread of its own (BackgroundHash). */
  hashHere?: boolean;
  /**
   * Never published, only read and removed (a System backup's dump before it goes into the archive):
   * nothing is flushed to disk, as nothing needs to survive a power loss; the copy it goes into is.
   */
  temporary?: boolean;
}

export class AtomicFile {
  private bytes = 0;
  private flushedAt = 0;
  /** The background flush in flight, if any; it never rejects (its failure is kept in flushError). */
  private flushing: Promise<void> | undefined;
  private flushError: unknown;
  private done = false;
  private sealed = false;

  private constructor(
    readonly finalPath: string,
    readonly partialPath: string,
    private readonly handle: FileHandle,
    private readonly hash: ArchiveHash,
    private readonly temporary: boolean,
  ) {}

  /**
   * Creates `<finalPath>.partial`; fails if it exists (another writer owns that name). Archives are 0640
   * (before the umask); Lifeboat's own files in its home are made 0600.
   */
  static async create(finalPath: string, mode = ARCHIVE_MODE, options: AtomicFileOptions = {}): Promise<AtomicFile> {
    const partialPath = finalPath + PARTIAL_SUFFIX;
    const handle = await open(partialPath, 'wx', mode);
    return new AtomicFile(finalPath, partialPath, handle, options.hashHere ? new HashHere() : new BackgroundHash(), options.temporary === true);
  }

  get size(): number {
    return this.bytes;
  }

  async write(buffer: Buffer): Promise<void> {
    const hashed = this.hash.update(buffer);
    let written = 0;
    try {
      while (written < buffer.length) {
        const { bytesWritten } = await this.handle.write(buffer, written, buffer.length - written);
        written += bytesWritten;
      }
    } finally {
      await hashed; // the caller may reuse the buffer once this resolves
    }
    this.bytes += buffer.length;
    if (!this.temporary && this.bytes - this.flushedAt >= FLUSH_EVERY && !this.flushing) {
      this.flushedAt = this.bytes;
      this.flushing = this.handle.datasync().then(
        () => {
          this.flushing = undefined;
        },
        (error: unknown) => {
          this.flushError ??= error;
          this.flushing = undefined;
        },
      );
    }
  }

  /** Flushes and closes the partial file; returns the size and sha256 of what was written. */
  async seal(): Promise<{ size: number; sha256: string }> {
    await this.flushing;
    if (this.flushError !== undefined) throw this.flushError;
    if (!this.temporary) await this.handle.sync();
    await this.handle.close();
    this.sealed = true;
    return { size: this.bytes, sha256: await this.hash.digest() };
  }

  /** Renames the sealed file into place: the moment it becomes visible. */
  async publish(): Promise<void> {
    if (!this.sealed) throw new Error('AtomicFile.publish() before seal()');
    if (this.temporary) throw new Error('AtomicFile.publish() of a temporary file');
    await rename(this.partialPath, this.finalPath);
    this.done = true;
    await syncDirectory(path.dirname(this.finalPath));
  }

  /** seal() then publish(). */
  async commit(): Promise<{ size: number; sha256: string }> {
    const sealed = await this.seal();
    await this.publish();
    return sealed;
  }

  /** Removes the partial file. Safe to call after a failure, and after commit (then it does nothing). */
  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.hash.close();
    await this.flushing;
    if (!this.sealed) await this.handle.close().catch(() => undefined);
    await unlink(this.partialPath).catch(() => undefined);
  }
}

/** Makes a rename durable: without it a power loss can forget the new directory entry. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself has still happened.
  } finally {
    await handle.close();
  }
}

/** Writes a small file (a manifest) atomically. */
export async function writeFileAtomic(finalPath: string, content: string | Buffer, mode = ARCHIVE_MODE): Promise<void> {
  const file = await AtomicFile.create(finalPath, mode);
  try {
    await file.write(typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    await file.commit();
  } catch (error) {
    await file.abort();
    throw error;
  }
}
