// One small storage interface for where archives and manifests live (restic's backend in spirit):
// a flat namespace of keys ("1764000000_db.sql.gz", "1764000000_db.sql.gz.manifest.json"), every
// implementation passes test/integration/store-conformance.test.ts. Retries, encryption and caching are
// wrappers around a store or settings of its client, never methods here.
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';

/** What a store knows about one complete object. */
export interface StoredObject {
  /** The key, relative to the store (no leading slash, `/` separates folders). */
  key: string;
  size: number;
  modified: Date;
}

/** A byte range of an object: `length` bytes from `offset` (to the end when `length` is left out). */
export interface ByteRange {
  offset: number;
  length?: number;
}

export interface PutOptions {
  signal?: AbortSignal;
  /**
   * Write only when no object has the key, else fail with an ObjectExistsError. Atomic where the store
   * supports it (S3 conditional writes); otherwise checked just before writing.
   */
  ifAbsent?: boolean;
  /**
   * Parts of a multipart upload sent at once for this object, where the store cuts objects into parts
   * (S3; default its `queueSize`): a caller that sends several objects at once asks for fewer each, so
   * that the parts held in memory stay those of one object.
   */
  partsAtOnce?: number;
}

export interface ListOptions {
  /**
   * Only the keys with no `/` after `prefix`: the objects of one folder, not those below it (S3's
   * `Delimiter: '/'`). The backup folder's listing is shallow, so that a work folder inside it (or a
   * `lost+found` Lifeboat may not read) is never walked.
   */
  shallow?: boolean;
}

export interface ObjectStore {
  /** Where the store is, for messages: a folder path or `s3://bucket/prefix`. */
  readonly location: string;
  /**
   * Writes everything `source` yields under `key`, replacing what was there. Nothing is visible under
   * `key` until the whole stream has been stored; when `source` or the store fails, no object appears.
   */
  put(key: string, source: AsyncIterable<Buffer> | Readable, options?: PutOptions): Promise<{ size: number }>;
  /** Reads an object, or the given byte range of it; an ObjectNotFoundError when there is no such key. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Size and time of a complete object, or undefined when there is none. */
  stat(key: string): Promise<StoredObject | undefined>;
  /** Every complete object whose key starts with `prefix` ('' for all), in key order. */
  list(prefix: string, options?: ListOptions): Promise<StoredObject[]>;
  /** Removes an object; removing a missing key is not an error. */
  remove(key: string): Promise<void>;
}

export class ObjectNotFoundError extends Error {
  constructor(
    readonly location: string,
    readonly key: string,
  ) {
    super(`${location} holds no object "${key}"`);
    this.name = 'ObjectNotFoundError';
  }
}

/** The whole of a small object (a manifest) in memory. */
export async function readObject(store: ObjectStore, key: string): Promise<Buffer> {
  return buffer(await store.get(key));
}

/** A put with `ifAbsent` found the key taken (another writer got there first). */
export class ObjectExistsError extends Error {
  constructor(
    readonly location: string,
    readonly key: string,
  ) {
    super(`${location} already holds an object "${key}"`);
    this.name = 'ObjectExistsError';
  }
}

/** Refuses keys that could leave the store's folder or prefix: empty, absolute, `.`/`..` parts. */
export function checkKey(key: string): string {
  const parts = key.split('/');
  if (key === '' || key.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..') || key.includes('\0')) {
    throw new Error(`invalid storage key "${key}"`);
  }
  return key;
}
